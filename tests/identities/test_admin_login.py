"""Signing in to the OTP-protected admin site, and setting up an operator's authenticator."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings

from identities.admin_site import SETUP_SESSION_KEY, SETUP_TIMEOUT_SECONDS
from tests.builders import OPERATOR_PASSWORD, make_operator, totp_token

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
SETUP = "/admin/otp/setup/"
INDEX = "/admin/"


def log_in(client: Client, username: str = "operator", **fields: str) -> TestResponse:
    data = {"username": username, "password": OPERATOR_PASSWORD, "next": INDEX, **fields}
    response: TestResponse = client.post(LOGIN, data)
    return response


def device_of(operator: User) -> TOTPDevice:
    device: TOTPDevice = TOTPDevice.objects.get(user=operator)
    return device


def backup_codes(operator: User) -> list[str]:
    return list(StaticToken.objects.filter(device__user=operator).values_list("token", flat=True))


def can_open_admin(client: Client) -> bool:
    return client.get(INDEX).status_code == 200


def start_setup(client: Client, username: str = "newcomer") -> User:
    """An operator without a device gives the right password: the set-up begins."""
    newcomer = make_operator(username=username, with_device=False)
    response = log_in(client, username)
    assert response.status_code == 302
    assert response["Location"] == SETUP
    return newcomer


def test_admin_pages_need_a_sign_in(client: Client) -> None:
    response = client.get(INDEX)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_login_page_asks_for_a_one_time_code(client: Client) -> None:
    response = client.get(LOGIN)

    assert response.status_code == 200
    assert b'name="otp_token"' in response.content


def test_login_with_password_and_totp_code(client: Client, operator: User) -> None:
    response = log_in(client, otp_token=totp_token(device_of(operator)))

    assert response.status_code == 302
    assert response["Location"] == INDEX
    assert client.session[DEVICE_ID_SESSION_KEY] == device_of(operator).persistent_id
    assert can_open_admin(client)


def test_code_typed_with_spaces_is_accepted(client: Client, operator: User) -> None:
    code = totp_token(device_of(operator))

    response = log_in(client, otp_token=f" {code[:3]} {code[3:]} ")

    assert response.status_code == 302
    assert can_open_admin(client)


def test_wrong_code_is_refused(client: Client, operator: User) -> None:
    code = totp_token(device_of(operator))
    wrong = str((int(code) + 1) % 1_000_000).zfill(6)

    response = log_in(client, otp_token=wrong)

    assert response.status_code == 200
    assert "That code is not valid" in response.content.decode()
    assert not can_open_admin(client)
    assert device_of(operator).throttling_failure_count == 1


def test_missing_code_is_refused(client: Client, operator: User) -> None:
    response = log_in(client)

    assert response.status_code == 200
    assert "Enter the code from your authenticator app" in response.content.decode()
    assert not can_open_admin(client)


def test_right_code_with_wrong_password_is_refused(client: Client, operator: User) -> None:
    code = totp_token(device_of(operator))

    response = log_in(client, password="wrong", otp_token=code)

    assert response.status_code == 200
    assert not can_open_admin(client)
    # The code was not even tried, so it is still good for a sign-in with the right password.
    assert log_in(client, otp_token=code).status_code == 302


def test_backup_code_works_once(client: Client, operator: User) -> None:
    code = backup_codes(operator)[0]

    first = log_in(client, otp_token=code.upper())
    assert first.status_code == 302
    assert can_open_admin(client)
    client.logout()

    again = log_in(client, otp_token=code)
    assert again.status_code == 200
    assert not can_open_admin(client)
    assert code not in backup_codes(operator)
    assert len(backup_codes(operator)) == 9


def test_non_staff_user_is_refused_before_any_setup(client: Client) -> None:
    User.objects.create_user(username="someone", password=OPERATOR_PASSWORD)

    response = log_in(client, "someone")

    assert response.status_code == 200
    assert "staff account" in response.content.decode()
    assert SETUP_SESSION_KEY not in client.session
    assert not TOTPDevice.objects.exists()


def test_unverified_session_cannot_open_admin_pages(client: Client, operator: User) -> None:
    client.force_login(operator)

    for page in (INDEX, "/admin/identities/accesskey/", "/admin/auth/user/"):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith(LOGIN)


def test_operator_without_device_is_led_to_setup(client: Client) -> None:
    newcomer = start_setup(client)

    assert not can_open_admin(client)  # nothing counts as signed in yet
    page = client.get(SETUP)
    assert page.status_code == 200
    content = page.content.decode()
    assert "<svg" in content
    device = TOTPDevice.objects.get(user=newcomer)
    assert not device.confirmed
    key = re.search(r'class="otp-key">([A-Z2-7 ]+)<', content)
    assert key is not None
    assert key.group(1).replace(" ", "") in device.config_url


def test_setup_reuses_the_pending_device_on_reload(client: Client) -> None:
    newcomer = start_setup(client)

    client.get(SETUP)
    client.get(SETUP)

    assert TOTPDevice.objects.filter(user=newcomer).count() == 1


def test_setup_confirms_the_device_and_shows_backup_codes_once(client: Client) -> None:
    newcomer = start_setup(client)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=newcomer)

    code = totp_token(device)
    response = client.post(SETUP, {"otp_token": f"{code[:3]} {code[3:]}"})

    assert response.status_code == 200
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", response.content.decode())
    assert len(codes) == 10
    assert sorted(codes) == sorted(backup_codes(newcomer))
    assert TOTPDevice.objects.get(user=newcomer).confirmed
    assert StaticDevice.objects.get(user=newcomer).confirmed
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert SETUP_SESSION_KEY not in client.session
    assert can_open_admin(client)
    # The set-up is over: the page no longer exists for this session.
    assert client.get(SETUP)["Location"] == LOGIN


def test_setup_refuses_a_wrong_code(client: Client) -> None:
    newcomer = start_setup(client)
    client.get(SETUP)

    response = client.post(SETUP, {"otp_token": "000000"})

    assert response.status_code == 200
    assert "does not match" in response.content.decode()
    assert not TOTPDevice.objects.get(user=newcomer).confirmed
    assert not StaticDevice.objects.filter(user=newcomer).exists()
    assert not can_open_admin(client)


def test_after_setup_the_operator_signs_in_with_the_app(client: Client) -> None:
    newcomer = start_setup(client)
    client.get(SETUP)
    client.post(SETUP, {"otp_token": totp_token(TOTPDevice.objects.get(user=newcomer))})
    client.logout()

    without_code = log_in(client, "newcomer")
    assert without_code.status_code == 200  # no second set-up
    with_code = log_in(client, "newcomer", otp_token=totp_token(device_of(newcomer)))
    assert with_code.status_code == 302
    assert can_open_admin(client)


def test_setup_page_needs_a_password_first(client: Client) -> None:
    response = client.get(SETUP)

    assert response.status_code == 302
    assert response["Location"] == LOGIN


def test_setup_expires(client: Client) -> None:
    start_setup(client)
    session = client.session
    session[SETUP_SESSION_KEY] = {
        **session[SETUP_SESSION_KEY],
        "started": int(time.time()) - SETUP_TIMEOUT_SECONDS - 1,
    }
    session.save()

    response = client.get(SETUP)

    assert response["Location"] == LOGIN
    assert SETUP_SESSION_KEY not in client.session


def test_setup_ends_when_the_password_changes(client: Client) -> None:
    newcomer = start_setup(client)
    newcomer.set_password("another-Passw0rd!")
    newcomer.save()

    response = client.get(SETUP)

    assert response["Location"] == LOGIN
    assert not TOTPDevice.objects.filter(user=newcomer).exists()


def test_setup_keeps_where_the_operator_was_going(client: Client) -> None:
    newcomer = make_operator(username="newcomer", with_device=False)
    client.post(
        LOGIN,
        {"username": "newcomer", "password": OPERATOR_PASSWORD, "next": "/admin/auth/user/"},
    )
    client.get(SETUP)

    response = client.post(SETUP, {"otp_token": totp_token(TOTPDevice.objects.get(user=newcomer))})

    assert 'href="/admin/auth/user/"' in response.content.decode()


def test_createsuperuser_noinput_makes_an_operator_who_sets_up_otp(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "root")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", OPERATOR_PASSWORD)
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "root@example.com")

    call_command("createsuperuser", interactive=False, verbosity=0)

    root = User.objects.get(username="root")
    assert root.is_superuser
    assert root.is_staff
    assert root.check_password(OPERATOR_PASSWORD)
    response = log_in(client, "root")
    assert response["Location"] == SETUP


def test_without_otp_the_admin_is_djangos_plain_admin(client: Client, settings: Settings) -> None:
    settings.COGNITOADMIN_ADMIN_OTP_REQUIRED = False
    make_operator(username="dev", with_device=False)

    page = client.get(LOGIN)
    response = client.post(LOGIN, {"username": "dev", "password": OPERATOR_PASSWORD, "next": INDEX})

    assert b'name="otp_token"' not in page.content
    assert response.status_code == 302
    assert response["Location"] == INDEX
    assert can_open_admin(client)
    assert not TOTPDevice.objects.exists()
