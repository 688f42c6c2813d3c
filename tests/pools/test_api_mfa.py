"""Management API: users' MFA (/api/v1/pools/{pool_id}/users/{username}/mfa/) and a pool's MFA
configuration (/api/v1/pools/{pool_id}/mfa-config/). Every refusal answers in the API's own
error shape and leaves things as they were."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from rest_framework.test import APIClient

from pools.models import PoolUser, SoftwareToken, UserPool
from pools.services.mfa import mfa_preference_set, software_token_associate, software_token_verify
from pools.shapes.pools import user_pool_mfa_config_shape
from tests.builders import make_operator, make_user, make_user_pool
from tests.pools.test_mfa import SMS_CONFIGURATION, mfa_pool, snapshot

pytestmark = pytest.mark.django_db

NO_MFA: dict[str, Any] = {"factors": [], "preferred": None, "software_token": None}


@pytest.fixture
def pool() -> UserPool:
    """An OPTIONAL pool allowing SMS, authenticator apps and email."""
    return mfa_pool()


@pytest.fixture
def bob(pool: UserPool) -> PoolUser:
    return make_user(
        pool=pool, username="bob", email="bob@example.com", phone_number="+15555550100"
    )


def mfa_url(user: PoolUser, username: str = "") -> str:
    return f"/api/v1/pools/{user.pool.pool_id}/users/{username or user.username}/mfa/"


def config_url(pool: UserPool) -> str:
    return f"/api/v1/pools/{pool.pool_id}/mfa-config/"


def set_up_authenticator(user: PoolUser, name: str = "Bob's phone") -> pyotp.TOTP:
    app = pyotp.TOTP(software_token_associate(user=user))
    software_token_verify(user=user, code=app.now(), friendly_name=name)
    return app


def refused(response: Any, status: int, code: str, before: dict[str, Any]) -> None:
    """`response` is the API's error `code` (with `status`), and nothing `snapshot` sees changed."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert body["message"]
    assert snapshot() == before


def support() -> APIClient:
    client = APIClient()
    client.force_authenticate(
        user=make_operator(
            username="sue", superuser=False, with_device=False, groups=("Support (read only)",)
        )
    )
    return client


# --- reading ----------------------------------------------------------------------------------


def test_a_user_without_mfa_reads_as_nothing_turned_on(api: APIClient, bob: PoolUser) -> None:
    response = api.get(mfa_url(bob))

    assert response.status_code == 200
    assert response.json() == NO_MFA


def test_the_factors_preference_and_authenticator_are_read(api: APIClient, bob: PoolUser) -> None:
    set_up_authenticator(bob)
    mfa_preference_set(
        user=bob, preferences={"SMSMfaSettings": {"Enabled": True, "PreferredMfa": True}}
    )

    body = api.get(mfa_url(bob)).json()

    assert body["factors"] == ["SMS_MFA", "SOFTWARE_TOKEN_MFA"]
    assert body["preferred"] == "SMS_MFA"
    assert body["software_token"]["friendly_name"] == "Bob's phone"
    assert body["software_token"]["verified"] is True
    assert "key" not in str(body).lower()


def test_an_authenticator_awaiting_its_first_code_reads_as_not_verified(
    api: APIClient, bob: PoolUser
) -> None:
    software_token_associate(user=bob)

    body = api.get(mfa_url(bob)).json()

    assert body["factors"] == []
    assert body["software_token"]["verified"] is False


# --- preferences ------------------------------------------------------------------------------


