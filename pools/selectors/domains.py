"""Hosted-UI domains."""

from __future__ import annotations

from pools.errors import NoSuchDomainException
from pools.models import Domain, UserPool


def domain_get(*, pool: UserPool, domain: str, for_update: bool = False) -> Domain:
    """The domain `domain` of `pool`; another pool's, or none, is NoSuchDomainException."""
    rows = Domain.objects.filter(pool=pool, domain=domain)
    found = (rows.select_for_update() if for_update else rows).first()
    if found is None:
        raise NoSuchDomainException()
    return found


def domain_find(*, domain: str) -> Domain | None:
    """The domain of that name, whichever pool has it (names are unique across pools)."""
    return Domain.objects.select_related("pool").filter(domain=domain).first()
