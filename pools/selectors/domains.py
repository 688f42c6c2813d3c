"""Hosted-UI domains."""

from __future__ import annotations

from cognitoadmin.regions import region_visible
from pools.errors import NoSuchDomainException
from pools.models import Domain, DomainStatus, UserPool


def domain_get(*, pool: UserPool, domain: str, for_update: bool = False) -> Domain:
    """The domain `domain` of `pool`; another pool's, or none, is NoSuchDomainException."""
    rows = Domain.objects.filter(pool=pool, domain=domain)
    found = (rows.select_for_update() if for_update else rows).first()
    if found is None:
        raise NoSuchDomainException()
    return found


def domain_find(*, domain: str) -> Domain | None:
    """The domain of that name, whichever pool has it (names are unique across pools); within a
    signed call, only a pool of the call's region has it (`cognitoadmin.regions`)."""
    found = Domain.objects.select_related("pool").filter(domain=domain).first()
    return found if found is not None and region_visible(found.pool.pool_id) else None


def domain_active_find(*, domain: str, is_custom: bool) -> Domain | None:
    """The active prefix (or custom) domain of that name, with its pool: the one a request to
    that name is served for."""
    return (
        Domain.objects.select_related("pool")
        .filter(domain=domain, is_custom=is_custom, status=DomainStatus.ACTIVE)
        .first()
    )


def pool_domains_active(*, pool: UserPool) -> list[Domain]:
    """The pool's active domains, its custom domain first."""
    rows = Domain.objects.filter(pool=pool, status=DomainStatus.ACTIVE)
    return list(rows.order_by("-is_custom", "id"))
