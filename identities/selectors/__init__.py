"""Shared reads for identities: operators, their access keys and their OTP devices."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from cognitoadmin.errors import ResourceNotFoundException
from identities.models import AccessKey


def operator_get(*, username: str) -> User:
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist:
        raise ResourceNotFoundException(f"Operator {username} does not exist.") from None


def access_key_get(*, access_key_id: str) -> AccessKey:
    try:
        return AccessKey.objects.select_related("operator").get(access_key_id=access_key_id)
    except AccessKey.DoesNotExist:
        raise ResourceNotFoundException(f"Access key {access_key_id} does not exist.") from None


def access_key_list(*, operator: User | None = None) -> QuerySet[AccessKey]:
    keys = AccessKey.objects.select_related("operator").order_by("operator__username", "id")
    return keys if operator is None else keys.filter(operator=operator)


def operator_has_otp_device(*, operator: User) -> bool:
    has_device: bool = (
        TOTPDevice.objects.filter(user=operator, confirmed=True).exists()
        or StaticDevice.objects.filter(user=operator, confirmed=True).exists()
    )
    return has_device


def operator_otp_device_for_token(
    *, operator: User, token: str, for_verify: bool = False
) -> Device | None:
    """The device a token is meant for, told by its shape: digits for the authenticator app,
    anything else for a backup code.

    Trying the token on every device instead would count a failure against each one it does
    not match, and throttle devices that were never used.
    """
    totp_devices = TOTPDevice.objects.filter(user=operator, confirmed=True).order_by("id")
    static_devices = StaticDevice.objects.filter(user=operator, confirmed=True).order_by("id")
    if for_verify:
        totp_devices = totp_devices.select_for_update()
        static_devices = static_devices.select_for_update()
    if token.isdigit():
        totp = next((d for d in totp_devices if len(token) == d.digits), None)
        if totp is not None:
            return totp
    device: Device | None = static_devices.first()
    return device
