"""An identity pool's Cognito Sync configuration and its identities' push devices, as read.

A pool never configured has no row: it reads as the defaults (nothing pushed, nothing streamed,
no events, no bulk publish), and only a write makes the row.
"""

from __future__ import annotations

import re

from cognitoadmin.errors import NotAuthorizedException, ResourceNotFoundException
from identities.models import Identity, IdentityPool
from sync.models import SyncConfiguration, SyncDevice
from sync.selectors.datasets import sync_identity_get

# The device ids RegisterDevice hands out (UUIDs): nothing else can name a device, so nothing
# else is looked up (nor text no column compares, such as NUL).
_DEVICE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def sync_configuration_get(*, pool: IdentityPool) -> SyncConfiguration:
    """`pool`'s configuration; unsaved defaults for a pool that was never configured."""
    found = SyncConfiguration.objects.filter(identity_pool=pool).first()
    return found or SyncConfiguration(identity_pool=pool)


def push_application_arn(configuration: SyncConfiguration, platform: str) -> str | None:
    """The platform application push sync sends `platform`'s devices through, if it has one."""
    arns: list[str] = configuration.push_application_arns
    return next((arn for arn in arns if f":app/{platform}/" in arn), None)


def streaming_configuration_get(*, identity_pk: int) -> SyncConfiguration | None:
    """The configuration of the identity's pool if its changes go to a stream now (one query,
    run for every change: the identity need not be loaded)."""
    return (
        SyncConfiguration.objects.filter(
            identity_pool__identities__pk=identity_pk, streaming_enabled=True
        )
        .exclude(stream_name="")
        .first()
    )


def sync_device_identity_get(
    *, identity_pool_id: str, identity_id: str, caller_identity_id: str | None
) -> Identity:
    """The identity a device call names. Cognito takes RegisterDevice, SubscribeToDataset and
    UnsubscribeFromDataset with an identity's own temporary credentials only, never with
    developer credentials; and an identity reaches only itself (`sync_identity_get`)."""
    if caller_identity_id is None:
        raise NotAuthorizedException(
            "This operation can only be called with the temporary credentials of an identity."
        )
    return sync_identity_get(
        identity_pool_id=identity_pool_id,
        identity_id=identity_id,
        caller_identity_id=caller_identity_id,
    )


def sync_device_get(*, identity: Identity, device_id: str) -> SyncDevice:
    """`identity`'s device `device_id`; another identity's is not found, as none is."""
    device = (
        SyncDevice.objects.filter(identity=identity, device_id=device_id).first()
        if _DEVICE_ID.fullmatch(device_id)
        else None
    )
    if device is None:
        raise ResourceNotFoundException(f"Device '{device_id}' not found.")
    return device
