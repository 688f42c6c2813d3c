from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cognitoadmin.errors import (
    NotAuthorizedException,
    ResourceNotFoundException,
    TooManyRequestsException,
)
from identities.selectors import operator_has_otp_device, operator_otp_device_for_token
from identities.services.operators import (
    BACKUP_CODE_COUNT,
    operator_backup_codes_generate,
    operator_totp_device_confirm,
    operator_totp_device_start,
)
from pools.errors import CodeMismatchException
from tests.builders import make_operator, totp_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(db: None) -> User:
    return make_operator(username="newcomer", with_device=False)


def test_start_creates_one_unconfirmed_device_and_reuses_it(newcomer: User) -> None:
    first = operator_totp_device_start(operator=newcomer)
    again = operator_totp_device_start(operator=newcomer)

    assert first == again
    assert not first.confirmed
    assert not operator_has_otp_device(operator=newcomer)


def test_confirm_with_a_current_code(newcomer: User) -> None:
    device = operator_totp_device_start(operator=newcomer)

    confirmed, codes = operator_totp_device_confirm(operator=newcomer, token=totp_token(device))

    assert confirmed == device
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert len(codes) == BACKUP_CODE_COUNT == len(set(codes))
    stored = StaticToken.objects.filter(device__user=newcomer).values_list("token", flat=True)
    assert sorted(stored) == sorted(codes)
    assert operator_has_otp_device(operator=newcomer)


def test_confirm_refuses_a_wrong_code_and_counts_the_failure(newcomer: User) -> None:
    device = operator_totp_device_start(operator=newcomer)
    wrong = str((int(totp_token(device)) + 1) % 1_000_000).zfill(6)

    with pytest.raises(CodeMismatchException):
        operator_totp_device_confirm(operator=newcomer, token=wrong)

    stored = TOTPDevice.objects.get(pk=device.pk)
    assert not stored.confirmed
    assert stored.throttling_failure_count == 1
    assert not StaticDevice.objects.filter(user=newcomer).exists()


def test_confirm_is_throttled_after_a_failure(newcomer: User) -> None:
    device = operator_totp_device_start(operator=newcomer)
    with pytest.raises(CodeMismatchException):
        operator_totp_device_confirm(operator=newcomer, token="000000x")

    with pytest.raises(TooManyRequestsException):
        operator_totp_device_confirm(operator=newcomer, token=totp_token(device))

    assert not TOTPDevice.objects.get(pk=device.pk).confirmed


def test_confirm_without_a_pending_device(newcomer: User) -> None:
    with pytest.raises(ResourceNotFoundException):
        operator_totp_device_confirm(operator=newcomer, token="123456")

    assert not TOTPDevice.objects.exists()


def test_an_operator_with_a_device_cannot_enrol_another(operator: User) -> None:
    with pytest.raises(NotAuthorizedException, match="already has"):
        operator_totp_device_start(operator=operator)
    with pytest.raises(NotAuthorizedException, match="already has"):
        operator_totp_device_confirm(operator=operator, token="123456")

    assert TOTPDevice.objects.filter(user=operator).count() == 1


def test_backup_codes_are_replaced_not_added(operator: User) -> None:
    old = set(StaticToken.objects.filter(device__user=operator).values_list("token", flat=True))

    new = operator_backup_codes_generate(operator=operator)

    stored = set(StaticToken.objects.filter(device__user=operator).values_list("token", flat=True))
    assert stored == set(new)
    assert not old & stored
    assert StaticDevice.objects.filter(user=operator).count() == 1


def test_token_shape_picks_the_device(operator: User) -> None:
    totp = TOTPDevice.objects.get(user=operator)
    static = StaticDevice.objects.get(user=operator)

    assert operator_otp_device_for_token(operator=operator, token="123456") == totp
    assert operator_otp_device_for_token(operator=operator, token="abcd2345") == static
    assert operator_otp_device_for_token(operator=operator, token="12345678") == static
