"""Push sync's devices and their dataset subscriptions (RegisterDevice, SubscribeToDataset,
UnsubscribeFromDataset).

Registrations and subscriptions are stored, and shown to operators; sync.services.push sends
the notifications.

- A device registers for one of the platforms whose application the pool's push sync names
  (InvalidConfigurationException otherwise). The same identity, platform and token register
  once: registering again answers the same DeviceId.
- A device subscribes to its identity's datasets by name, existing or not; subscribing twice is
  one subscription, and unsubscribing from what it is not subscribed to changes nothing.
"""

from __future__ import annotations

import uuid

from django.db import transaction

from cognitoadmin.awsmodel import model_validate
from cognitoadmin.errors import InvalidParameterException
from identities.models import Identity
from sync.errors import InvalidConfigurationException
from sync.models import DatasetSubscription, SyncDevice
from sync.selectors.configuration import push_application_arn, sync_configuration_get
from sync.selectors.datasets import SERVICE

# Push tokens are short (APNs 64 hex digits, FCM about 160 characters); no model limit applies.
MAX_TOKEN_LENGTH = 4096


def _push_sync_check(identity: Identity, platform: str | None = None) -> None:
    configuration = sync_configuration_get(pool=identity.pool)
    arns: list[str] = configuration.push_application_arns
    if not (configuration.push_role_arn and arns):
        raise InvalidConfigurationException(
            f"Push sync is not configured for identity pool {identity.pool.identity_pool_id}."
        )
    if platform is not None and push_application_arn(configuration, platform) is None:
        raise InvalidConfigurationException(f"Push sync has no {platform} platform application.")


def _token_check(token: str) -> None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidParameterException(f"Token must have length between 1 and {MAX_TOKEN_LENGTH}.")
    if not token.isprintable() or not token.isascii():
        raise InvalidParameterException("Token holds a character that is not allowed.")


@transaction.atomic
def sync_device_register(*, identity: Identity, platform: str, token: str) -> SyncDevice:
    model_validate(
        "RegisterDevice",
        {
            "IdentityPoolId": identity.pool.identity_pool_id,
            "IdentityId": identity.identity_id,
            "Platform": platform,
            "Token": token,
        },
        service=SERVICE,
    )
    _token_check(token)
    _push_sync_check(identity, platform)
    # The identity's row lock keeps two registrations of one token from making two devices.
    Identity.objects.select_for_update().filter(pk=identity.pk).first()
    found = SyncDevice.objects.filter(identity=identity, platform=platform, token=token).first()
    if found is not None:
        return found
    return SyncDevice.objects.create(
        device_id=str(uuid.uuid4()), identity=identity, platform=platform, token=token
    )


def _subscription_validate(operation: str, device: SyncDevice, dataset_name: str) -> None:
    model_validate(
        operation,
        {
            "IdentityPoolId": device.identity.pool.identity_pool_id,
            "IdentityId": device.identity.identity_id,
            "DatasetName": dataset_name,
            "DeviceId": device.device_id,
        },
        service=SERVICE,
    )


@transaction.atomic
def dataset_subscription_create(*, device: SyncDevice, dataset_name: str) -> DatasetSubscription:
    _subscription_validate("SubscribeToDataset", device, dataset_name)
    _push_sync_check(device.identity)
    subscription, _ = DatasetSubscription.objects.get_or_create(
        device=device, dataset_name=dataset_name
    )
    return subscription


@transaction.atomic
def dataset_subscription_delete(*, device: SyncDevice, dataset_name: str) -> None:
    _subscription_validate("UnsubscribeFromDataset", device, dataset_name)
    DatasetSubscription.objects.filter(device=device, dataset_name=dataset_name).delete()
