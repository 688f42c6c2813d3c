"""MFA through the sign-in services: which challenge Cognito's sequence asks for, authenticator
apps (codes computed by pyotp, as an app would), SMS and email codes read from what was sent,
preferences, and every wrong answer leaving things as they were."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import jwt
import pyotp
import pytest
from django.core import mail
from pytest_django import Settings

from cognitoadmin.errors import ServiceError
from pools.errors import (
    CodeMismatchException,
    EnableSoftwareTokenMFAException,
    InvalidParameterException,
    NotAuthorizedException,
    ResourceNotFoundException,
    TooManyRequestsException,
)
from pools.models import AppClient, AuthSession, PoolUser, SoftwareToken, UserPool
from pools.services.auth import (
    AuthOutcome,
    auth_initiate,
    auth_respond,
    auth_software_token_associate,
    auth_software_token_verify,
)
from pools.services.mfa import (
    mfa_preference_set,
    mfa_reset,
    mfa_settings_legacy_set,
    mfa_settings_shape,
    otpauth_qr_svg,
    software_token_associate,
    software_token_delete,
    software_token_otpauth_uri,
    software_token_verify,
)
from pools.services.pools import user_pool_set_mfa_config
from pools.services.sms import SmsMessage
from tests.builders import make_app_client, make_user, make_user_pool, sent_code

pytestmark = pytest.mark.django_db
# Messages leave after the commit: tests that read them commit.
SENDS = pytest.mark.django_db(transaction=True)

PASSWORD = "Passw0rd!"
SMS_CONFIGURATION = {
    "SnsCallerArn": "arn:aws:iam::000000000000:role/cognito-sms",
    "ExternalId": "cognito",
}
EMAIL_CONFIGURATION = {
    "EmailSendingAccount": "DEVELOPER",
    "SourceArn": "arn:aws:ses:us-east-1:000000000000:identity/example.com",
}


def mfa_pool(
    mfa: str = "OPTIONAL",
    *,
    sms: bool = True,
    totp: bool = True,
    email: bool = True,
    **pool_settings: Any,
) -> UserPool:
    """A pool allowing the factors asked for, with MFA templates of its own; `pool_settings` are
    more CreateUserPool members."""
    pool = make_user_pool(
        SmsConfiguration=SMS_CONFIGURATION, EmailConfiguration=EMAIL_CONFIGURATION, **pool_settings
    )
    settings: dict[str, Any] = {
        "MfaConfiguration": mfa,
        "SoftwareTokenMfaConfiguration": {"Enabled": totp},
    }
    if sms:
        settings["SmsMfaConfiguration"] = {
            "SmsAuthenticationMessage": "Sign-in code {####}",
            "SmsConfiguration": SMS_CONFIGURATION,
        }
    if email:
        settings["EmailMfaConfiguration"] = {"Message": "Your code: {####}", "Subject": "Sign-in"}
    return user_pool_set_mfa_config(pool=pool, settings=settings)


@pytest.fixture
def pool() -> UserPool:
    return mfa_pool()


@pytest.fixture
def client(pool: UserPool) -> AppClient:
    return make_app_client(
        pool=pool,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )


@pytest.fixture
def alice(pool: UserPool) -> PoolUser:
    return make_user(
        pool=pool,
        username="alice",
        password=PASSWORD,
        email="alice@example.com",
        phone_number="+15555550100",
    )


def sign_in(client: AppClient, username: str = "alice") -> AuthOutcome:
    return auth_initiate(
        client=client,
        flow="USER_PASSWORD_AUTH",
        parameters={"USERNAME": username, "PASSWORD": PASSWORD},
        admin=False,
    )


def respond(
    client: AppClient, outcome: AuthOutcome, username: str = "alice", **responses: str
) -> AuthOutcome:
    assert outcome.challenge_name is not None
    return auth_respond(
        client=client,
        challenge_name=outcome.challenge_name,
        session=outcome.session,
        responses={"USERNAME": username, **responses},
        admin=False,
    )


def authenticator(user: PoolUser, name: str = "phone") -> pyotp.TOTP:
    """An authenticator app set up for `user` through AssociateSoftwareToken and
    VerifySoftwareToken."""
    app = pyotp.TOTP(software_token_associate(user=user))
    software_token_verify(user=user, code=app.now(), friendly_name=name)
    return app


def next_code(app: pyotp.TOTP) -> str:
    """A code of the next time step: still within the tolerance, and not yet used."""
    return app.at(dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=30))


def id_claims(outcome: AuthOutcome) -> dict[str, Any]:
    assert outcome.authentication_result is not None
    claims: dict[str, Any] = jwt.decode(
        outcome.authentication_result["IdToken"], options={"verify_signature": False}
    )
    return claims


def snapshot() -> dict[str, Any]:
    """What a refused answer must leave alone: users' MFA state, authenticators, sessions."""
    users = PoolUser.objects.order_by("pk").values(
        "mfa_sms_enabled",
        "mfa_software_token_enabled",
        "mfa_email_enabled",
        "mfa_preferred",
        "phone_number_verified",
        "email",
    )
    tokens = SoftwareToken.objects.order_by("pk").values(
        "key_sealed", "pending_key_sealed", "last_t"
    )
    sessions = AuthSession.objects.order_by("pk").values("used_at")
    return {"users": list(users), "tokens": list(tokens), "sessions": list(sessions)}


def refused(
    call: Callable[[], object], error: type[ServiceError], match: str | None = None
) -> None:
    """`call` raises `error` and changes nothing that `snapshot` sees."""
    before = snapshot()
    with pytest.raises(error, match=match):
        call()
    assert snapshot() == before


# --- when MFA is asked for -------------------------------------------------------------------


def test_a_pool_with_mfa_off_signs_in_with_the_password_alone(alice: PoolUser) -> None:
    pool = make_user_pool(name="plain")
    user = make_user(pool=pool, username="bob", password=PASSWORD, phone_number="+15555550101")
    client = make_app_client(pool=pool, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])

    outcome = sign_in(client, "bob")

    assert outcome.authentication_result is not None
    assert "amr" not in id_claims(outcome)
    assert mfa_settings_shape(user) == {}


def test_optional_mfa_without_a_factor_turned_on_asks_for_nothing(
    client: AppClient, alice: PoolUser
) -> None:
    assert sign_in(client).authentication_result is not None


def test_an_authenticator_app_is_asked_for_and_its_code_signs_in(
    client: AppClient, alice: PoolUser
) -> None:
    app = authenticator(alice, name="Alice's phone")

    challenge = sign_in(client)
    assert challenge.challenge_name == "SOFTWARE_TOKEN_MFA"
    assert challenge.challenge_parameters["FRIENDLY_DEVICE_NAME"] == "Alice's phone"
    outcome = respond(client, challenge, SOFTWARE_TOKEN_MFA_CODE=next_code(app))

    assert id_claims(outcome)["amr"] == ["pwd", "mfa", "otp"]
    alice.refresh_from_db()
    assert mfa_settings_shape(alice) == {"UserMFASettingList": ["SOFTWARE_TOKEN_MFA"]}


def test_an_authenticator_code_is_accepted_once(client: AppClient, alice: PoolUser) -> None:
    app = authenticator(alice)
    code = next_code(app)
    respond(client, sign_in(client), SOFTWARE_TOKEN_MFA_CODE=code)

    again = sign_in(client)
    refused(
        lambda: respond(client, again, SOFTWARE_TOKEN_MFA_CODE=code),
        CodeMismatchException,
        "Invalid code or auth state",
    )


def test_a_code_outside_one_step_either_side_is_refused(client: AppClient, alice: PoolUser) -> None:
    app = authenticator(alice)
    late = app.at(dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=95))
    challenge = sign_in(client)
    refused(lambda: respond(client, challenge, SOFTWARE_TOKEN_MFA_CODE=late), CodeMismatchException)


@SENDS
def test_sms_mfa_sends_the_pools_message_and_verifies_the_phone_number(
    client: AppClient, alice: PoolUser, sms_outbox: list[SmsMessage]
) -> None:
    mfa_preference_set(user=alice, preferences={"SMSMfaSettings": {"Enabled": True}})

    challenge = sign_in(client)
    assert challenge.challenge_name == "SMS_MFA"
    assert challenge.challenge_parameters["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS"
    assert challenge.challenge_parameters["CODE_DELIVERY_DESTINATION"] == "+*******0100"
    [message] = sms_outbox
    assert message.destination == "+15555550100"
    assert message.body.startswith("Sign-in code ")
    outcome = respond(client, challenge, SMS_MFA_CODE=sent_code(message.body))

    assert id_claims(outcome)["amr"] == ["pwd", "mfa", "sms"]
    alice.refresh_from_db()
    assert alice.phone_number_verified is True


@SENDS
def test_email_mfa_sends_the_pools_email_and_verifies_the_address(
    client: AppClient, alice: PoolUser
) -> None:
    mfa_preference_set(user=alice, preferences={"EmailMfaSettings": {"Enabled": True}})

    challenge = sign_in(client)
    assert challenge.challenge_name == "EMAIL_OTP"
    assert challenge.challenge_parameters["CODE_DELIVERY_DESTINATION"] == "a***@e***"
    [email] = mail.outbox
    assert (email.to, email.subject) == (["alice@example.com"], "Sign-in")
    outcome = respond(client, challenge, EMAIL_OTP_CODE=sent_code(str(email.body)))

    assert outcome.authentication_result is not None
    alice.refresh_from_db()
    assert alice.email_verified is True


@SENDS
def test_mfa_on_with_a_phone_number_sends_an_sms_without_any_setting(
    alice: PoolUser, sms_outbox: list[SmsMessage]
) -> None:
    pool = mfa_pool("ON")
    make_user(pool=pool, username="carol", password=PASSWORD, phone_number="+15555550102")
    client = make_app_client(pool=pool, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])

    challenge = sign_in(client, "carol")

    assert challenge.challenge_name == "SMS_MFA"
    assert [m.destination for m in sms_outbox] == ["+15555550102"]


@SENDS
def test_several_factors_and_no_preference_ask_which_one(
    client: AppClient, alice: PoolUser, sms_outbox: list[SmsMessage]
) -> None:
    app = authenticator(alice)
    mfa_preference_set(user=alice, preferences={"SMSMfaSettings": {"Enabled": True}})

    choice = sign_in(client)
    assert choice.challenge_name == "SELECT_MFA_TYPE"
    assert json.loads(choice.challenge_parameters["MFAS_CAN_CHOOSE"]) == [
        "SMS_MFA",
        "SOFTWARE_TOKEN_MFA",
    ]
    assert sms_outbox == []
    refused(lambda: respond(client, choice, ANSWER="EMAIL_OTP"), InvalidParameterException)

    totp = respond(client, choice, ANSWER="SOFTWARE_TOKEN_MFA")
    assert totp.challenge_name == "SOFTWARE_TOKEN_MFA"
    assert respond(client, totp, SOFTWARE_TOKEN_MFA_CODE=next_code(app)).authentication_result


@SENDS
def test_the_preferred_factor_is_asked_for_directly(
    client: AppClient, alice: PoolUser, sms_outbox: list[SmsMessage]
) -> None:
    authenticator(alice)
    mfa_preference_set(
        user=alice, preferences={"SMSMfaSettings": {"Enabled": True, "PreferredMfa": True}}
    )

    assert sign_in(client).challenge_name == "SMS_MFA"
    alice.refresh_from_db()
    assert mfa_settings_shape(alice) == {
        "UserMFASettingList": ["SMS_MFA", "SOFTWARE_TOKEN_MFA"],
        "PreferredMfaSetting": "SMS_MFA",
        "MFAOptions": [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}],
    }


