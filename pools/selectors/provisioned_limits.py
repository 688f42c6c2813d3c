"""Reads of the request rates UpdateProvisionedLimit set."""

from __future__ import annotations

from pools.models import ProvisionedLimit


def provisioned_limit_find(*, category: str) -> int | None:
    """The rate set for `category`, in requests per second; None where its default applies."""
    return (
        ProvisionedLimit.objects.filter(category=category)
        .values_list("requests_per_second", flat=True)
        .first()
    )
