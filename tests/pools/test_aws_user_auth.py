"""AWS endpoint, boto3 against a live server: choice-based sign-in (AuthFlow USER_AUTH) as an app
sees it. The first factors a user has (SELECT_CHALLENGE's AvailableChallenges), PREFERRED_CHALLENGE,
a password sent or proved by SRP, one-time codes by email and SMS, MFA after a password, the pool's
SignInPolicy and WebAuthnConfiguration, GetUserAuthFactors, and the errors of each. Passkeys
(WEB_AUTHN) are in test_aws_webauthn_sign_in.py.

Codes are read from what the server sent (`mail.outbox`, `sms_outbox`: the live server runs in
this process)."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from botocore.exceptions import ClientError
from django.core import mail
from pycognito.aws_srp import AWSSRP

from pools.models import AppClient, AuthSession, PoolUser, RefreshToken, UserPool
from pools.services.lockout import lockout_record_failure, lockout_record_failure_unknown
from pools.services.mfa import mfa_preference_set
from pools.services.pools import user_pool_set_mfa_config
from pools.services.sms import SmsMessage
from tests.builders import make_app_client, make_user, make_user_pool, sent_code
from tests.pools.test_mfa import EMAIL_CONFIGURATION, SMS_CONFIGURATION

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Passw0rd!"
ALL_FACTORS = ["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"]


def passwordless_pool(factors: list[str] | None = None, **settings: Any) -> UserPool:
    """A pool whose users may sign in with `factors` first (all of them by default)."""
    return make_user_pool(
        SmsConfiguration=SMS_CONFIGURATION,
        EmailConfiguration=EMAIL_CONFIGURATION,
        Policies={"SignInPolicy": {"AllowedFirstAuthFactors": factors or ALL_FACTORS}},
        **settings,
    )


@pytest.fixture
def pool(transactional_db: None) -> UserPool:
    return passwordless_pool()


@pytest.fixture
def client(pool: UserPool) -> AppClient:
    return make_app_client(
        pool=pool, ExplicitAuthFlows=["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )


@pytest.fixture
def alice(pool: UserPool) -> PoolUser:
    """A password, and a verified email address and phone number."""
    return make_user(
        pool=pool,
        username="alice",
        password=PASSWORD,
        email="alice@example.com",
        email_verified="true",
        phone_number="+15555550100",
        phone_number_verified="true",
    )


@pytest.fixture
def bob(pool: UserPool) -> PoolUser:
    """A password and an email address nobody has verified."""
    return make_user(pool=pool, username="bob", password=PASSWORD, email="bob@example.com")


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    code: str = error.value.response["Error"]["Code"]
    return code


def _message(error: pytest.ExceptionInfo[ClientError]) -> str:
    message: str = error.value.response["Error"]["Message"]
    return message


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _state() -> dict[str, list[dict[str, Any]]]:
    """What a refused step must leave alone: users, sign-ins and open challenges."""
    return {
        "users": [dict(row) for row in PoolUser.objects.order_by("pk").values()],
        "refresh": [dict(row) for row in RefreshToken.objects.order_by("pk").values()],
        "sessions": [
            dict(row)
            for row in AuthSession.objects.order_by("pk").values("pk", "challenge_name", "used_at")
        ],
    }


def _start(idp: Any, client: AppClient, username: str = "alice", **parameters: str) -> Any:
    return idp.initiate_auth(
        ClientId=client.client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": username, **parameters},
    )


def _respond(idp: Any, client: AppClient, name: str, session: str, **responses: str) -> Any:
    return idp.respond_to_auth_challenge(
        ClientId=client.client_id,
        ChallengeName=name,
        Session=session,
        ChallengeResponses={"USERNAME": "alice", **responses},
    )


# --- the choice ------------------------------------------------------------------------------


def test_select_challenge_lists_the_first_factors_the_user_has(
    idp_public: Any, client: AppClient, alice: PoolUser, bob: PoolUser
) -> None:
    answer = _start(idp_public, client)
    assert answer["ChallengeName"] == "SELECT_CHALLENGE"
    assert answer["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "SMS_OTP"]
    assert "AuthenticationResult" not in answer
    # An address nobody has verified carries no sign-in code.
    assert _start(idp_public, client, "bob")["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP"]


def test_the_pool_decides_which_first_factors_are_offered(
    idp_public: Any, alice: PoolUser, pool: UserPool
) -> None:
    pool.allowed_first_auth_factors = ["PASSWORD", "SMS_OTP"]
    pool.save()
    client = make_app_client(pool=pool, ExplicitAuthFlows=["ALLOW_USER_AUTH"])
    answer = _start(idp_public, client)
    assert answer["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP", "SMS_OTP"]


def test_an_email_code_signs_the_user_in(
    idp_public: Any, client: AppClient, alice: PoolUser
) -> None:
    chosen = _start(idp_public, client)
    challenge = _respond(
        idp_public, client, "SELECT_CHALLENGE", chosen["Session"], ANSWER="EMAIL_OTP"
    )
    assert challenge["ChallengeName"] == "EMAIL_OTP"
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == "a***@e***"
    [email] = mail.outbox
    assert email.to == ["alice@example.com"]

    result = _respond(
        idp_public,
        client,
        "EMAIL_OTP",
        challenge["Session"],
        EMAIL_OTP_CODE=sent_code(str(email.body)),
    )["AuthenticationResult"]
    claims = _claims(result["IdToken"])
    assert claims["cognito:username"] == "alice"
    assert claims["amr"] == ["otp"]
    assert result["RefreshToken"]


def test_a_preferred_challenge_starts_at_once(
    idp_public: Any, client: AppClient, alice: PoolUser, sms_outbox: list[SmsMessage]
) -> None:
    challenge = _start(idp_public, client, PREFERRED_CHALLENGE="SMS_OTP")
    assert challenge["ChallengeName"] == "SMS_OTP"
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS"
    [sms] = sms_outbox
    assert sms.destination == "+15555550100"

    result = _respond(
        idp_public, client, "SMS_OTP", challenge["Session"], SMS_OTP_CODE=sent_code(sms.body)
    )["AuthenticationResult"]
    assert _claims(result["IdToken"])["amr"] == ["sms"]


def test_a_preferred_password_signs_in_with_the_first_call(
    idp_public: Any, client: AppClient, alice: PoolUser
) -> None:
    answer = _start(idp_public, client, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    assert _claims(answer["AuthenticationResult"]["AccessToken"])["username"] == "alice"

    before = _state()
    with pytest.raises(idp_public.exceptions.NotAuthorizedException) as refused:
        _start(idp_public, client, PREFERRED_CHALLENGE="PASSWORD", PASSWORD="Wr0ng-password")
    assert _message(refused) == "Incorrect username or password."
    alice.refresh_from_db()
    assert alice.failed_sign_in_count == 1
    after = _state()
    after["users"][0]["failed_sign_in_count"] = before["users"][0]["failed_sign_in_count"]
    after["users"][0]["last_failed_sign_in_at"] = before["users"][0]["last_failed_sign_in_at"]
    assert after == before


def test_choosing_password_without_one_asks_for_it(
    idp_public: Any, client: AppClient, alice: PoolUser
) -> None:
    chosen = _start(idp_public, client)
    asked = _respond(idp_public, client, "SELECT_CHALLENGE", chosen["Session"], ANSWER="PASSWORD")
    assert asked["ChallengeName"] == "PASSWORD"
    result = _respond(idp_public, client, "PASSWORD", asked["Session"], PASSWORD=PASSWORD)
    assert _claims(result["AuthenticationResult"]["IdToken"])["cognito:username"] == "alice"


def test_a_choice_can_carry_its_password(
    idp_public: Any, client: AppClient, alice: PoolUser
) -> None:
    chosen = _start(idp_public, client)
    result = _respond(
        idp_public,
        client,
        "SELECT_CHALLENGE",
        chosen["Session"],
        ANSWER="PASSWORD",
        PASSWORD=PASSWORD,
    )
    assert "AccessToken" in result["AuthenticationResult"]


def test_password_srp_as_the_preferred_challenge(
    idp_public: Any, client: AppClient, alice: PoolUser, pool: UserPool
) -> None:
    srp = AWSSRP(
        username="alice",
        password=PASSWORD,
        pool_id=pool.pool_id,
        client_id=client.client_id,
        client=idp_public,
    )
    parameters = srp.get_auth_params()
    challenge = _start(
        idp_public, client, PREFERRED_CHALLENGE="PASSWORD_SRP", SRP_A=parameters["SRP_A"]
    )
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
    responses = srp.process_challenge(challenge["ChallengeParameters"], parameters)
    result = idp_public.respond_to_auth_challenge(
        ClientId=client.client_id,
        ChallengeName="PASSWORD_VERIFIER",
        Session=challenge["Session"],
        ChallengeResponses=responses,
    )["AuthenticationResult"]
    assert _claims(result["AccessToken"])["username"] == "alice"


def test_the_admin_flow_offers_the_same_choice(
    idp: Any, client: AppClient, alice: PoolUser, pool: UserPool
) -> None:
    chosen = idp.admin_initiate_auth(
        UserPoolId=pool.pool_id,
        ClientId=client.client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": "alice"},
    )
    assert chosen["ChallengeName"] == "SELECT_CHALLENGE"
    result = idp.admin_respond_to_auth_challenge(
        UserPoolId=pool.pool_id,
        ClientId=client.client_id,
        ChallengeName="SELECT_CHALLENGE",
        Session=chosen["Session"],
        ChallengeResponses={"USERNAME": "alice", "ANSWER": "PASSWORD", "PASSWORD": PASSWORD},
    )
    assert "AccessToken" in result["AuthenticationResult"]


# --- MFA -------------------------------------------------------------------------------------


def test_a_user_who_owes_mfa_signs_in_with_a_password_and_then_mfa(
    idp_public: Any, client: AppClient, alice: PoolUser, pool: UserPool, sms_outbox: list[Any]
) -> None:
    user_pool_set_mfa_config(
        pool=pool,
        settings={
            "MfaConfiguration": "OPTIONAL",
            "SmsMfaConfiguration": {"SmsConfiguration": SMS_CONFIGURATION},
        },
    )
    alice.mfa_sms_enabled = True
    alice.save()
    chosen = _start(idp_public, client)
    # A one-time code is no second factor after itself: only the password is offered.
    assert chosen["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP"]
    mfa = _respond(
        idp_public,
        client,
        "SELECT_CHALLENGE",
        chosen["Session"],
        ANSWER="PASSWORD",
        PASSWORD=PASSWORD,
    )
    assert mfa["ChallengeName"] == "SMS_MFA"
    result = _respond(
        idp_public,
        client,
        "SMS_MFA",
        mfa["Session"],
        SMS_MFA_CODE=sent_code(sms_outbox[-1].body),
    )
    assert _claims(result["AuthenticationResult"]["IdToken"])["amr"] == ["pwd", "mfa", "sms"]


# --- refusals ---------------------------------------------------------------------------------


def test_a_preferred_challenge_the_user_lacks_falls_back_to_the_choice(
    idp_public: Any, client: AppClient, bob: PoolUser
) -> None:
    answer = _start(idp_public, client, "bob", PREFERRED_CHALLENGE="EMAIL_OTP")
    assert answer["ChallengeName"] == "SELECT_CHALLENGE"
    assert answer["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP"]
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("preferred", "message"),
    [
        ("SOFTWARE_TOKEN_MFA", "PREFERRED_CHALLENGE must be one of"),
        ("CUSTOM_CHALLENGE", "PREFERRED_CHALLENGE must be one of"),
        ("", "PREFERRED_CHALLENGE must be one of"),
        ("EMAIL_OTP", "EMAIL_OTP is not an allowed first authentication factor"),
    ],
)
def test_a_preferred_challenge_the_pool_does_not_allow_is_refused(
    idp_public: Any, alice: PoolUser, pool: UserPool, preferred: str, message: str
) -> None:
    pool.allowed_first_auth_factors = ["PASSWORD", "SMS_OTP"]
    pool.save()
    client = make_app_client(pool=pool, ExplicitAuthFlows=["ALLOW_USER_AUTH"])
    before = _state()
    with pytest.raises(idp_public.exceptions.InvalidParameterException) as refused:
        _start(idp_public, client, PREFERRED_CHALLENGE=preferred)
    assert message in _message(refused)
    assert _state() == before
    assert mail.outbox == []


def test_a_client_without_allow_user_auth_refuses_the_flow(
    idp_public: Any, pool: UserPool, alice: PoolUser
) -> None:
    client = make_app_client(pool=pool, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])
    with pytest.raises(idp_public.exceptions.InvalidParameterException) as refused:
        _start(idp_public, client)
    assert _message(refused) == "USER_AUTH flow not enabled for this client"


def test_a_wrong_code_is_refused_and_the_session_ends_after_three(
    idp_public: Any, client: AppClient, alice: PoolUser
) -> None:
    challenge = _start(idp_public, client, PREFERRED_CHALLENGE="EMAIL_OTP")
    right = sent_code(str(mail.outbox[0].body))
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    tokens_before = RefreshToken.objects.count()
    for _ in range(3):
        with pytest.raises(idp_public.exceptions.CodeMismatchException):
            _respond(idp_public, client, "EMAIL_OTP", challenge["Session"], EMAIL_OTP_CODE=wrong)
    with pytest.raises(idp_public.exceptions.NotAuthorizedException):
        _respond(idp_public, client, "EMAIL_OTP", challenge["Session"], EMAIL_OTP_CODE=right)
    assert RefreshToken.objects.count() == tokens_before


def test_a_code_answers_once(idp_public: Any, client: AppClient, alice: PoolUser) -> None:
    challenge = _start(idp_public, client, PREFERRED_CHALLENGE="EMAIL_OTP")
    code = sent_code(str(mail.outbox[0].body))
    _respond(idp_public, client, "EMAIL_OTP", challenge["Session"], EMAIL_OTP_CODE=code)
    with pytest.raises(idp_public.exceptions.NotAuthorizedException) as refused:
        _respond(idp_public, client, "EMAIL_OTP", challenge["Session"], EMAIL_OTP_CODE=code)
    assert "session can only be used once" in _message(refused)


def test_an_answer_for_another_user_or_a_choice_not_offered_is_refused(
    idp_public: Any, client: AppClient, alice: PoolUser, bob: PoolUser
) -> None:
    chosen = _start(idp_public, client, "bob")
    before = _state()
    with pytest.raises(idp_public.exceptions.NotAuthorizedException):
        _respond(idp_public, client, "SELECT_CHALLENGE", chosen["Session"], ANSWER="EMAIL_OTP")
    with pytest.raises(idp_public.exceptions.InvalidParameterException) as refused:
        idp_public.respond_to_auth_challenge(
            ClientId=client.client_id,
            ChallengeName="SELECT_CHALLENGE",
            Session=chosen["Session"],
            ChallengeResponses={"USERNAME": "bob", "ANSWER": "EMAIL_OTP"},
        )
    assert _message(refused) == "ANSWER must be one of PASSWORD, PASSWORD_SRP."
    assert _state() == before
    assert mail.outbox == []


def test_a_disabled_user_is_refused_before_any_code_is_sent(
    idp_public: Any, client: AppClient, alice: PoolUser
) -> None:
    alice.enabled = False
    alice.save()
    before = _state()
    with pytest.raises(idp_public.exceptions.NotAuthorizedException) as refused:
        _start(idp_public, client, PREFERRED_CHALLENGE="EMAIL_OTP")
    assert _message(refused) == "User is disabled."
    assert _state() == before
    assert mail.outbox == []


def test_a_user_disabled_during_the_sign_in_gets_no_tokens(
    idp_public: Any, client: AppClient, alice: PoolUser
) -> None:
    challenge = _start(idp_public, client, PREFERRED_CHALLENGE="EMAIL_OTP")
    code = sent_code(str(mail.outbox[0].body))
    PoolUser.objects.filter(pk=alice.pk).update(enabled=False)
    with pytest.raises(idp_public.exceptions.NotAuthorizedException) as refused:
        _respond(idp_public, client, "EMAIL_OTP", challenge["Session"], EMAIL_OTP_CODE=code)
    assert _message(refused) == "User is disabled."
    assert not RefreshToken.objects.exists()


def test_an_unknown_user_is_told_as_in_other_flows(idp_public: Any, client: AppClient) -> None:
    with pytest.raises(idp_public.exceptions.UserNotFoundException):
        _start(idp_public, client, "nobody")


def test_hidden_users_get_the_pools_choice_and_a_code_that_never_comes(
    idp_public: Any, pool: UserPool, bob: PoolUser
) -> None:
    client = make_app_client(
        pool=pool, ExplicitAuthFlows=["ALLOW_USER_AUTH"], PreventUserExistenceErrors="ENABLED"
    )
    # WEB_AUTHN is allowed but the pool has no relying party (no RelyingPartyId, no domain).
    offered = ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "SMS_OTP"]
    for name in ("nobody", "bob"):
        chosen = _start(idp_public, client, name)
        assert chosen["AvailableChallenges"] == offered
        challenge = idp_public.respond_to_auth_challenge(
            ClientId=client.client_id,
            ChallengeName="SELECT_CHALLENGE",
            Session=chosen["Session"],
            ChallengeResponses={"USERNAME": name, "ANSWER": "EMAIL_OTP"},
        )
        assert challenge["ChallengeName"] == "EMAIL_OTP"
        assert challenge["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
        with pytest.raises(idp_public.exceptions.CodeMismatchException):
            idp_public.respond_to_auth_challenge(
                ClientId=client.client_id,
                ChallengeName="EMAIL_OTP",
                Session=challenge["Session"],
                ChallengeResponses={"USERNAME": name, "EMAIL_OTP_CODE": "123456"},
            )
    assert mail.outbox == []
    assert not RefreshToken.objects.exists()


def test_a_session_of_another_flow_answers_no_choice(
    idp_public: Any, client: AppClient, alice: PoolUser
) -> None:
    challenge = _start(idp_public, client, PREFERRED_CHALLENGE="EMAIL_OTP")
    with pytest.raises(idp_public.exceptions.InvalidParameterException) as refused:
        _respond(idp_public, client, "SELECT_CHALLENGE", challenge["Session"], ANSWER="PASSWORD")
    assert "waiting for an answer to EMAIL_OTP" in _message(refused)


# --- the pool's settings ----------------------------------------------------------------------


def test_describe_user_pool_shows_the_sign_in_policy(idp: Any, pool: UserPool) -> None:
    described = idp.describe_user_pool(UserPoolId=pool.pool_id)["UserPool"]
    assert described["Policies"]["SignInPolicy"] == {"AllowedFirstAuthFactors": ALL_FACTORS}
    plain = idp.create_user_pool(PoolName="plain")["UserPool"]
    assert plain["Policies"]["SignInPolicy"] == {"AllowedFirstAuthFactors": ["PASSWORD"]}


@pytest.mark.parametrize(
    ("factors", "settings", "error"),
    [
        (["EMAIL_OTP"], {}, "InvalidParameterException"),
        (["PASSWORD", "SOFTWARE_TOKEN"], {}, "InvalidParameterException"),
        (["PASSWORD", "WEB_AUTHN"], {"UserPoolTier": "LITE"}, "FeatureUnavailableInTierException"),
        (["PASSWORD", "EMAIL_OTP"], {"EmailConfiguration": {}}, "InvalidParameterException"),
        (["PASSWORD", "SMS_OTP"], {"SmsConfiguration": None}, "InvalidParameterException"),
    ],
)
def test_a_sign_in_policy_cognito_refuses_is_refused(
    idp: Any, pool: UserPool, factors: list[str], settings: dict[str, Any], error: str
) -> None:
    request: dict[str, Any] = {
        "UserPoolId": pool.pool_id,
        "SmsConfiguration": SMS_CONFIGURATION,
        "EmailConfiguration": EMAIL_CONFIGURATION,
        "Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": factors}},
        **settings,
    }
    request = {name: value for name, value in request.items() if value is not None}
    before = idp.describe_user_pool(UserPoolId=pool.pool_id)["UserPool"]
    with pytest.raises(ClientError) as refused:
        idp.update_user_pool(**request)
    assert _code(refused) == error
    after = idp.describe_user_pool(UserPoolId=pool.pool_id)["UserPool"]
    assert after == before


def test_webauthn_configuration_is_kept_and_shown(idp: Any, pool: UserPool) -> None:
    # The pool allows passkeys: their settings are shown, defaults included.
    shown = idp.get_user_pool_mfa_config(UserPoolId=pool.pool_id)["WebAuthnConfiguration"]
    assert shown == {"UserVerification": "preferred", "FactorConfiguration": "SINGLE_FACTOR"}
    idp.set_user_pool_mfa_config(
        UserPoolId=pool.pool_id,
        WebAuthnConfiguration={
            "RelyingPartyId": "Auth.Example.com",
            "UserVerification": "required",
            "FactorConfiguration": "MULTI_FACTOR_WITH_USER_VERIFICATION",
        },
    )
    # A call that leaves WebAuthnConfiguration out leaves it alone.
    idp.set_user_pool_mfa_config(UserPoolId=pool.pool_id, MfaConfiguration="OFF")
    assert idp.get_user_pool_mfa_config(UserPoolId=pool.pool_id)["WebAuthnConfiguration"] == {
        "RelyingPartyId": "auth.example.com",
        "UserVerification": "required",
        "FactorConfiguration": "MULTI_FACTOR_WITH_USER_VERIFICATION",
    }


@pytest.mark.parametrize(
    "rp_id", ["https://auth.example.com", "auth.example.com:443", "auth.example.com/x", "-a.com"]
)
def test_a_relying_party_id_that_is_no_domain_is_refused(
    idp: Any, pool: UserPool, rp_id: str
) -> None:
    before = idp.get_user_pool_mfa_config(UserPoolId=pool.pool_id)["WebAuthnConfiguration"]
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.set_user_pool_mfa_config(
            UserPoolId=pool.pool_id, WebAuthnConfiguration={"RelyingPartyId": rp_id}
        )
    after = idp.get_user_pool_mfa_config(UserPoolId=pool.pool_id)["WebAuthnConfiguration"]
    assert after == before


# --- the user's factors ----------------------------------------------------------------------


def test_get_user_auth_factors_names_the_users_first_factors(
    idp_public: Any, idp: Any, client: AppClient, alice: PoolUser, bob: PoolUser
) -> None:
    tokens = _start(idp_public, client, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    own = idp_public.get_user_auth_factors(
        AccessToken=tokens["AuthenticationResult"]["AccessToken"]
    )
    assert own["Username"] == "alice"
    assert own["ConfiguredUserAuthFactors"] == ["PASSWORD", "EMAIL_OTP", "SMS_OTP"]
    assert "UserMFASettingList" not in own

    pool_id = alice.pool.pool_id
    admin = idp.admin_get_user_auth_factors(UserPoolId=pool_id, Username="bob")
    assert admin["ConfiguredUserAuthFactors"] == ["PASSWORD"]
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_get_user_auth_factors(UserPoolId=pool_id, Username="nobody")
    with pytest.raises(idp_public.exceptions.NotAuthorizedException):
        idp_public.get_user_auth_factors(AccessToken="not.a.token")


# --- users without a password -----------------------------------------------------------------


def _signed_up(idp_public: Any, pool: UserPool, username: str) -> tuple[AppClient, str]:
    """A user who signed up without a password in a pool that verifies email, and confirmed it
    with the code: the client they used, and ConfirmSignUp's Session."""
    pool.auto_verified_attributes = ["email"]
    pool.save()
    client = make_app_client(pool=pool, ExplicitAuthFlows=["ALLOW_USER_AUTH"])
    signed_up = idp_public.sign_up(
        ClientId=client.client_id,
        Username=username,
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
    )
    assert signed_up["UserConfirmed"] is False
    session: str = idp_public.confirm_sign_up(
        ClientId=client.client_id,
        Username=username,
        ConfirmationCode=sent_code(str(mail.outbox[-1].body)),
    )["Session"]
    return client, session


