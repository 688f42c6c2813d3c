"""Remembered devices, as Cognito tracks them in a pool with a DeviceConfiguration.

A sign-in from no known device is given NewDeviceMetadata: a device key (`<region>_<uuid>`) and a
group key, recorded here unconfirmed, and carried by the sign-in's tokens. ConfirmDevice gives the
device an SRP verifier of its own, computed by the client from a random device password (sealed
at rest, like users' verifiers). From then on a sign-in naming the device's key proves the device
by DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER (SRP with the group key as pool name and the
device key as user id), and a remembered device skips MFA. Whether a confirmed device is
remembered at once or only when the user says so (UpdateDeviceStatus) is the pool's
DeviceOnlyRememberedOnUserPrompt.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import uuid

from django.db import transaction
from django.utils import timezone

from cognitoadmin.crypto import seal, unseal_str
from pools.errors import DeviceKeyExistsException, InvalidParameterException
from pools.models import Device, DeviceRememberedStatus, PoolUser
from pools.selectors.devices import device_get
from pools.services.srp import N

VERIFIER_PURPOSE = "device_srp_verifier"
# Cognito's group keys are short opaque strings such as `-4mRA2Dsu`.
GROUP_KEY_BYTES = 9
# The client's salt: 16 bytes from acij, Amplify and pycognito; a little room for other clients.
MAX_SALT_BYTES = 64


def device_track(*, user: PoolUser) -> Device | None:
    """A new, unconfirmed device for a sign-in that named none, in a pool that tracks devices."""
    if not user.pool.device_tracking_enabled:
        return None
    return Device.objects.create(
        pool_id=user.pool_id,
        user=user,
        device_key=f"{user.pool.region}_{uuid.uuid4()}",
        device_group_key="-" + secrets.token_urlsafe(GROUP_KEY_BYTES),
        last_authenticated_at=timezone.now(),
    )


def _base64_value(value: str, member: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidParameterException(f"{member} must be base64.") from None
    if not raw:
        raise InvalidParameterException(f"{member} must not be empty.")
    return raw


@transaction.atomic
def device_confirm(*, user: PoolUser, device_key: str, verifier: str, salt: str, name: str) -> bool:
    """ConfirmDevice: the device's SRP verifier and salt (base64 of their bytes, as clients send
    DeviceSecretVerifierConfig) and its name. Returns UserConfirmationNecessary: whether the user
    must still choose to remember it."""
    device = device_get(user=user, device_key=device_key)
    if device.confirmed:
        raise DeviceKeyExistsException()
    verifier_bytes = _base64_value(verifier, "DeviceSecretVerifierConfig.PasswordVerifier")
    salt_bytes = _base64_value(salt, "DeviceSecretVerifierConfig.Salt")
    value = int.from_bytes(verifier_bytes, "big")
    if not 0 < value < N or len(salt_bytes) > MAX_SALT_BYTES:
        raise InvalidParameterException("DeviceSecretVerifierConfig is not a valid SRP verifier.")
    prompt = user.pool.device_only_remembered_on_user_prompt
    device.srp_salt = salt_bytes.hex()
    device.srp_verifier_sealed = seal(f"{value:x}", purpose=VERIFIER_PURPOSE)
    device.name = name
    device.confirmed = True
    device.remembered_status = (
        DeviceRememberedStatus.NOT_REMEMBERED if prompt else DeviceRememberedStatus.REMEMBERED
    )
    device.save()
    return prompt


def device_srp_material(device: Device) -> tuple[str, int]:
    """The salt (hex, as sent in SALT) and verifier of a confirmed device."""
    return device.srp_salt, int(
        unseal_str(device.srp_verifier_sealed, purpose=VERIFIER_PURPOSE), 16
    )


def device_status_update(*, user: PoolUser, device_key: str, status: str) -> Device:
    """UpdateDeviceStatus: remembered or not_remembered, for a confirmed device."""
    if status not in DeviceRememberedStatus.values:
        raise InvalidParameterException(
            "DeviceRememberedStatus must be remembered or not_remembered."
        )
    device = device_get(user=user, device_key=device_key)
    if not device.confirmed:
        raise InvalidParameterException("The device has not been confirmed.")
    device.remembered_status = status
    device.save(update_fields=["remembered_status", "updated_at"])
    return device


def device_skips_mfa(device: Device) -> bool:
    """A device the user chose (or the pool chose) to remember signs in without MFA, once it
    has proved itself."""
    return device.confirmed and device.remembered_status == DeviceRememberedStatus.REMEMBERED


def device_authenticated(*, device: Device) -> None:
    Device.objects.filter(pk=device.pk).update(
        last_authenticated_at=timezone.now(), updated_at=timezone.now()
    )


def device_forget(*, user: PoolUser, device_key: str) -> None:
    """ForgetDevice: the device is no longer known; its key signs in as a new device would not
    (ResourceNotFoundException), so clients drop it and start again."""
    device_get(user=user, device_key=device_key).delete()


def devices_forget_all(*, user: PoolUser) -> int:
    """An operator forgets every device of the user; returns how many."""
    deleted, _ = Device.objects.filter(user=user).delete()
    return deleted
