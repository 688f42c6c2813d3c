"""AWS endpoint, boto3 against a live server: signing in with a passkey (USER_AUTH's WEB_AUTHN
challenge). A passkey registered through Start/CompleteWebAuthnRegistration answers the
challenge's request options and signs in; the assertion is checked for its challenge, origin,
relying party, user and counter; passkeys and MFA follow the pool's FactorConfiguration. The
authenticator is `tests/pools/webauthn_authenticator.py`'s software one."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest
from botocore.exceptions import ClientError

from pools.models import AppClient, PoolUser, RefreshToken, UserPool, WebAuthnCredential
from pools.services.mfa import mfa_preference_set
from pools.services.pools import user_pool_set_mfa_config
from tests.builders import make_app_client, make_user
from tests.pools.test_aws_user_auth import passwordless_pool
from tests.pools.test_mfa import SMS_CONFIGURATION
from tests.pools.webauthn_authenticator import SoftAuthenticator

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Passw0rd!"
RP_ID = "example.com"
ORIGIN = "https://login.example.com"


@pytest.fixture
def pool(aws_url: str) -> UserPool:
    pool = passwordless_pool(["PASSWORD", "WEB_AUTHN"])
    return user_pool_set_mfa_config(
        pool=pool, settings={"WebAuthnConfiguration": {"RelyingPartyId": RP_ID}}
    )


@pytest.fixture
def client(pool: UserPool) -> AppClient:
    return make_app_client(pool=pool, ExplicitAuthFlows=["ALLOW_USER_AUTH"])


@pytest.fixture
def alice(pool: UserPool) -> PoolUser:
    return make_user(pool=pool, username="alice", password=PASSWORD)


@pytest.fixture
def passkey(idp_public: Any, client: AppClient, alice: PoolUser) -> SoftAuthenticator:
    """Alice's passkey, registered after a password sign-in."""
    tokens = idp_public.initiate_auth(
        ClientId=client.client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={
            "USERNAME": "alice",
            "PREFERRED_CHALLENGE": "PASSWORD",
            "PASSWORD": PASSWORD,
        },
    )["AuthenticationResult"]
    device = SoftAuthenticator(origin=ORIGIN)
    options = idp_public.start_web_authn_registration(AccessToken=tokens["AccessToken"])
    idp_public.complete_web_authn_registration(
        AccessToken=tokens["AccessToken"],
        Credential=device.register(options["CredentialCreationOptions"]),
    )
    return device


def _challenge(idp_public: Any, client: AppClient, username: str = "alice") -> Any:
    return idp_public.initiate_auth(
        ClientId=client.client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": username, "PREFERRED_CHALLENGE": "WEB_AUTHN"},
    )


def _options(challenge: Any) -> dict[str, Any]:
    options: dict[str, Any] = json.loads(
        challenge["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"]
    )
    return options


def _answer(
    idp_public: Any, client: AppClient, challenge: Any, credential: Any, username: str = "alice"
) -> Any:
    return idp_public.respond_to_auth_challenge(
        ClientId=client.client_id,
        ChallengeName="WEB_AUTHN",
        Session=challenge["Session"],
        ChallengeResponses={
            "USERNAME": username,
            "CREDENTIAL": credential if isinstance(credential, str) else json.dumps(credential),
        },
    )


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _counter() -> int:
    return WebAuthnCredential.objects.get().sign_count


def test_a_passkey_signs_the_user_in(
    idp_public: Any, client: AppClient, passkey: SoftAuthenticator
) -> None:
    chosen = idp_public.initiate_auth(
        ClientId=client.client_id, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": "alice"}
    )
    assert chosen["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP", "WEB_AUTHN"]

    challenge = idp_public.respond_to_auth_challenge(
        ClientId=client.client_id,
        ChallengeName="SELECT_CHALLENGE",
        Session=chosen["Session"],
        ChallengeResponses={"USERNAME": "alice", "ANSWER": "WEB_AUTHN"},
    )
    assert challenge["ChallengeName"] == "WEB_AUTHN"
    options = _options(challenge)
    assert options["rpId"] == RP_ID
    assert [item["id"] for item in options["allowCredentials"]] == [passkey.id]
    assert options["userVerification"] == "preferred"

    result = _answer(idp_public, client, challenge, passkey.authenticate(options))
    claims = _claims(result["AuthenticationResult"]["IdToken"])
    assert claims["cognito:username"] == "alice"
    assert claims["amr"] == ["hwk"]
    assert _counter() == 1
    assert WebAuthnCredential.objects.get().last_used_at is not None