def test_a_user_signs_up_without_a_password_and_signs_in_with_codes(
    idp_public: Any, pool: UserPool
) -> None:
    client, _session = _signed_up(idp_public, pool, "carol")
    carol = PoolUser.objects.get(username="carol")
    assert carol.password == ""

    chosen = _start(idp_public, client, "carol")
    assert chosen["AvailableChallenges"] == ["EMAIL_OTP"]
    # No password to try: the preference falls back to the choice.
    fallback = _start(idp_public, client, "carol", PREFERRED_CHALLENGE="PASSWORD", PASSWORD="x")
    assert fallback["AvailableChallenges"] == ["EMAIL_OTP"]

    challenge = _start(idp_public, client, "carol", PREFERRED_CHALLENGE="EMAIL_OTP")
    tokens = idp_public.respond_to_auth_challenge(
        ClientId=client.client_id,
        ChallengeName="EMAIL_OTP",
        Session=challenge["Session"],
        ChallengeResponses={
            "USERNAME": "carol",
            "EMAIL_OTP_CODE": sent_code(str(mail.outbox[-1].body)),
        },
    )["AuthenticationResult"]
    # A first password needs no previous one.
    idp_public.change_password(AccessToken=tokens["AccessToken"], ProposedPassword=PASSWORD)
    assert _start(idp_public, client, "carol")["AvailableChallenges"] == [
        "PASSWORD",
        "PASSWORD_SRP",
        "EMAIL_OTP",
    ]


