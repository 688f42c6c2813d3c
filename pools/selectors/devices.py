"""Reads of a user's remembered devices. Every lookup is by the user as well as the key: a key of
another user's device is "not found", as on AWS."""

from __future__ import annotations

from pools.errors import ResourceNotFoundException
from pools.models import Device, PoolUser
from pools.selectors.pages import keyset_page

DEVICE_NOT_FOUND = "Device does not exist."
# ListDevices' Limit: 0-60, and 60 when left out.
MAX_DEVICES_PAGE = 60


def device_get(*, user: PoolUser, device_key: str) -> Device:
    """The user's device `device_key` names (ResourceNotFoundException, with the message
    Amplify and amazon-cognito-identity-js recover from, when there is none)."""
    device = Device.objects.filter(user=user, device_key=device_key).first()
    if device is None:
        raise ResourceNotFoundException(DEVICE_NOT_FOUND)
    return device


def devices_page(
    *, user: PoolUser, limit: int | None, pagination_token: str | None
) -> tuple[list[Device], str | None]:
    """ListDevices: the user's confirmed devices, a page at a time."""
    return keyset_page(
        Device.objects.filter(user=user, confirmed=True),
        limit=limit or MAX_DEVICES_PAGE,
        next_token=pagination_token,
        scope=f"devices:{user.pool_id}:{user.pk}",
    )
