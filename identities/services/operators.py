"""Operators' second factor for the admin site: an authenticator app (TOTP) and backup codes."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cognitoadmin.errors import (
    NotAuthorizedException,
    ResourceNotFoundException,
    TooManyRequestsException,
)
from identities.selectors import operator_has_otp_device
from pools.errors import CodeMismatchException

TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"
BACKUP_CODE_COUNT = 10


def _ensure_no_confirmed_device(operator: User) -> None:
    # Enrolling is allowed on a password alone, so it must never replace a device already in use.
    if operator_has_otp_device(operator=operator):
        raise NotAuthorizedException(
            f"Operator {operator.get_username()} already has a confirmed OTP device."
        )


def operator_totp_device_start(*, operator: User) -> TOTPDevice:
    """The authenticator device waiting for its first code, created on first call.

    Reused on later calls, so reloading the set-up page does not invalidate a scanned QR code.
    """
    _ensure_no_confirmed_device(operator)
    device = TOTPDevice.objects.filter(user=operator, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=operator, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def operator_totp_device_confirm(*, operator: User, token: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending authenticator with a code from it; returns it and fresh backup codes."""
    _ensure_no_confirmed_device(operator)
    codes: list[str] = []
    # A failed attempt is counted by the device itself (throttling); the error is raised only
    # after the block so that count is committed, not rolled back with the error.
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=operator, confirmed=False)
            .order_by("id")
            .first()
        )
        if device is None:
            raise ResourceNotFoundException(
                "No authenticator is waiting for confirmation; start the set-up again."
            )
        allowed, _ = device.verify_is_allowed()
        verified = allowed and device.verify_token(token)
        if verified:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = operator_backup_codes_generate(operator=operator)
    if not allowed:
        raise TooManyRequestsException(
            "Too many incorrect codes; wait a few seconds before trying again."
        )
    if not verified:
        raise CodeMismatchException(
            "That code does not match the authenticator; check the device's clock and try again."
        )
    return device, codes


@transaction.atomic
def operator_backup_codes_generate(*, operator: User) -> list[str]:
    """Replace the operator's backup codes with new single-use ones; returned once, stored plain
    (django-otp's static tokens are looked up by value)."""
    device = StaticDevice.objects.filter(user=operator, name=BACKUP_DEVICE_NAME).first()
    if device is None:
        device = StaticDevice.objects.create(user=operator, name=BACKUP_DEVICE_NAME, confirmed=True)
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes
