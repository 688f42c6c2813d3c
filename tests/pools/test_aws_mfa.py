"""AWS endpoint, boto3 against a live server: MFA as an app sees it. Authenticator apps
(AssociateSoftwareToken and VerifySoftwareToken, with an access token or within a sign-in's
MFA_SETUP), SMS codes, the choice between factors, the user's preferences (SetUserMFAPreference,
SetUserSettings and their Admin variants), AdminDeleteSoftwareToken, and the errors each answers.

End users' calls go through `idp_public` (no credentials), Admin ones through `idp` (an operator's
key). TOTP codes are computed by pyotp, as an authenticator app computes them; SMS codes are read
from what the server sent (`sms_outbox`: the live server runs in this process). The rules are
tested exhaustively in test_mfa.py; these tests show that each reaches the wire as Cognito's."""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from typing import Any

import jwt
import pyotp
import pytest
from botocore.exceptions import ClientError, ParamValidationError
from pytest_django import Settings

from pools.models import AppClient, AuthSession, PoolUser, RefreshToken, SoftwareToken, UserPool
from pools.services.sms import SmsMessage
from tests.builders import make_app_client, make_user, sent_code
from tests.conftest import unchecked_client
from tests.pools.test_mfa import mfa_pool

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Passw0rd!"
FLOWS = [
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
]
SMS_OPTION = {"DeliveryMedium": "SMS", "AttributeName": "phone_number"}
# A well-formed Session (64 base64 characters, as the server's are) that no sign-in gave.
FORGED_SESSION = base64.b64encode(secrets.token_bytes(48)).decode("ascii").rstrip("=")


@pytest.fixture
def pool(transactional_db: None) -> UserPool:
    """An OPTIONAL-MFA pool allowing SMS, authenticator apps and email."""
    return mfa_pool()


@pytest.fixture
def client(pool: UserPool) -> AppClient:
    return make_app_client(pool=pool, ExplicitAuthFlows=FLOWS)


@pytest.fixture
def alice(pool: UserPool) -> PoolUser:
    return make_user(
        pool=pool,
        username="alice",
        password=PASSWORD,
        email="alice@example.com",
        phone_number="+15555550100",
    )


@pytest.fixture
def no_throttle(settings: Settings) -> None:
    """django-otp throttles an authenticator after a wrong code; these tests send the right code
    right after a wrong one."""
    settings.COGNITOADMIN_MFA_THROTTLE_FACTOR = 0


def _message(error: pytest.ExceptionInfo[ClientError]) -> str:
    message: str = error.value.response["Error"]["Message"]
    return message


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    code: str = error.value.response["Error"]["Code"]
    return code


def _body(answer: dict[str, Any]) -> set[str]:
    """The members of an answer, without boto3's own."""
    return set(answer) - {"ResponseMetadata"}


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _state() -> dict[str, list[dict[str, Any]]]:
    """What a refused call must leave alone: users (their MFA settings among them), sign-ins,
    authenticators' keys and last accepted step, and which challenges are still open. (A wrong
    code does count, in the session's tries and the authenticator's throttle.)"""
    return {
        "users": [dict(row) for row in PoolUser.objects.order_by("pk").values()],
        "refresh": [dict(row) for row in RefreshToken.objects.order_by("pk").values()],
        "tokens": [
            dict(row)
            for row in SoftwareToken.objects.order_by("pk").values(
                "key_sealed", "pending_key_sealed", "friendly_name", "last_t"
            )
        ],
        "sessions": [
            dict(row)
            for row in AuthSession.objects.order_by("pk").values("pk", "challenge_name", "used_at")
        ],
    }


def _sign_in(idp_public: Any, client: AppClient, username: str = "alice") -> Any:
    """The whole InitiateAuth answer of a USER_PASSWORD_AUTH sign-in."""
    return idp_public.initiate_auth(
        ClientId=client.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )


def _respond(
    idp_public: Any, client: AppClient, challenge: Any, username: str = "alice", **responses: str
) -> Any:
    """RespondToAuthChallenge to the challenge an answer asked for, with its Session."""
    return idp_public.respond_to_auth_challenge(
        ClientId=client.client_id,
        ChallengeName=challenge["ChallengeName"],
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": username, **responses},
    )


def _access_token(idp_public: Any, client: AppClient, username: str = "alice") -> str:
    """A sign-in that owes no MFA yet."""
    token: str = _sign_in(idp_public, client, username)["AuthenticationResult"]["AccessToken"]
    return token


def _next_code(app: pyotp.TOTP) -> str:
    """The code of the next time step: still within the tolerance, and not used yet."""
    code: str = app.at(dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=30))
    return code


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def _authenticator(idp_public: Any, access_token: str, name: str = "Alice's phone") -> pyotp.TOTP:
    """An authenticator app set up through AssociateSoftwareToken and VerifySoftwareToken, and
    turned on with SetUserMFAPreference (as Cognito's guides do; preferred by no one)."""
    secret = idp_public.associate_software_token(AccessToken=access_token)["SecretCode"]
    app = pyotp.TOTP(secret)
    idp_public.verify_software_token(
        AccessToken=access_token, UserCode=app.now(), FriendlyDeviceName=name
    )
    idp_public.set_user_mfa_preference(
        AccessToken=access_token, SoftwareTokenMfaSettings={"Enabled": True}
    )
    return app


def _mfa_members(answer: dict[str, Any]) -> dict[str, Any]:
    """GetUser's or AdminGetUser's MFA members."""
    members = ("UserMFASettingList", "PreferredMfaSetting", "MFAOptions")
    return {name: answer[name] for name in members if name in answer}


# --- authenticator apps, with an access token ---------------------------------------------------


def test_an_authenticator_app_is_set_up_and_then_asked_for_at_sign_in(
    idp: Any, idp_public: Any, client: AppClient, alice: PoolUser
) -> None:
    access = _access_token(idp_public, client)
    associated = idp_public.associate_software_token(AccessToken=access)
    assert _body(associated) == {"SecretCode"}
    secret = associated["SecretCode"]
    # A 160-bit key in base32, the form every authenticator app reads.
    assert len(base64.b32decode(secret)) == 20
    # Not in use until verified: the user has no factor yet.
    assert _mfa_members(idp_public.get_user(AccessToken=access)) == {}

    app = pyotp.TOTP(secret)
    verified = idp_public.verify_software_token(
        AccessToken=access, UserCode=app.now(), FriendlyDeviceName="Alice's phone"
    )
    assert _body(verified) == {"Status"}
    assert verified["Status"] == "SUCCESS"
    preference = idp_public.set_user_mfa_preference(
        AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    assert _body(preference) == set()

    settings = {
        "UserMFASettingList": ["SOFTWARE_TOKEN_MFA"],
        "PreferredMfaSetting": "SOFTWARE_TOKEN_MFA",
    }
    assert _mfa_members(idp_public.get_user(AccessToken=access)) == settings
    admin_view = idp.admin_get_user(UserPoolId=client.pool.pool_id, Username="alice")
    assert _mfa_members(admin_view) == settings

    challenge = _sign_in(idp_public, client)
    assert _body(challenge) == {"ChallengeName", "Session", "ChallengeParameters"}
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert challenge["ChallengeParameters"] == {
        "USER_ID_FOR_SRP": "alice",
        "FRIENDLY_DEVICE_NAME": "Alice's phone",
    }
    answer = _respond(idp_public, client, challenge, SOFTWARE_TOKEN_MFA_CODE=_next_code(app))

    assert _body(answer) == {"ChallengeParameters", "AuthenticationResult"}
    result = answer["AuthenticationResult"]
    assert set(result) == {"AccessToken", "ExpiresIn", "TokenType", "IdToken", "RefreshToken"}
    assert _claims(result["IdToken"])["amr"] == ["pwd", "mfa", "otp"]
    assert _claims(result["AccessToken"])["username"] == "alice"
    # The new access token works, and the factor stays on.
    assert _mfa_members(idp_public.get_user(AccessToken=result["AccessToken"])) == settings


def test_an_authenticator_code_answers_only_once(
    idp_public: Any, client: AppClient, alice: PoolUser
) -> None:
    app = _authenticator(idp_public, _access_token(idp_public, client))
    code = _next_code(app)
    first = _respond(idp_public, client, _sign_in(idp_public, client), SOFTWARE_TOKEN_MFA_CODE=code)
    assert "AuthenticationResult" in first

    again = _sign_in(idp_public, client)
    before = _state()
    with pytest.raises(idp_public.exceptions.CodeMismatchException) as refused:
        _respond(idp_public, client, again, SOFTWARE_TOKEN_MFA_CODE=code)

    assert _message(refused) == "Invalid code or auth state for the user."
    assert _state() == before


def test_an_mfa_sign_in_keeps_its_amr_through_a_refresh(
    idp_public: Any, client: AppClient, alice: PoolUser
) -> None:
    app = _authenticator(idp_public, _access_token(idp_public, client))
    challenge = _sign_in(idp_public, client)
    result = _respond(idp_public, client, challenge, SOFTWARE_TOKEN_MFA_CODE=_next_code(app))[
        "AuthenticationResult"
    ]

    refreshed = idp_public.initiate_auth(
        ClientId=client.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]},
    )["AuthenticationResult"]

    assert _claims(refreshed["IdToken"])["amr"] == ["pwd", "mfa", "otp"]


# --- MFA_SETUP, within a sign-in ---------------------------------------------------------------


def test_mfa_on_sets_up_an_authenticator_within_an_admin_sign_in(
    idp: Any, idp_public: Any, transactional_db: None
) -> None:
    pool = mfa_pool("ON", sms=False, email=False)
    make_user(pool=pool, username="dan", password=PASSWORD, email="dan@example.com")
    client = make_app_client(pool=pool, ExplicitAuthFlows=FLOWS)
    ids = {"UserPoolId": pool.pool_id, "ClientId": client.client_id}

    def admin_sign_in() -> Any:
        return idp.admin_initiate_auth(
            **ids,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "dan", "PASSWORD": PASSWORD},
        )

    setup = admin_sign_in()
    assert _body(setup) == {"ChallengeName", "Session", "ChallengeParameters"}
    assert setup["ChallengeName"] == "MFA_SETUP"
    assert json.loads(setup["ChallengeParameters"]["MFAS_CAN_SETUP"]) == ["SOFTWARE_TOKEN_MFA"]
    assert setup["ChallengeParameters"]["USER_ID_FOR_SRP"] == "dan"

    # The app sets the authenticator up with the challenge's Session, unsigned like Cognito's.
    associated = idp_public.associate_software_token(Session=setup["Session"])
    assert _body(associated) == {"SecretCode", "Session"}
    app = pyotp.TOTP(associated["SecretCode"])
    verified = idp_public.verify_software_token(
        Session=associated["Session"], UserCode=app.now(), FriendlyDeviceName="Dan's phone"
    )
    assert _body(verified) == {"Status", "Session"}
    assert verified["Status"] == "SUCCESS"
    done = idp.admin_respond_to_auth_challenge(
        **ids,
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": "dan"},
    )

    result = done["AuthenticationResult"]
    assert _claims(result["IdToken"])["amr"] == ["pwd", "mfa", "otp"]
    assert _claims(result["AccessToken"])["username"] == "dan"
    dan = idp.admin_get_user(UserPoolId=pool.pool_id, Username="dan")
    assert dan["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    # From now on the authenticator is asked for, by the name it was given.
    again = admin_sign_in()
    assert again["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert again["ChallengeParameters"]["FRIENDLY_DEVICE_NAME"] == "Dan's phone"
    tokens = idp.admin_respond_to_auth_challenge(
        **ids,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=again["Session"],
        ChallengeResponses={"USERNAME": "dan", "SOFTWARE_TOKEN_MFA_CODE": _next_code(app)},
    )
    assert "AuthenticationResult" in tokens


def test_mfa_setup_refuses_to_finish_before_an_authenticator_is_verified(
    idp: Any, idp_public: Any, transactional_db: None, no_throttle: None
) -> None:
    pool = mfa_pool("ON", sms=False, email=False)
    make_user(pool=pool, username="dan", password=PASSWORD)
    client = make_app_client(pool=pool, ExplicitAuthFlows=FLOWS)
    setup = _sign_in(idp_public, client, "dan")
    assert setup["ChallengeName"] == "MFA_SETUP"

    before = _state()
    with pytest.raises(idp_public.exceptions.InvalidParameterException):
        _respond(idp_public, client, setup, "dan")
    assert _state() == before

    associated = idp_public.associate_software_token(Session=setup["Session"])
    # The challenge's Session was used up by the association: the new one carries on.
    with pytest.raises(idp_public.exceptions.NotAuthorizedException):
        idp_public.associate_software_token(Session=setup["Session"])
    app = pyotp.TOTP(associated["SecretCode"])
    before = _state()
    with pytest.raises(idp_public.exceptions.EnableSoftwareTokenMFAException):
        idp_public.verify_software_token(Session=associated["Session"], UserCode=_wrong(app.now()))
    assert _state() == before
    assert not PoolUser.objects.get(username="dan").mfa_software_token_enabled

    # A wrong code left the session open for another try.
    verified = idp_public.verify_software_token(Session=associated["Session"], UserCode=app.now())
    done = _respond(idp_public, client, {**setup, "Session": verified["Session"]}, "dan")
    assert _claims(done["AuthenticationResult"]["IdToken"])["amr"] == ["pwd", "mfa", "otp"]


# --- SMS ---------------------------------------------------------------------------------------


def test_sms_mfa_sends_a_code_that_signs_in(
    idp: Any,
    idp_public: Any,
    client: AppClient,
    alice: PoolUser,
    sms_outbox: list[SmsMessage],
) -> None:
    access = _access_token(idp_public, client)
    idp_public.set_user_mfa_preference(AccessToken=access, SMSMfaSettings={"Enabled": True})
    assert _mfa_members(idp_public.get_user(AccessToken=access)) == {
        "UserMFASettingList": ["SMS_MFA"],
        "MFAOptions": [SMS_OPTION],
    }

    challenge = _sign_in(idp_public, client)
    assert challenge["ChallengeName"] == "SMS_MFA"
    assert challenge["ChallengeParameters"] == {
        "USER_ID_FOR_SRP": "alice",
        "CODE_DELIVERY_DELIVERY_MEDIUM": "SMS",
        "CODE_DELIVERY_DESTINATION": "+*******0100",
    }
    [message] = sms_outbox
    assert message.destination == "+15555550100"
    assert message.body.startswith("Sign-in code ")
    answer = _respond(idp_public, client, challenge, SMS_MFA_CODE=sent_code(message.body))

    assert _claims(answer["AuthenticationResult"]["IdToken"])["amr"] == ["pwd", "mfa", "sms"]
    # The code reached the phone: its number is verified now.
    attributes = idp.admin_get_user(UserPoolId=client.pool.pool_id, Username="alice")
    assert {"Name": "phone_number_verified", "Value": "true"} in attributes["UserAttributes"]


def test_a_wrong_sms_code_is_refused_and_the_right_one_still_answers(
    idp_public: Any, client: AppClient, alice: PoolUser, sms_outbox: list[SmsMessage]
) -> None:
    access = _access_token(idp_public, client)
    idp_public.set_user_mfa_preference(AccessToken=access, SMSMfaSettings={"Enabled": True})
    challenge = _sign_in(idp_public, client)
    code = sent_code(sms_outbox[0].body)

    before = _state()
    with pytest.raises(idp_public.exceptions.CodeMismatchException) as refused:
        _respond(idp_public, client, challenge, SMS_MFA_CODE=_wrong(code))
    assert _message(refused) == "Invalid code or auth state for the user."
    assert _state() == before

    assert "AuthenticationResult" in _respond(idp_public, client, challenge, SMS_MFA_CODE=code)


def test_mfa_on_asks_a_user_with_a_phone_number_for_an_sms_without_any_setting(
    idp: Any, idp_public: Any, transactional_db: None, sms_outbox: list[SmsMessage]
) -> None:
    pool = mfa_pool("ON")
    make_user(pool=pool, username="carol", password=PASSWORD, phone_number="+15555550102")
    client = make_app_client(pool=pool, ExplicitAuthFlows=FLOWS)

    challenge = idp.admin_initiate_auth(
        UserPoolId=pool.pool_id,
        ClientId=client.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "carol", "PASSWORD": PASSWORD},
    )
    assert challenge["ChallengeName"] == "SMS_MFA"
    [message] = sms_outbox
    assert message.destination == "+15555550102"
    done = idp.admin_respond_to_auth_challenge(
        UserPoolId=pool.pool_id,
        ClientId=client.client_id,
        ChallengeName="SMS_MFA",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "carol", "SMS_MFA_CODE": sent_code(message.body)},
    )

    assert _claims(done["AuthenticationResult"]["IdToken"])["amr"] == ["pwd", "mfa", "sms"]


# --- SELECT_MFA_TYPE ---------------------------------------------------------------------------


def test_several_factors_and_no_preference_ask_which_one(
    idp_public: Any, client: AppClient, alice: PoolUser, sms_outbox: list[SmsMessage]
) -> None:
    access = _access_token(idp_public, client)
    app = _authenticator(idp_public, access)
    idp_public.set_user_mfa_preference(AccessToken=access, SMSMfaSettings={"Enabled": True})
    assert _mfa_members(idp_public.get_user(AccessToken=access)) == {
        "UserMFASettingList": ["SMS_MFA", "SOFTWARE_TOKEN_MFA"],
        "MFAOptions": [SMS_OPTION],
    }

    choice = _sign_in(idp_public, client)
    assert choice["ChallengeName"] == "SELECT_MFA_TYPE"
    assert choice["ChallengeParameters"]["USER_ID_FOR_SRP"] == "alice"
    assert json.loads(choice["ChallengeParameters"]["MFAS_CAN_CHOOSE"]) == [
        "SMS_MFA",
        "SOFTWARE_TOKEN_MFA",
    ]
    assert sms_outbox == []

    before = _state()
    with pytest.raises(idp_public.exceptions.InvalidParameterException):
        _respond(idp_public, client, choice, ANSWER="EMAIL_OTP")
    assert _state() == before

    totp = _respond(idp_public, client, choice, ANSWER="SOFTWARE_TOKEN_MFA")
    assert _body(totp) == {"ChallengeName", "Session", "ChallengeParameters"}
    assert totp["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert sms_outbox == []
    done = _respond(idp_public, client, totp, SOFTWARE_TOKEN_MFA_CODE=_next_code(app))
    assert _claims(done["AuthenticationResult"]["IdToken"])["amr"] == ["pwd", "mfa", "otp"]

    # The other choice sends the SMS then, and only then.
    sms = _respond(idp_public, client, _sign_in(idp_public, client), ANSWER="SMS_MFA")
    assert sms["ChallengeName"] == "SMS_MFA"
    assert sms["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == "+*******0100"
    [message] = sms_outbox
    done = _respond(idp_public, client, sms, SMS_MFA_CODE=sent_code(message.body))
    assert _claims(done["AuthenticationResult"]["IdToken"])["amr"] == ["pwd", "mfa", "sms"]


def test_the_preferred_factor_is_asked_for_without_a_choice(
    idp: Any, idp_public: Any, client: AppClient, alice: PoolUser, sms_outbox: list[SmsMessage]
) -> None:
    access = _access_token(idp_public, client)
    _authenticator(idp_public, access)
    idp.admin_set_user_mfa_preference(
        UserPoolId=client.pool.pool_id,
        Username="alice",
        SMSMfaSettings={"Enabled": True, "PreferredMfa": True},
    )

    assert _mfa_members(idp.admin_get_user(UserPoolId=client.pool.pool_id, Username="alice")) == {
        "UserMFASettingList": ["SMS_MFA", "SOFTWARE_TOKEN_MFA"],
        "PreferredMfaSetting": "SMS_MFA",
        "MFAOptions": [SMS_OPTION],
    }
    assert _sign_in(idp_public, client)["ChallengeName"] == "SMS_MFA"
    assert len(sms_outbox) == 1


# --- errors ------------------------------------------------------------------------------------


def test_a_wrong_authenticator_code_is_refused_and_the_session_stays_open(
    idp_public: Any, client: AppClient, alice: PoolUser, no_throttle: None
) -> None:
    app = _authenticator(idp_public, _access_token(idp_public, client))
    challenge = _sign_in(idp_public, client)
    code = _next_code(app)

    before = _state()
    with pytest.raises(ClientError) as refused:
        _respond(idp_public, client, challenge, SOFTWARE_TOKEN_MFA_CODE=_wrong(code))
    assert (_code(refused), _message(refused)) == (
        "CodeMismatchException",
        "Invalid code or auth state for the user.",
    )
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert _state() == before

    answer = _respond(idp_public, client, challenge, SOFTWARE_TOKEN_MFA_CODE=code)
    assert "AuthenticationResult" in answer


def test_a_wrong_code_right_after_another_is_throttled(
    idp_public: Any, client: AppClient, alice: PoolUser, settings: Settings
) -> None:
    settings.COGNITOADMIN_MFA_THROTTLE_FACTOR = 60
    app = _authenticator(idp_public, _access_token(idp_public, client))
    code = _next_code(app)
    with pytest.raises(idp_public.exceptions.CodeMismatchException):
        _respond(idp_public, client, _sign_in(idp_public, client), SOFTWARE_TOKEN_MFA_CODE="9" * 6)

    with pytest.raises(idp_public.exceptions.TooManyRequestsException):
        _respond(idp_public, client, _sign_in(idp_public, client), SOFTWARE_TOKEN_MFA_CODE=code)


def test_a_wrong_code_does_not_verify_an_authenticator(
    idp_public: Any, client: AppClient, alice: PoolUser, no_throttle: None
) -> None:
    access = _access_token(idp_public, client)
    app = pyotp.TOTP(idp_public.associate_software_token(AccessToken=access)["SecretCode"])

    before = _state()
    with pytest.raises(ClientError) as refused:
        idp_public.verify_software_token(AccessToken=access, UserCode=_wrong(app.now()))
    assert _code(refused) == "EnableSoftwareTokenMFAException"
    assert _state() == before
    assert _mfa_members(idp_public.get_user(AccessToken=access)) == {}
    # Still no MFA at sign-in.
    assert "AuthenticationResult" in _sign_in(idp_public, client)

    verified = idp_public.verify_software_token(AccessToken=access, UserCode=app.now())
    assert verified["Status"] == "SUCCESS"


def test_an_unverified_authenticator_cannot_be_turned_on(
    idp_public: Any, client: AppClient, alice: PoolUser
) -> None:
    access = _access_token(idp_public, client)
    idp_public.associate_software_token(AccessToken=access)

    before = _state()
    with pytest.raises(idp_public.exceptions.InvalidParameterException) as refused:
        idp_public.set_user_mfa_preference(
            AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
        )

    assert _message(refused) == "User has not verified software token mfa"
    assert _state() == before


def test_verifying_without_an_association_is_refused(
    idp_public: Any, client: AppClient, alice: PoolUser
) -> None:
    access = _access_token(idp_public, client)
    before = _state()
    with pytest.raises(idp_public.exceptions.SoftwareTokenMFANotFoundException) as refused:
        idp_public.verify_software_token(AccessToken=access, UserCode="123456")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert _state() == before


def test_a_forged_session_is_refused_everywhere(
    idp: Any, idp_public: Any, client: AppClient, alice: PoolUser
) -> None:
    _authenticator(idp_public, _access_token(idp_public, client))
    _sign_in(idp_public, client)  # a genuine challenge is open meanwhile
    before = _state()

    for challenge_name, responses in (
        ("SOFTWARE_TOKEN_MFA", {"SOFTWARE_TOKEN_MFA_CODE": "123456"}),
        ("SMS_MFA", {"SMS_MFA_CODE": "123456"}),
        ("SELECT_MFA_TYPE", {"ANSWER": "SOFTWARE_TOKEN_MFA"}),
        ("MFA_SETUP", {}),
    ):
        with pytest.raises(idp_public.exceptions.NotAuthorizedException):
            idp_public.respond_to_auth_challenge(
                ClientId=client.client_id,
                ChallengeName=challenge_name,
                Session=FORGED_SESSION,
                ChallengeResponses={"USERNAME": "alice", **responses},
            )
        with pytest.raises(idp.exceptions.NotAuthorizedException):
            idp.admin_respond_to_auth_challenge(
                UserPoolId=client.pool.pool_id,
                ClientId=client.client_id,
                ChallengeName=challenge_name,
                Session=FORGED_SESSION,
                ChallengeResponses={"USERNAME": "alice", **responses},
            )
    with pytest.raises(idp_public.exceptions.NotAuthorizedException):
        idp_public.associate_software_token(Session=FORGED_SESSION)
    with pytest.raises(idp_public.exceptions.NotAuthorizedException):
        idp_public.verify_software_token(Session=FORGED_SESSION, UserCode="123456")
    assert _state() == before


def test_a_session_of_another_challenge_is_refused(
    idp_public: Any, client: AppClient, alice: PoolUser
) -> None:
    """A SOFTWARE_TOKEN_MFA session neither answers SMS_MFA nor sets up an authenticator."""
    app = _authenticator(idp_public, _access_token(idp_public, client))
    challenge = _sign_in(idp_public, client)
    before = _state()

    with pytest.raises(idp_public.exceptions.InvalidParameterException) as other:
        _respond(
            idp_public, client, {**challenge, "ChallengeName": "SMS_MFA"}, SMS_MFA_CODE="1" * 6
        )
    assert _message(other) == (
        "The session is waiting for an answer to SOFTWARE_TOKEN_MFA, not SMS_MFA."
    )
    with pytest.raises(idp_public.exceptions.NotAuthorizedException):
        idp_public.associate_software_token(Session=challenge["Session"])
    assert _state() == before

    code = _next_code(app)
    assert "AuthenticationResult" in _respond(
        idp_public, client, challenge, SOFTWARE_TOKEN_MFA_CODE=code
    )


def test_another_users_session_is_refused(
    idp_public: Any, client: AppClient, alice: PoolUser
) -> None:
    make_user(pool=alice.pool, username="bob", password=PASSWORD)
    app = _authenticator(idp_public, _access_token(idp_public, client))
    challenge = _sign_in(idp_public, client)

    before = _state()
    with pytest.raises(idp_public.exceptions.NotAuthorizedException):
        _respond(idp_public, client, challenge, "bob", SOFTWARE_TOKEN_MFA_CODE=_next_code(app))
    assert _state() == before


def test_what_the_model_refuses_is_refused_by_botocore_and_by_the_server(
    aws_url: str, idp_public: Any, client: AppClient, alice: PoolUser
) -> None:
    access = _access_token(idp_public, client)
    idp_public.associate_software_token(AccessToken=access)
    # botocore checks lengths itself and never sends the call.
    with pytest.raises(ParamValidationError):
        idp_public.verify_software_token(AccessToken=access, UserCode="12")

    # A client that does not check (as other SDKs don't) hears the service's own answer.
    unchecked = unchecked_client("cognito-idp", aws_url)
    before = _state()
    with pytest.raises(ClientError) as short:
        unchecked.verify_software_token(AccessToken=access, UserCode="12")
    assert _code(short) == "InvalidParameterException"
    assert _message(short) == (
        "1 validation error detected: Value at 'userCode' failed to satisfy constraint: "
        "Member must have length greater than or equal to 6"
    )
    with pytest.raises(ClientError) as letters:
        unchecked.verify_software_token(AccessToken=access, UserCode="abcdef")
    assert _code(letters) == "InvalidParameterException"
    assert "Member must satisfy regular expression pattern: [0-9]+" in _message(letters)
    with pytest.raises(ClientError) as short_session:
        unchecked.associate_software_token(Session="too-short")
    assert _code(short_session) == "InvalidParameterException"
    assert "'session'" in _message(short_session)
    with pytest.raises(ClientError) as no_choice:
        unchecked.respond_to_auth_challenge(
            ClientId=client.client_id,
            ChallengeName="NOT_A_CHALLENGE",
            Session=FORGED_SESSION,
            ChallengeResponses={"USERNAME": "alice"},
        )
    assert _code(no_choice) == "InvalidParameterException"
    assert "Member must satisfy enum value set" in _message(no_choice)
    assert _state() == before


def test_neither_access_token_nor_session_is_refused(idp_public: Any, alice: PoolUser) -> None:
    with pytest.raises(idp_public.exceptions.InvalidParameterException):
        idp_public.associate_software_token()
    with pytest.raises(idp_public.exceptions.InvalidParameterException):
        idp_public.verify_software_token(UserCode="123456")


def test_an_invalid_access_token_is_refused(idp_public: Any, alice: PoolUser) -> None:
    with pytest.raises(idp_public.exceptions.NotAuthorizedException):
        idp_public.associate_software_token(AccessToken="not.an.access-token")
    with pytest.raises(idp_public.exceptions.NotAuthorizedException):
        idp_public.set_user_mfa_preference(
            AccessToken="not.an.access-token", SMSMfaSettings={"Enabled": True}
        )


@pytest.mark.parametrize(
    "preferences",
    [
        {
            "SMSMfaSettings": {"Enabled": True, "PreferredMfa": True},
            "EmailMfaSettings": {"Enabled": True, "PreferredMfa": True},
        },
        {"SMSMfaSettings": {"Enabled": False, "PreferredMfa": True}},
    ],
)
def test_contradictory_preferences_are_refused(
    idp: Any, client: AppClient, alice: PoolUser, preferences: dict[str, Any]
) -> None:
    before = _state()
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.admin_set_user_mfa_preference(
            UserPoolId=client.pool.pool_id, Username="alice", **preferences
        )
    assert _state() == before


def test_a_factor_the_pool_does_not_allow_is_refused(
    idp: Any, idp_public: Any, transactional_db: None
) -> None:
    pool = mfa_pool(totp=False, email=False)
    make_user(pool=pool, username="frank", password=PASSWORD, email="f@example.com")
    client = make_app_client(pool=pool, ExplicitAuthFlows=FLOWS)
    access = _access_token(idp_public, client, "frank")

    before = _state()
    with pytest.raises(idp_public.exceptions.InvalidParameterException) as email:
        idp_public.set_user_mfa_preference(AccessToken=access, EmailMfaSettings={"Enabled": True})
    assert "EMAIL_OTP is not enabled" in _message(email)
    with pytest.raises(idp_public.exceptions.InvalidParameterException):
        idp_public.associate_software_token(AccessToken=access)
    # SMS needs a phone number, which frank has not given.
    with pytest.raises(idp_public.exceptions.InvalidParameterException) as sms:
        idp_public.set_user_mfa_preference(AccessToken=access, SMSMfaSettings={"Enabled": True})
    assert "phone_number" in _message(sms)
    assert _state() == before


# --- legacy settings, and removing an authenticator ---------------------------------------------


def test_the_legacy_settings_turn_sms_mfa_on_and_off(
    idp: Any, idp_public: Any, client: AppClient, alice: PoolUser, sms_outbox: list[SmsMessage]
) -> None:
    access = _access_token(idp_public, client)
    assert _body(idp_public.set_user_settings(AccessToken=access, MFAOptions=[SMS_OPTION])) == set()
    assert _mfa_members(idp_public.get_user(AccessToken=access)) == {
        "UserMFASettingList": ["SMS_MFA"],
        "MFAOptions": [SMS_OPTION],
    }
    assert _sign_in(idp_public, client)["ChallengeName"] == "SMS_MFA"

    ids = {"UserPoolId": client.pool.pool_id, "Username": "alice"}
    before = _state()
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.admin_set_user_settings(
            **ids, MFAOptions=[{"DeliveryMedium": "EMAIL", "AttributeName": "email"}]
        )
    assert _state() == before

    assert _body(idp.admin_set_user_settings(**ids, MFAOptions=[])) == set()
    assert _mfa_members(idp.admin_get_user(**ids)) == {}
    assert "AuthenticationResult" in _sign_in(idp_public, client)

    idp.admin_set_user_settings(**ids, MFAOptions=[SMS_OPTION])
    assert idp.admin_get_user(**ids)["MFAOptions"] == [SMS_OPTION]


def test_deleting_the_software_token_turns_totp_off(
    idp: Any, idp_public: Any, client: AppClient, alice: PoolUser
) -> None:
    access = _access_token(idp_public, client)
    _authenticator(idp_public, access)
    idp_public.set_user_mfa_preference(
        AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    ids = {"UserPoolId": client.pool.pool_id, "Username": "alice"}
    assert _sign_in(idp_public, client)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"

    assert _body(idp.admin_delete_software_token(**ids)) == set()

    assert _mfa_members(idp.admin_get_user(**ids)) == {}
    assert "AuthenticationResult" in _sign_in(idp_public, client)
    before = _state()
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.admin_delete_software_token(**ids)
    assert _state() == before
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_delete_software_token(UserPoolId=client.pool.pool_id, Username="nobody")


def test_the_admin_operations_need_a_signature(
    idp_public: Any, client: AppClient, alice: PoolUser
) -> None:
    ids = {"UserPoolId": client.pool.pool_id, "Username": "alice"}
    before = _state()
    for call, params in (
        (idp_public.admin_delete_software_token, {}),
        (idp_public.admin_set_user_settings, {"MFAOptions": [SMS_OPTION]}),
        (idp_public.admin_set_user_mfa_preference, {"SMSMfaSettings": {"Enabled": True}}),
    ):
        with pytest.raises(ClientError) as refused:
            call(**ids, **params)
        assert _code(refused) == "MissingAuthenticationTokenException"
    assert _state() == before


def test_totp_cannot_be_turned_off_when_the_pool_requires_mfa(
    idp_public: Any, transactional_db: None
) -> None:
    pool = mfa_pool("ON", sms=False, email=False)
    make_user(pool=pool, username="dan", password=PASSWORD)
    client = make_app_client(pool=pool, ExplicitAuthFlows=FLOWS)
    setup = _sign_in(idp_public, client, "dan")
    associated = idp_public.associate_software_token(Session=setup["Session"])
    verified = idp_public.verify_software_token(
        Session=associated["Session"], UserCode=pyotp.TOTP(associated["SecretCode"]).now()
    )
    done = _respond(idp_public, client, {**setup, "Session": verified["Session"]}, "dan")
    access = done["AuthenticationResult"]["AccessToken"]

    before = _state()
    with pytest.raises(idp_public.exceptions.InvalidParameterException):
        idp_public.set_user_mfa_preference(
            AccessToken=access, SoftwareTokenMfaSettings={"Enabled": False}
        )
    assert _state() == before


def test_an_access_token_and_a_session_together_are_refused(
    idp_public: Any, transactional_db: None
) -> None:
    pool = mfa_pool("ON", sms=False, email=False)
    make_user(pool=pool, username="dan", password=PASSWORD)
    client = make_app_client(pool=pool, ExplicitAuthFlows=FLOWS)
    make_user(pool=pool, username="erin", password=PASSWORD)
    setup = _sign_in(idp_public, client, "dan")
    other = _sign_in(idp_public, client, "erin")
    associated = idp_public.associate_software_token(Session=other["Session"])
    verified = idp_public.verify_software_token(
        Session=associated["Session"], UserCode=pyotp.TOTP(associated["SecretCode"]).now()
    )
    access = _respond(idp_public, client, {**other, "Session": verified["Session"]}, "erin")[
        "AuthenticationResult"
    ]["AccessToken"]

    before = _state()
    with pytest.raises(idp_public.exceptions.InvalidParameterException):
        idp_public.associate_software_token(AccessToken=access, Session=setup["Session"])
    with pytest.raises(idp_public.exceptions.InvalidParameterException):
        idp_public.verify_software_token(
            AccessToken=access, Session=setup["Session"], UserCode="123456"
        )
    assert _state() == before