def test_a_pool_without_passwordless_sign_in_still_needs_a_password(idp_public: Any) -> None:
    pool = passwordless_pool(["PASSWORD"])
    client = make_app_client(pool=pool, ExplicitAuthFlows=["ALLOW_USER_AUTH"])
    with pytest.raises(idp_public.exceptions.InvalidPasswordException):
        idp_public.sign_up(ClientId=client.client_id, Username="carol")
    assert not PoolUser.objects.exists()


def test_confirm_sign_up_gives_a_session_that_signs_in_once(
    idp_public: Any, pool: UserPool
) -> None:
    client, session = _signed_up(idp_public, pool, "dana")
    other = make_app_client(pool=pool, ExplicitAuthFlows=["ALLOW_USER_AUTH"])

    def sign_in(client_id: str, username: str = "dana") -> Any:
        return idp_public.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_AUTH",
            AuthParameters={"USERNAME": username},
            Session=session,
        )

    before = _state()
    for client_id, username in ((other.client_id, "dana"), (client.client_id, "alice")):
        with pytest.raises(idp_public.exceptions.NotAuthorizedException):
            sign_in(client_id, username)
    assert _state() == before

    result = sign_in(client.client_id)["AuthenticationResult"]
    assert _claims(result["IdToken"])["amr"] == ["otp"]
    assert len(mail.outbox) == 1  # the sign-up's code was the first factor: no other was sent
    with pytest.raises(idp_public.exceptions.NotAuthorizedException) as refused:
        sign_in(client.client_id)
    assert "session can only be used once" in _message(refused)