def test_mfa_on_without_a_factor_sets_up_an_authenticator_within_the_sign_in(
    settings: Settings,
) -> None:
    # The right code follows a wrong one at once here: no throttle.
    settings.COGNITOADMIN_MFA_THROTTLE_FACTOR = 0
    pool = mfa_pool("ON", sms=False, email=False)
    make_user(pool=pool, username="dan", password=PASSWORD)
    client = make_app_client(pool=pool, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])

    setup = sign_in(client, "dan")
    assert setup.challenge_name == "MFA_SETUP"
    assert json.loads(setup.challenge_parameters["MFAS_CAN_SETUP"]) == ["SOFTWARE_TOKEN_MFA"]
    refused(lambda: respond(client, setup, "dan"), InvalidParameterException)

    association = auth_software_token_associate(session=setup.session)
    app = pyotp.TOTP(association.secret)
    refused(
        lambda: (
            auth_software_token_verify(session=association.session, code="000000", friendly_name="")
            if app.now() != "000000"
            else None
        ),
        EnableSoftwareTokenMFAException,
    )
    verified = auth_software_token_verify(
        session=association.session, code=app.now(), friendly_name="work phone"
    )
    done = auth_respond(
        client=client,
        challenge_name="MFA_SETUP",
        session=verified,
        responses={"USERNAME": "dan"},
        admin=False,
    )

    assert id_claims(done)["amr"] == ["pwd", "mfa", "otp"]
    # From now on the authenticator is asked for.
    assert sign_in(client, "dan").challenge_name == "SOFTWARE_TOKEN_MFA"


@SENDS
def test_mfa_setup_by_email_gives_the_address_email_mfa() -> None:
    pool = mfa_pool("ON", sms=False)
    make_user(pool=pool, username="erin", password=PASSWORD)
    client = make_app_client(pool=pool, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])

    setup = sign_in(client, "erin")
    assert json.loads(setup.challenge_parameters["MFAS_CAN_SETUP"]) == [
        "SOFTWARE_TOKEN_MFA",
        "EMAIL_OTP",
    ]
    challenge = respond(client, setup, "erin", EMAIL="erin@example.com")
    assert challenge.challenge_name == "EMAIL_OTP"
    [email] = mail.outbox
    outcome = respond(client, challenge, "erin", EMAIL_OTP_CODE=sent_code(str(email.body)))

    assert outcome.authentication_result is not None
    erin = PoolUser.objects.get(username="erin")
    assert (erin.email, erin.email_verified, erin.mfa_email_enabled) == (
        "erin@example.com",
        True,
        True,
    )


def test_an_mfa_sign_in_keeps_its_amr_through_a_refresh(client: AppClient, alice: PoolUser) -> None:
    app = authenticator(alice)
    outcome = respond(client, sign_in(client), SOFTWARE_TOKEN_MFA_CODE=next_code(app))
    assert outcome.authentication_result is not None

    refreshed = auth_initiate(
        client=client,
        flow="REFRESH_TOKEN_AUTH",
        parameters={"REFRESH_TOKEN": outcome.authentication_result["RefreshToken"]},
        admin=False,
    )

    assert id_claims(refreshed)["amr"] == ["pwd", "mfa", "otp"]


# --- wrong answers ---------------------------------------------------------------------------