def test_the_factors_name_the_passkey(
    idp_public: Any, idp: Any, client: AppClient, alice: PoolUser, passkey: SoftAuthenticator
) -> None:
    factors = idp.admin_get_user_auth_factors(UserPoolId=alice.pool.pool_id, Username="alice")
    assert factors["ConfiguredUserAuthFactors"] == ["PASSWORD", "WEB_AUTHN"]


@pytest.mark.parametrize(
    "tamper",
    [
        {"origin": "https://evil.example.net"},
        {"rp_id": "evil.example.net"},
        {"challenge": "c29tZXRoaW5nIGVsc2U"},
        {"sign_count": 0},
    ],
)
def test_an_assertion_that_is_not_right_is_refused_and_changes_nothing(
    idp_public: Any, client: AppClient, passkey: SoftAuthenticator, tamper: dict[str, Any]
) -> None:
    # One good sign-in first, so that the counter stands at 1.
    first = _challenge(idp_public, client)
    _answer(idp_public, client, first, passkey.authenticate(_options(first)))
    challenge = _challenge(idp_public, client)
    credential = passkey.authenticate(_options(challenge), **tamper)
    tokens = RefreshToken.objects.count()

    with pytest.raises(idp_public.exceptions.NotAuthorizedException):
        _answer(idp_public, client, challenge, credential)
    assert _counter() == 1
    assert RefreshToken.objects.count() == tokens


def test_an_assertion_answers_one_challenge_once(
    idp_public: Any, client: AppClient, passkey: SoftAuthenticator
) -> None:
    challenge = _challenge(idp_public, client)
    credential = passkey.authenticate(_options(challenge))
    _answer(idp_public, client, challenge, credential)
    with pytest.raises(idp_public.exceptions.NotAuthorizedException):
        _answer(idp_public, client, challenge, credential)
    # Nor for a new challenge: it signed the old one.
    with pytest.raises(idp_public.exceptions.NotAuthorizedException):
        _answer(idp_public, client, _challenge(idp_public, client), credential)
    assert RefreshToken.objects.count() == 2  # the registration's sign-in and the first answer


def test_another_users_passkey_does_not_sign_in(
    idp_public: Any, client: AppClient, pool: UserPool, passkey: SoftAuthenticator
) -> None:
    make_user(pool=pool, username="bob", password=PASSWORD)
    # Bob has no passkey: a preference for one falls back to the choice.
    assert _challenge(idp_public, client, "bob")["ChallengeName"] == "SELECT_CHALLENGE"
    mallory = SoftAuthenticator(origin=ORIGIN)
    challenge = _challenge(idp_public, client)
    with pytest.raises(idp_public.exceptions.NotAuthorizedException):
        _answer(
            idp_public,
            client,
            challenge,
            mallory.authenticate({**_options(challenge), "allowCredentials": []}),
        )


@pytest.mark.parametrize("credential", ["not json", "[]", json.dumps({"id": 5}), "{" * 5000])
def test_a_malformed_credential_is_refused(
    idp_public: Any, client: AppClient, passkey: SoftAuthenticator, credential: str
) -> None:
    challenge = _challenge(idp_public, client)
    with pytest.raises(ClientError) as refused:
        _answer(idp_public, client, challenge, credential)
    assert refused.value.response["Error"]["Code"] in {
        "InvalidParameterException",
        "NotAuthorizedException",
    }
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert _counter() == 0


def test_user_verification_required_refuses_an_assertion_without_it(
    idp_public: Any, client: AppClient, pool: UserPool, passkey: SoftAuthenticator
) -> None:
    user_pool_set_mfa_config(
        pool=pool, settings={"WebAuthnConfiguration": {"UserVerification": "required"}}
    )
    passkey.user_verification = False
    challenge = _challenge(idp_public, client)
    assert _options(challenge)["userVerification"] == "required"
    with pytest.raises(idp_public.exceptions.NotAuthorizedException):
        _answer(idp_public, client, challenge, passkey.authenticate(_options(challenge)))
    assert _counter() == 0