def test_a_locked_out_name_reads_the_same_whether_it_is_a_users_or_nobodys(
    idp_public: Any, pool: UserPool, alice: PoolUser
) -> None:
    hidden = make_app_client(
        pool=pool, ExplicitAuthFlows=["ALLOW_USER_AUTH"], PreventUserExistenceErrors="ENABLED"
    )
    for _ in range(10):  # locked for 2^5 seconds: the test does not race the lock
        lockout_record_failure(user=alice)
        lockout_record_failure_unknown(pool=pool, username="nobody")
    answers = set()
    for name in ("alice", "nobody"):
        with pytest.raises(idp_public.exceptions.NotAuthorizedException) as refused:
            _start(idp_public, hidden, name)
        answers.add(_message(refused))
    assert answers == {"Password attempts exceeded"}


def test_mfa_owed_since_the_code_was_sent_is_asked_after_it(
    idp_public: Any, client: AppClient, alice: PoolUser, pool: UserPool, sms_outbox: list[Any]
) -> None:
    challenge = _start(idp_public, client, PREFERRED_CHALLENGE="EMAIL_OTP")
    code = sent_code(str(mail.outbox[-1].body))
    alice.pool = user_pool_set_mfa_config(
        pool=pool,
        settings={
            "MfaConfiguration": "OPTIONAL",
            "SmsMfaConfiguration": {"SmsConfiguration": SMS_CONFIGURATION},
        },
    )
    mfa_preference_set(user=alice, preferences={"SMSMfaSettings": {"Enabled": True}})

    mfa = _respond(idp_public, client, "EMAIL_OTP", challenge["Session"], EMAIL_OTP_CODE=code)
    assert mfa["ChallengeName"] == "SMS_MFA"
    assert "AuthenticationResult" not in mfa


def test_confirm_sign_up_session_is_not_for_the_admin_flow(
    idp_public: Any, idp: Any, pool: UserPool
) -> None:
    client, session = _signed_up(idp_public, pool, "dana")
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.admin_initiate_auth(
            UserPoolId=pool.pool_id,
            ClientId=client.client_id,
            AuthFlow="USER_AUTH",
            AuthParameters={"USERNAME": "dana"},
            Session=session,
        )
    assert not RefreshToken.objects.exists()
