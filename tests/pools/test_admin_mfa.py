"""Users' MFA in the admin: shown on the change page, reset by an action (for many users or one),
an authenticator app set up for a user by an operator; and the pool's MFA configuration. A
refusal is shown as an error and changes nothing."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pyotp
import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from pools.models import PoolUser, SoftwareToken, UserPool
from pools.services.mfa import mfa_preference_set, software_token_associate, software_token_verify
from pools.shapes.pools import user_pool_mfa_config_shape
from tests.builders import make_user
from tests.pools.test_admin_authorization import signed_in
from tests.pools.test_mfa import mfa_pool, snapshot

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

USERS = reverse("admin:pools_pooluser_changelist")


@pytest.fixture
def pool() -> UserPool:
    """An OPTIONAL pool allowing SMS, authenticator apps and email."""
    return mfa_pool()


@pytest.fixture
def bob(pool: UserPool) -> PoolUser:
    return make_user(
        pool=pool, username="bob", email="bob@example.com", phone_number="+15555550100"
    )


@pytest.fixture
def admin_client(db: None) -> Client:
    """An OTP-verified admin session of an operator in the Administrators group."""
    client, _ = signed_in("ada", "Administrators")
    return client


@pytest.fixture
def support(db: None) -> Client:
    client, _ = signed_in("sue", "Support (read only)")
    return client


def change_url(user: PoolUser) -> str:
    return reverse("admin:pools_pooluser_change", args=[user.pk])


def reset_url(user: PoolUser) -> str:
    return reverse("admin:pools_pooluser_reset_mfa", args=[user.pk])


def authenticator_url(user: PoolUser) -> str:
    return reverse("admin:pools_pooluser_software_token", args=[user.pk])


def config_url(pool: UserPool) -> str:
    return reverse("admin:pools_userpool_mfa_config", args=[pool.pk])


def shown(response: Response) -> list[tuple[int, str]]:
    return [(m.level, str(m)) for m in get_messages(response.wsgi_request)]


def set_up_authenticator(user: PoolUser, name: str = "Bob's phone") -> None:
    app = pyotp.TOTP(software_token_associate(user=user))
    software_token_verify(user=user, code=app.now(), friendly_name=name)


def reset_action(client: Client, users: list[PoolUser], **extra: Any) -> Response:
    data = {"action": "reset_mfa", "_selected_action": [u.pk for u in users], **extra}
    if "post" not in extra:
        data["index"] = 0
    return client.post(USERS, data)


def secret_on(page: Response) -> str:
    found = re.search(r'id="software-token-secret">([A-Z2-7]+)<', page.content.decode())
    assert found, "the page shows the secret"
    return found.group(1)


# --- the change page --------------------------------------------------------------------------


def test_the_change_page_shows_the_users_mfa(admin_client: Client, bob: PoolUser) -> None:
    set_up_authenticator(bob)
    mfa_preference_set(
        user=bob, preferences={"SMSMfaSettings": {"Enabled": True, "PreferredMfa": True}}
    )

    page = admin_client.get(change_url(bob))

    assert page.status_code == 200
    content = page.content.decode()
    assert "SMS_MFA, SOFTWARE_TOKEN_MFA" in content
    assert "Bob&#x27;s phone (verified)" in content
    assert 'name="mfa_preferred"' not in content  # shown, not edited
    assert page.context["adminform"].form.instance.mfa_preferred == "SMS_MFA"
    assert authenticator_url(bob) in content
    assert reset_url(bob) in content


def test_the_change_page_of_a_user_without_mfa(admin_client: Client, bob: PoolUser) -> None:
    software_token_associate(user=bob)

    content = admin_client.get(change_url(bob)).content.decode()

    assert re.search(r"Factors turned on.*?<div class=\"readonly\">none</div>", content, re.S)
    assert "(no name) (not verified yet)" in content


def test_an_authenticators_name_is_shown_escaped(admin_client: Client, bob: PoolUser) -> None:
    set_up_authenticator(bob, name="<script>alert(1)</script>")

    content = admin_client.get(change_url(bob)).content.decode()

    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt; (verified)" in content


# --- reset ------------------------------------------------------------------------------------


def test_the_reset_action_confirms_then_clears_every_factor(
    admin_client: Client, pool: UserPool, bob: PoolUser
) -> None:
    carol = make_user(pool=pool, username="carol", email="carol@example.com")
    set_up_authenticator(bob)
    mfa_preference_set(user=carol, preferences={"EmailMfaSettings": {"Enabled": True}})
    before = snapshot()

    confirmation = reset_action(admin_client, [bob, carol])

    assert confirmation.status_code == 200
    assert "authenticator app forgotten" in confirmation.content.decode()
    assert snapshot() == before

    done = reset_action(admin_client, [bob, carol], post="yes")

    assert done.status_code == 302
    assert shown(done) == [(messages.SUCCESS, "Reset MFA of 2 user(s).")]
    for user in (bob, carol):
        user.refresh_from_db()
        assert (user.mfa_sms_enabled, user.mfa_software_token_enabled) == (False, False)
        assert (user.mfa_email_enabled, user.mfa_preferred) == (False, "")
    assert not SoftwareToken.objects.exists()


def test_the_reset_of_one_user_from_the_change_page(admin_client: Client, bob: PoolUser) -> None:
    set_up_authenticator(bob)

    confirmation = admin_client.get(reset_url(bob))
    done = admin_client.post(reset_url(bob), {"post": "yes"})

    assert confirmation.status_code == 200
    assert "bob" in confirmation.content.decode()
    assert done.status_code == 302
    assert done["Location"] == change_url(bob)
    assert shown(done) == [(messages.SUCCESS, "Reset MFA of 1 user(s).")]
    bob.refresh_from_db()
    assert bob.mfa_software_token_enabled is False
    assert not SoftwareToken.objects.filter(user=bob).exists()


# --- setting up an authenticator app ----------------------------------------------------------


def test_the_set_up_page_changes_nothing_until_asked(admin_client: Client, bob: PoolUser) -> None:
    page = admin_client.get(authenticator_url(bob))

    assert page.status_code == 200
    content = page.content.decode()
    assert 'class="otp-qr"' not in content
    assert 'name="associate"' in content
    assert not SoftwareToken.objects.exists()


def test_an_authenticator_app_is_set_up_from_the_qr_code_and_a_code(
    admin_client: Client, bob: PoolUser
) -> None:
    page = admin_client.post(authenticator_url(bob), {"associate": "1"})

    assert page.status_code == 200
    content = page.content.decode()
    assert re.search(r'<p class="otp-qr"><svg [^>]*xmlns="http://www.w3.org/2000/svg"', content)
    assert "&lt;svg" not in content
    secret = secret_on(page)
    assert secret not in str(dict(admin_client.session.items()))
    token = SoftwareToken.objects.get(user=bob)
    assert token.pending_key_sealed and secret not in token.pending_key_sealed
    assert not token.confirmed

    verified = admin_client.post(
        authenticator_url(bob), {"code": pyotp.TOTP(secret).now(), "friendly_name": "Work"}
    )

    assert verified.status_code == 302
    assert verified["Location"] == change_url(bob)
    assert shown(verified) == [
        (messages.SUCCESS, "The authenticator app of bob is verified; its MFA is on.")
    ]
    bob.refresh_from_db()
    assert bob.mfa_software_token_enabled is True
    token.refresh_from_db()
    assert (token.confirmed, token.friendly_name) == (True, "Work")
    assert "Work (verified)" in admin_client.get(change_url(bob)).content.decode()


def test_the_secret_is_shown_once(admin_client: Client, bob: PoolUser) -> None:
    secret = secret_on(admin_client.post(authenticator_url(bob), {"associate": "1"}))

    again = admin_client.get(authenticator_url(bob)).content.decode()

    assert secret not in again
    assert 'class="otp-qr"' not in again


@pytest.mark.parametrize("code", ["000000", "12345", "abcdef", "1234567"])
def test_a_wrong_code_is_an_error_and_changes_nothing(
    admin_client: Client, bob: PoolUser, code: str
) -> None:
    secret = secret_on(admin_client.post(authenticator_url(bob), {"associate": "1"}))
    if code == "000000" and pyotp.TOTP(secret).verify(code, valid_window=1):
        code = "999999"  # not today's lucky code
    before = snapshot()

    response = admin_client.post(authenticator_url(bob), {"code": code})

    assert response.status_code == 302
    assert response["Location"] == authenticator_url(bob)
    [(level, _text)] = shown(response)
    assert level == messages.ERROR
    assert snapshot() == before
    bob.refresh_from_db()
    assert bob.mfa_software_token_enabled is False


def test_a_code_before_any_secret_is_an_error(admin_client: Client, bob: PoolUser) -> None:
    response = admin_client.post(authenticator_url(bob), {"code": "123456"})

    assert shown(response)[0][0] == messages.ERROR
    assert not SoftwareToken.objects.exists()


def test_a_pool_without_authenticator_apps_refuses_the_set_up(admin_client: Client) -> None:
    pool = mfa_pool(totp=False)
    dave = make_user(pool=pool, username="dave")

    response = admin_client.post(authenticator_url(dave), {"associate": "1"})

    assert response.status_code == 302
    assert shown(response) == [
        (messages.ERROR, "Software token MFA is not enabled for this user pool.")
    ]
    assert not SoftwareToken.objects.exists()


# --- who may ----------------------------------------------------------------------------------


def test_support_sees_the_mfa_but_cannot_reset_or_set_it_up(support: Client, bob: PoolUser) -> None:
    set_up_authenticator(bob)
    before = snapshot()

    page = support.get(change_url(bob))
    listed = support.get(USERS)
    action = reset_action(support, [bob], post="yes")
    reset_page = support.get(reset_url(bob))
    reset_post = support.post(reset_url(bob), {"post": "yes"})
    set_up_page = support.get(authenticator_url(bob))
    associate = support.post(authenticator_url(bob), {"associate": "1"})

    assert page.status_code == 200
    content = page.content.decode()
    assert "Bob&#x27;s phone (verified)" in content
    assert reset_url(bob) not in content
    assert authenticator_url(bob) not in content
    assert listed.context["action_form"] is None
    assert action.status_code == 200  # the list again: an action not offered is not run
    statuses = [r.status_code for r in (reset_page, reset_post, set_up_page, associate)]
    assert statuses == [403, 403, 403, 403]
    assert snapshot() == before


def test_an_unknown_user_has_no_mfa_pages(admin_client: Client) -> None:
    assert admin_client.get("/admin/pools/pooluser/999999/mfa/reset/").status_code == 404
    assert admin_client.get("/admin/pools/pooluser/999999/mfa/authenticator/").status_code == 404


# --- the pool's MFA configuration -------------------------------------------------------------


def test_the_pool_page_links_to_its_mfa_configuration(admin_client: Client, pool: UserPool) -> None:
    page = admin_client.get(reverse("admin:pools_userpool_change", args=[pool.pk]))

    assert config_url(pool) in page.content.decode()


def test_the_mfa_configuration_form_shows_the_current_one(
    admin_client: Client, pool: UserPool
) -> None:
    form = admin_client.get(config_url(pool)).context["form"]

    assert form.initial == {
        "mfa_configuration": "OPTIONAL",
        "sms": True,
        "sms_authentication_message": "Sign-in code {####}",
        "software_token": True,
        "email": True,
        "email_subject": "Sign-in",
        "email_message": "Your code: {####}",
    }


def test_the_mfa_configuration_is_set_through_the_service(
    admin_client: Client, pool: UserPool
) -> None:
    response = admin_client.post(
        config_url(pool), {"mfa_configuration": "ON", "software_token": "on"}
    )

    assert response.status_code == 302
    assert shown(response) == [(messages.SUCCESS, "The MFA configuration of test-pool is saved.")]
    pool.refresh_from_db()
    assert user_pool_mfa_config_shape(pool) == {
        "MfaConfiguration": "ON",
        "SoftwareTokenMfaConfiguration": {"Enabled": True},
    }


@pytest.mark.parametrize(
    "data",
    [
        {"mfa_configuration": "OFF", "software_token": "on"},
        {"mfa_configuration": "ON"},
        {"mfa_configuration": "OPTIONAL", "sms": "on", "sms_authentication_message": "no code"},
    ],
)
def test_a_configuration_the_service_refuses_is_an_error_and_changes_nothing(
    admin_client: Client, pool: UserPool, data: dict[str, str]
) -> None:
    before = user_pool_mfa_config_shape(pool)

    response = admin_client.post(config_url(pool), data)

    assert response.status_code == 200
    [(level, _text)] = shown(response)
    assert level == messages.ERROR
    pool.refresh_from_db()
    assert user_pool_mfa_config_shape(pool) == before


def test_support_cannot_set_the_mfa_configuration(support: Client, pool: UserPool) -> None:
    before = user_pool_mfa_config_shape(pool)

    page = support.get(reverse("admin:pools_userpool_change", args=[pool.pk]))
    posted = support.post(config_url(pool), {"mfa_configuration": "OFF"})

    assert config_url(pool) not in page.content.decode()
    assert posted.status_code == 403
    pool.refresh_from_db()
    assert user_pool_mfa_config_shape(pool) == before