@SENDS
def test_wrong_codes_leave_the_session_open_until_its_tries_are_spent(
    client: AppClient, alice: PoolUser, sms_outbox: list[SmsMessage]
) -> None:
    mfa_preference_set(user=alice, preferences={"SMSMfaSettings": {"Enabled": True}})
    challenge = sign_in(client)
    code = sent_code(sms_outbox[0].body)
    wrong = "000000" if code != "000000" else "111111"

    for _ in range(2):
        with pytest.raises(CodeMismatchException, match="Invalid code or auth state"):
            respond(client, challenge, SMS_MFA_CODE=wrong)
    assert respond(client, challenge, SMS_MFA_CODE=code).authentication_result is not None

    again = sign_in(client)
    for _ in range(3):
        with pytest.raises(CodeMismatchException):
            respond(client, again, SMS_MFA_CODE=wrong)
    right = sent_code(sms_outbox[-1].body)
    refused(
        lambda: respond(client, again, SMS_MFA_CODE=right),
        NotAuthorizedException,
        "Invalid session for the user.",
    )


@SENDS
def test_a_code_sent_to_another_user_does_not_answer(
    client: AppClient, alice: PoolUser, sms_outbox: list[SmsMessage]
) -> None:
    make_user(pool=alice.pool, username="bob", password=PASSWORD, phone_number="+15555550103")
    mfa_preference_set(user=alice, preferences={"SMSMfaSettings": {"Enabled": True}})
    bob = PoolUser.objects.get(username="bob")
    mfa_preference_set(user=bob, preferences={"SMSMfaSettings": {"Enabled": True}})
    alice_challenge, bob_challenge = sign_in(client), sign_in(client, "bob")
    alice_code, bob_code = (sent_code(m.body) for m in sms_outbox)

    if alice_code != bob_code:
        refused(
            lambda: respond(client, alice_challenge, SMS_MFA_CODE=bob_code), CodeMismatchException
        )
    # Nor does another user's session, whatever the code.
    refused(
        lambda: respond(client, bob_challenge, "alice", SMS_MFA_CODE=alice_code),
        NotAuthorizedException,
    )


def test_an_expired_session_is_refused(client: AppClient, alice: PoolUser, clock: Any) -> None:
    app = authenticator(alice)
    challenge = sign_in(client)
    clock.advance(minutes=4)
    refused(
        lambda: respond(client, challenge, SOFTWARE_TOKEN_MFA_CODE=app.now()),
        NotAuthorizedException,
        "session is expired",
    )


def test_guessing_an_authenticator_code_is_throttled(
    client: AppClient, alice: PoolUser, settings: Settings
) -> None:
    settings.COGNITOADMIN_MFA_THROTTLE_FACTOR = 60
    app = authenticator(alice)
    challenge = sign_in(client)
    code = next_code(app)
    with pytest.raises(CodeMismatchException):
        respond(client, challenge, SOFTWARE_TOKEN_MFA_CODE="999999" if code != "999999" else "0")

    # The right code right after a wrong one waits out django-otp's throttle.
    with pytest.raises(TooManyRequestsException):
        respond(client, sign_in(client), SOFTWARE_TOKEN_MFA_CODE=code)


def test_a_disabled_user_cannot_finish_mfa(client: AppClient, alice: PoolUser) -> None:
    app = authenticator(alice)
    challenge = sign_in(client)
    PoolUser.objects.filter(pk=alice.pk).update(enabled=False)
    refused(
        lambda: respond(client, challenge, SOFTWARE_TOKEN_MFA_CODE=next_code(app)),
        NotAuthorizedException,
        "User is disabled.",
    )


# --- preferences -----------------------------------------------------------------------------


def test_an_unverified_authenticator_cannot_be_turned_on(alice: PoolUser) -> None:
    software_token_associate(user=alice)
    refused(
        lambda: mfa_preference_set(
            user=alice, preferences={"SoftwareTokenMfaSettings": {"Enabled": True}}
        ),
        InvalidParameterException,
        "User has not verified software token mfa",
    )


def test_a_factor_the_pool_does_not_allow_cannot_be_turned_on() -> None:
    pool = mfa_pool(email=False, totp=False)
    user = make_user(pool=pool, username="frank", email="f@example.com")
    refused(
        lambda: mfa_preference_set(user=user, preferences={"EmailMfaSettings": {"Enabled": True}}),
        InvalidParameterException,
        "EMAIL_OTP is not enabled",
    )
    refused(lambda: software_token_associate(user=user), InvalidParameterException)