def _with_sms_mfa(pool: UserPool, alice: PoolUser, factor_configuration: str) -> None:
    alice.pool = user_pool_set_mfa_config(
        pool=pool,
        settings={
            "MfaConfiguration": "OPTIONAL",
            "SmsMfaConfiguration": {"SmsConfiguration": SMS_CONFIGURATION},
            "WebAuthnConfiguration": {"FactorConfiguration": factor_configuration},
        },
    )
    alice.phone_number = "+15555550100"
    alice.save()
    mfa_preference_set(user=alice, preferences={"SMSMfaSettings": {"Enabled": True}})


def test_a_user_with_mfa_uses_passkeys_only_where_they_count_as_mfa(
    idp_public: Any, client: AppClient, pool: UserPool, alice: PoolUser, passkey: SoftAuthenticator
) -> None:
    _with_sms_mfa(pool, alice, "SINGLE_FACTOR")
    assert _challenge(idp_public, client)["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP"]

    _with_sms_mfa(pool, alice, "MULTI_FACTOR_WITH_USER_VERIFICATION")
    challenge = _challenge(idp_public, client)
    assert challenge["ChallengeName"] == "WEB_AUTHN"
    result = _answer(idp_public, client, challenge, passkey.authenticate(_options(challenge)))
    assert _claims(result["AuthenticationResult"]["IdToken"])["amr"] == ["hwk", "mfa"]

    # Without user verification the assertion is no second factor: refused.
    passkey.user_verification = False
    challenge = _challenge(idp_public, client)
    with pytest.raises(idp_public.exceptions.NotAuthorizedException) as refused:
        _answer(idp_public, client, challenge, passkey.authenticate(_options(challenge)))
    assert "must complete MFA" in refused.value.response["Error"]["Message"]


def test_hidden_users_get_a_passkey_challenge_that_nothing_answers(
    idp_public: Any, pool: UserPool, passkey: SoftAuthenticator
) -> None:
    hidden = make_app_client(
        pool=pool, ExplicitAuthFlows=["ALLOW_USER_AUTH"], PreventUserExistenceErrors="ENABLED"
    )
    challenge = _challenge(idp_public, hidden, "nobody")
    assert challenge["ChallengeName"] == "WEB_AUTHN"
    options = _options(challenge)
    assert options["allowCredentials"] == []
    with pytest.raises(idp_public.exceptions.NotAuthorizedException):
        _answer(idp_public, hidden, challenge, passkey.authenticate(options), username="nobody")


def test_a_pool_without_a_relying_party_offers_no_passkeys(idp_public: Any) -> None:
    """Neither a RelyingPartyId nor a domain: nobody is offered WEB_AUTHN, hidden or not."""
    pool = passwordless_pool(["PASSWORD", "WEB_AUTHN"])
    make_user(pool=pool, username="alice", password=PASSWORD)
    for hidden in ("LEGACY", "ENABLED"):
        client = make_app_client(
            pool=pool, ExplicitAuthFlows=["ALLOW_USER_AUTH"], PreventUserExistenceErrors=hidden
        )
        for name in ("alice", "nobody") if hidden == "ENABLED" else ("alice",):
            answer = idp_public.initiate_auth(
                ClientId=client.client_id,
                AuthFlow="USER_AUTH",
                AuthParameters={"USERNAME": name},
            )
            assert answer["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP"]
            with pytest.raises(idp_public.exceptions.InvalidParameterException):
                _challenge(idp_public, client, name)


def test_hidden_users_cannot_be_told_apart_by_their_passkeys(
    idp_public: Any, pool: UserPool, passkey: SoftAuthenticator
) -> None:
    """Where the client hides who exists, alice (who has a passkey) and a name nobody has get the
    same challenge and the same refusal; alice's own passkey still signs her in."""
    hidden = make_app_client(
        pool=pool, ExplicitAuthFlows=["ALLOW_USER_AUTH"], PreventUserExistenceErrors="ENABLED"
    )
    stranger = SoftAuthenticator(origin=ORIGIN)
    refusals = set()
    for name in ("alice", "nobody"):
        challenge = _challenge(idp_public, hidden, name)
        options = _options(challenge)
        assert options["allowCredentials"] == []
        with pytest.raises(idp_public.exceptions.NotAuthorizedException) as refused:
            _answer(idp_public, hidden, challenge, stranger.authenticate(options), username=name)
        refusals.add(refused.value.response["Error"]["Message"])
    assert refusals == {"Passkey authentication failed."}

    challenge = _challenge(idp_public, hidden)
    result = _answer(idp_public, hidden, challenge, passkey.authenticate(_options(challenge)))
    assert "AccessToken" in result["AuthenticationResult"]