def test_patch_turns_factors_on_and_prefers_one(api: APIClient, bob: PoolUser) -> None:
    response = api.patch(
        mfa_url(bob),
        {
            "sms_mfa_settings": {"enabled": True},
            "email_mfa_settings": {"enabled": True, "preferred_mfa": True},
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "factors": ["SMS_MFA", "EMAIL_OTP"],
        "preferred": "EMAIL_OTP",
        "software_token": None,
    }
    bob.refresh_from_db()
    assert (bob.mfa_sms_enabled, bob.mfa_email_enabled, bob.mfa_preferred) == (
        True,
        True,
        "EMAIL_OTP",
    )


def test_patch_leaves_the_factors_it_does_not_name_alone(api: APIClient, bob: PoolUser) -> None:
    set_up_authenticator(bob)

    response = api.patch(mfa_url(bob), {"sms_mfa_settings": {"enabled": True}}, format="json")
    off = api.patch(mfa_url(bob), {"sms_mfa_settings": {"enabled": False}}, format="json")

    assert response.json()["factors"] == ["SMS_MFA", "SOFTWARE_TOKEN_MFA"]
    assert off.json()["factors"] == ["SOFTWARE_TOKEN_MFA"]


@pytest.mark.parametrize(
    "body",
    [
        {"sms_mfa_settings": {"enabled": "maybe"}},
        {"sms_mfa_settings": {"enabled": [True]}},
        {"email_mfa_settings": {"preferred_mfa": {"yes": 1}}},
        {"sms_mfa_settings": True},
        {"sms_mfa_settings": "on"},
        {"software_token_mfa_settings": [{"enabled": True}]},
        # AWS's own member names are not this API's: they are unknown members here.
        {"SMSMfaSettings": {"Enabled": True}},
        {"sms_mfa_settings": {"Enabled": True}},
        {"sms_mfa_settings": {"enabled": True}, "totp": {"enabled": True}},
        [{"sms_mfa_settings": {"enabled": True}}],
    ],
)
def test_patch_with_input_of_the_wrong_shape_is_invalid(
    api: APIClient, bob: PoolUser, body: Any
) -> None:
    before = snapshot()

    response = api.patch(mfa_url(bob), body, format="json")

    refused(response, 400, "InvalidParameterException", before)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # The user has no verified authenticator app.
        ({"software_token_mfa_settings": {"enabled": True}}, "not verified"),
        # Only one factor can be preferred, and a preferred one must be on.
        (
            {
                "sms_mfa_settings": {"enabled": True, "preferred_mfa": True},
                "email_mfa_settings": {"enabled": True, "preferred_mfa": True},
            },
            "Only one",
        ),
        ({"sms_mfa_settings": {"enabled": False, "preferred_mfa": True}}, "must be enabled"),
    ],
)
def test_patch_the_service_refuses_changes_nothing(
    api: APIClient, bob: PoolUser, body: dict[str, Any], message: str
) -> None:
    before = snapshot()

    response = api.patch(mfa_url(bob), body, format="json")

    refused(response, 400, "InvalidParameterException", before)
    assert message in response.json()["message"]


def test_a_factor_the_pool_does_not_allow_is_refused(api: APIClient) -> None:
    pool = mfa_pool(sms=False, email=False)
    carol = make_user(pool=pool, username="carol", phone_number="+15555550101")
    before = snapshot()

    response = api.patch(mfa_url(carol), {"sms_mfa_settings": {"enabled": True}}, format="json")

    refused(response, 400, "InvalidParameterException", before)
    assert "SMS_MFA is not enabled for this user pool" in response.json()["message"]


def test_a_user_without_a_phone_number_cannot_turn_sms_on(api: APIClient, pool: UserPool) -> None:
    dave = make_user(pool=pool, username="dave", email="dave@example.com")
    before = snapshot()

    response = api.patch(mfa_url(dave), {"sms_mfa_settings": {"enabled": True}}, format="json")

    refused(response, 400, "InvalidParameterException", before)


# --- reset ------------------------------------------------------------------------------------


def test_reset_turns_every_factor_off_and_forgets_the_authenticator(
    api: APIClient, bob: PoolUser
) -> None:
    set_up_authenticator(bob)
    mfa_preference_set(
        user=bob, preferences={"SMSMfaSettings": {"Enabled": True, "PreferredMfa": True}}
    )

    response = api.post(f"{mfa_url(bob)}reset/")

    assert response.status_code == 200
    assert response.json() == NO_MFA
    assert api.get(mfa_url(bob)).json() == NO_MFA
    assert not SoftwareToken.objects.filter(user=bob).exists()


def test_reset_of_a_user_without_mfa_is_harmless(api: APIClient, bob: PoolUser) -> None:
    response = api.post(f"{mfa_url(bob)}reset/")

    assert response.status_code == 200
    assert response.json() == NO_MFA


# --- who and whose ----------------------------------------------------------------------------


def _calls(url: str) -> list[tuple[str, str, Any]]:
    return [
        ("get", url, None),
        ("patch", url, {"sms_mfa_settings": {"enabled": True}}),
        ("post", f"{url}reset/", None),
    ]


def test_an_unknown_user_is_not_found(api: APIClient, bob: PoolUser) -> None:
    before = snapshot()

    for method, url, body in _calls(mfa_url(bob, username="nobody")):
        response = getattr(api, method)(url, body, format="json")
        refused(response, 404, "UserNotFoundException", before)


def test_another_pools_user_is_not_found_and_keeps_their_mfa(api: APIClient, bob: PoolUser) -> None:
    set_up_authenticator(bob)
    other = make_user_pool(name="other")
    before = snapshot()

    for method, url, body in _calls(f"/api/v1/pools/{other.pool_id}/users/bob/mfa/"):
        response = getattr(api, method)(url, body, format="json")
        refused(response, 404, "UserNotFoundException", before)
    assert SoftwareToken.objects.filter(user=bob).exists()


