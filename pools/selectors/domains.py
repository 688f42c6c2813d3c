"""Hosted-UI domains."""

from __future__ import annotations

from pools.errors import (
    ResourceNotFoundException,
)
from pools.models import (
    Domain,
)


def domain_get(*, domain: str) -> Domain:
    try:
        return Domain.objects.select_related("pool").get(domain=domain)
    except Domain.DoesNotExist:
        raise ResourceNotFoundException(f"Domain {domain} does not exist.") from None