@pytest.mark.parametrize(
    ("preferences", "message"),
    [
        (
            {
                "SMSMfaSettings": {"Enabled": True, "PreferredMfa": True},
                "EmailMfaSettings": {"Enabled": True, "PreferredMfa": True},
            },
            "Only one",
        ),
        ({"SMSMfaSettings": {"Enabled": False, "PreferredMfa": True}}, "must be enabled"),
        ({"SMSMfaSettings": {"Enabled": "yes"}}, "boolean"),
        ({"SMSMfaSettings": ["Enabled"]}, "object"),
    ],
)
def test_contradictory_or_malformed_preferences_are_refused(
    alice: PoolUser, preferences: dict[str, Any], message: str
) -> None:
    refused(
        lambda: mfa_preference_set(user=alice, preferences=preferences),
        InvalidParameterException,
        message,
    )


def test_sms_needs_a_phone_number() -> None:
    user = make_user(pool=mfa_pool(), username="gina", email="g@example.com")
    refused(
        lambda: mfa_preference_set(user=user, preferences={"SMSMfaSettings": {"Enabled": True}}),
        InvalidParameterException,
        "phone_number",
    )


def test_turning_the_preferred_factor_off_drops_the_preference(alice: PoolUser) -> None:
    mfa_preference_set(
        user=alice, preferences={"SMSMfaSettings": {"Enabled": True, "PreferredMfa": True}}
    )
    mfa_preference_set(user=alice, preferences={"SMSMfaSettings": {"Enabled": False}})

    assert mfa_settings_shape(alice) == {}


def test_the_legacy_settings_turn_sms_on_and_off(alice: PoolUser) -> None:
    mfa_settings_legacy_set(
        user=alice, options=[{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]
    )
    assert alice.mfa_sms_enabled is True
    refused(
        lambda: mfa_settings_legacy_set(
            user=alice, options=[{"DeliveryMedium": "EMAIL", "AttributeName": "email"}]
        ),
        InvalidParameterException,
    )
    mfa_settings_legacy_set(user=alice, options=[])
    assert alice.mfa_sms_enabled is False


def test_a_new_association_leaves_the_old_authenticator_working_until_verified(
    client: AppClient, alice: PoolUser
) -> None:
    old = authenticator(alice)
    software_token_associate(user=alice)

    outcome = respond(client, sign_in(client), SOFTWARE_TOKEN_MFA_CODE=next_code(old))

    assert outcome.authentication_result is not None


def test_deleting_the_software_token_turns_totp_off(client: AppClient, alice: PoolUser) -> None:
    authenticator(alice)
    software_token_delete(user=alice)

    assert sign_in(client).authentication_result is not None
    refused(lambda: software_token_delete(user=alice), ResourceNotFoundException)


def test_an_operators_reset_clears_every_factor(client: AppClient, alice: PoolUser) -> None:
    authenticator(alice)
    mfa_preference_set(
        user=alice, preferences={"SMSMfaSettings": {"Enabled": True, "PreferredMfa": True}}
    )

    mfa_reset(user=alice)

    assert mfa_settings_shape(alice) == {}
    assert not SoftwareToken.objects.filter(user=alice).exists()
    assert sign_in(client).authentication_result is not None


def test_the_secret_is_sealed_at_rest_and_shown_as_an_otpauth_qr_code(alice: PoolUser) -> None:
    secret = software_token_associate(user=alice)
    row = SoftwareToken.objects.get(user=alice)
    assert secret not in row.pending_key_sealed

    uri = software_token_otpauth_uri(user=alice, secret=secret)
    assert uri.startswith("otpauth://totp/test-pool:alice?")
    assert pyotp.parse_uri(uri).secret == secret
    assert otpauth_qr_svg(uri).lstrip().startswith("<svg")