def test_an_unknown_pool_is_not_found(api: APIClient, bob: PoolUser) -> None:
    before = snapshot()

    for method, url, body in _calls("/api/v1/pools/us-east-1_nope/users/bob/mfa/"):
        response = getattr(api, method)(url, body, format="json")
        refused(response, 404, "ResourceNotFoundException", before)


def test_support_reads_mfa_but_cannot_change_or_reset_it(bob: PoolUser) -> None:
    set_up_authenticator(bob)
    client = support()
    before = snapshot()

    read = client.get(mfa_url(bob))
    changed = client.patch(mfa_url(bob), {"sms_mfa_settings": {"enabled": True}}, format="json")
    reset = client.post(f"{mfa_url(bob)}reset/")

    assert read.status_code == 200
    assert read.json()["factors"] == ["SOFTWARE_TOKEN_MFA"]
    refused(changed, 403, "AccessDeniedException", before)
    assert "cognito-idp:AdminSetUserMFAPreference" in changed.json()["message"]
    refused(reset, 403, "AccessDeniedException", before)
    assert "cognitoadmin:AdminResetUserMFA" in reset.json()["message"]


# --- the pool's MFA configuration -------------------------------------------------------------


def test_the_pools_mfa_configuration_is_read(api: APIClient, pool: UserPool) -> None:
    response = api.get(config_url(pool))

    assert response.status_code == 200
    assert response.json() == {
        "mfa_configuration": "OPTIONAL",
        "sms_mfa_configuration": {
            "sms_authentication_message": "Sign-in code {####}",
            "sms_configuration": {
                "sns_caller_arn": SMS_CONFIGURATION["SnsCallerArn"],
                "external_id": SMS_CONFIGURATION["ExternalId"],
            },
        },
        "software_token_mfa_configuration": {"enabled": True},
        "email_mfa_configuration": {"message": "Your code: {####}", "subject": "Sign-in"},
    }


def test_put_replaces_the_factors_and_sets_mfa_on(api: APIClient, pool: UserPool) -> None:
    response = api.put(
        config_url(pool),
        {"mfa_configuration": "ON", "software_token_mfa_configuration": {"enabled": True}},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "mfa_configuration": "ON",
        "software_token_mfa_configuration": {"enabled": True},
    }
    pool.refresh_from_db()
    assert (pool.mfa_configuration, pool.sms_mfa_enabled, pool.email_mfa_enabled) == (
        "ON",
        False,
        False,
    )
    assert pool.software_token_mfa_enabled is True


def test_put_turns_mfa_off(api: APIClient, pool: UserPool) -> None:
    response = api.put(config_url(pool), {"mfa_configuration": "OFF"}, format="json")

    assert response.status_code == 200, response.json()
    # The same shape as GetUserPoolMfaConfig's, which names no factor once MFA is OFF.
    assert response.json() == {"mfa_configuration": "OFF"}


@pytest.mark.parametrize(
    "body",
    [
        {"mfa_configuration": "SOMETIMES"},
        {"mfa_configuration": 1},
        {"software_token_mfa_configuration": {"enabled": "maybe"}},
        {"software_token_mfa_configuration": True},
        {"email_mfa_configuration": {"message": ["x"]}},
        {"MfaConfiguration": "ON"},
        {"sms_mfa_configuration": {"sms_configuration": {}}},
        # The service's rules: MFA off with a factor; MFA on with none.
        {"mfa_configuration": "OFF", "software_token_mfa_configuration": {"enabled": True}},
        {"mfa_configuration": "ON"},
    ],
)
def test_put_of_a_configuration_refused_changes_nothing(
    api: APIClient, pool: UserPool, body: Any
) -> None:
    before = user_pool_mfa_config_shape(pool)

    response = api.put(config_url(pool), body, format="json")

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "InvalidParameterException"
    pool.refresh_from_db()
    assert user_pool_mfa_config_shape(pool) == before


def test_support_reads_the_configuration_but_cannot_set_it(pool: UserPool) -> None:
    client = support()
    before = user_pool_mfa_config_shape(pool)

    read = client.get(config_url(pool))
    put = client.put(config_url(pool), {"mfa_configuration": "OFF"}, format="json")

    assert read.status_code == 200
    assert put.status_code == 403
    assert put.json()["code"] == "AccessDeniedException"
    pool.refresh_from_db()
    assert user_pool_mfa_config_shape(pool) == before
