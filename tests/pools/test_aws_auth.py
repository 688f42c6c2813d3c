"""AWS endpoint, boto3 against a live server: InitiateAuth, RespondToAuthChallenge and their
Admin variants, GetTokensFromRefreshToken, RevokeToken and the global sign-outs.

The end users' operations go through `idp_public`, a client with no credentials at all; the
Admin ones through `idp`, signed by an operator's key. The sign-in rules themselves are tested
exhaustively in test_auth.py and test_tokens.py; these tests show that each reaches the wire as
Cognito's answer."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

from pools.models import AppClient, AuthSession, PoolUser, RefreshToken, UserPool, UserStatus
from pools.services.clients import app_client_secret
from tests.builders import make_app_client, make_user_pool

pytestmark = pytest.mark.django_db

PASSWORD = "Passw0rd!"
TEMPORARY = "Temp0rary!"
NEW = "N3w-passw0rd!"
FLOWS = [
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
]


@pytest.fixture
def client(pool: UserPool) -> AppClient:
    return make_app_client(pool=pool, ExplicitAuthFlows=FLOWS)


def _message(error: pytest.ExceptionInfo[ClientError]) -> str:
    message: str = error.value.response["Error"]["Message"]
    return message


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _state() -> dict[str, list[dict[str, Any]]]:
    """Every stored user, sign-in and open challenge, to show that a refused call changed none."""
    return {
        model.__name__: [dict(row) for row in model.objects.order_by("pk").values()]
        for model in (PoolUser, RefreshToken, AuthSession)
    }


def _sign_in(idp_public: Any, client: AppClient, username: str = "alice", **extra: str) -> Any:
    """The whole InitiateAuth answer of a USER_PASSWORD_AUTH sign-in (the password by default)."""
    return idp_public.initiate_auth(
        ClientId=client.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD, **extra},
    )


def _tokens(idp_public: Any, client: AppClient, username: str = "alice", **extra: str) -> Any:
    return _sign_in(idp_public, client, username, **extra)["AuthenticationResult"]


def _secret_hash(client: AppClient, username: str) -> str:
    secret = app_client_secret(client=client)
    assert secret is not None
    return str(AWSSRP.get_secret_hash(username, client.client_id, secret))


# --- InitiateAuth ----------------------------------------------------------------------------


def test_password_sign_in_answers_with_cognitos_tokens(
    idp_public: Any, client: AppClient, user: PoolUser
) -> None:
    answer = _sign_in(idp_public, client, "ALICE")

    assert set(answer) - {"ResponseMetadata"} == {"ChallengeParameters", "AuthenticationResult"}
    assert answer["ChallengeParameters"] == {}
    result = answer["AuthenticationResult"]
    assert set(result) == {"AccessToken", "ExpiresIn", "TokenType", "IdToken", "RefreshToken"}
    assert (result["ExpiresIn"], result["TokenType"]) == (3600, "Bearer")
    access, identity = _claims(result["AccessToken"]), _claims(result["IdToken"])
    assert (access["username"], access["client_id"]) == ("alice", client.client_id)
    assert (identity["cognito:username"], identity["email"]) == ("alice", "alice@example.com")
    assert RefreshToken.objects.filter(user=user, client=client).count() == 1


def test_a_wrong_password_is_refused_and_only_counted(
    idp_public: Any, client: AppClient, user: PoolUser
) -> None:
    with pytest.raises(idp_public.exceptions.NotAuthorizedException) as refused:
        _sign_in(idp_public, client, PASSWORD="Wr0ng-password")

    assert _message(refused) == "Incorrect username or password."
    stored = PoolUser.objects.get(pk=user.pk)
    assert (stored.failed_sign_in_count, stored.password) == (1, user.password)
    assert not RefreshToken.objects.exists()


def test_an_unknown_user_is_answered_as_a_wrong_password(idp_public: Any, pool: UserPool) -> None:
    hiding = make_app_client(
        pool=pool, ExplicitAuthFlows=FLOWS, PreventUserExistenceErrors="ENABLED"
    )
    with pytest.raises(idp_public.exceptions.NotAuthorizedException) as refused:
        _sign_in(idp_public, hiding, "nobody")
    assert _message(refused) == "Incorrect username or password."

    telling = make_app_client(
        pool=pool, ExplicitAuthFlows=FLOWS, PreventUserExistenceErrors="LEGACY"
    )
    with pytest.raises(idp_public.exceptions.UserNotFoundException):
        _sign_in(idp_public, telling, "nobody")


def test_a_disabled_user_is_refused(
    idp: Any, idp_public: Any, client: AppClient, user: PoolUser
) -> None:
    idp.admin_disable_user(UserPoolId=user.pool.pool_id, Username="alice")
    before = _state()

    with pytest.raises(idp_public.exceptions.NotAuthorizedException) as refused:
        _sign_in(idp_public, client)

    assert _message(refused) == "User is disabled."
    assert _state() == before


def test_an_unconfirmed_user_is_told_after_the_right_password(
    idp_public: Any, client: AppClient
) -> None:
    idp_public.sign_up(ClientId=client.client_id, Username="una", Password=PASSWORD)
    before = _state()

    with pytest.raises(idp_public.exceptions.UserNotConfirmedException):
        _sign_in(idp_public, client, "una")

    assert _state() == before


def test_a_user_whose_password_was_reset_must_reset_it(
    idp: Any, idp_public: Any, client: AppClient, user: PoolUser
) -> None:
    idp.admin_reset_user_password(UserPoolId=user.pool.pool_id, Username="alice")
    before = _state()

    with pytest.raises(idp_public.exceptions.PasswordResetRequiredException):
        _sign_in(idp_public, client)

    assert _state() == before


def test_a_flow_the_client_does_not_enable_is_refused(
    idp_public: Any, pool: UserPool, user: PoolUser
) -> None:
    srp_only = make_app_client(pool=pool)  # Cognito's default flows: SRP, refresh, custom
    before = _state()

    with pytest.raises(idp_public.exceptions.InvalidParameterException) as refused:
        _sign_in(idp_public, srp_only)

    assert _message(refused) == "USER_PASSWORD_AUTH flow not enabled for this client"
    assert _state() == before


def test_an_unknown_client_is_not_found(idp_public: Any, user: PoolUser) -> None:
    with pytest.raises(idp_public.exceptions.ResourceNotFoundException) as refused:
        idp_public.initiate_auth(
            ClientId="a" * 26,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
        )
    assert _message(refused) == f"User pool client {'a' * 26} does not exist."
    assert not RefreshToken.objects.exists()


def test_a_client_with_a_secret_needs_the_secret_hash(
    idp_public: Any, pool: UserPool, user: PoolUser
) -> None:
    confidential = make_app_client(pool=pool, ExplicitAuthFlows=FLOWS, GenerateSecret=True)
    with pytest.raises(idp_public.exceptions.NotAuthorizedException) as missing:
        _sign_in(idp_public, confidential)
    assert _message(missing) == (
        f"Client {confidential.client_id} is configured for secret but secret was not received"
    )
    with pytest.raises(idp_public.exceptions.NotAuthorizedException) as wrong:
        _sign_in(idp_public, confidential, SECRET_HASH=_secret_hash(confidential, "bob"))
    assert _message(wrong) == f"Unable to verify secret hash for client {confidential.client_id}"
    assert not RefreshToken.objects.exists()

    result = _tokens(idp_public, confidential, SECRET_HASH=_secret_hash(confidential, "alice"))
    assert _claims(result["AccessToken"])["client_id"] == confidential.client_id


# --- challenges ------------------------------------------------------------------------------


def test_srp_sign_in_with_pycognito(idp_public: Any, client: AppClient, user: PoolUser) -> None:
    def srp(password: str) -> AWSSRP:
        return AWSSRP(
            username="alice",
            password=password,
            pool_id=user.pool.pool_id,
            client_id=client.client_id,
            client=idp_public,
        )

    result = srp(PASSWORD).authenticate_user()["AuthenticationResult"]
    assert _claims(result["AccessToken"])["username"] == "alice"

    with pytest.raises(idp_public.exceptions.NotAuthorizedException) as refused:
        srp("Wr0ng-password").authenticate_user()
    assert _message(refused) == "Incorrect username or password."


def test_srp_refuses_an_unconfirmed_user_at_initiate_auth(
    idp_public: Any, pool: UserPool, client: AppClient
) -> None:
    # The error comes from InitiateAuth, before any proof, as AWS answers it
    # (amazon-cognito-identity-js#288; aws-amplify/amplify-swift#3053's userSRP sign-in failing
    # with InitiateAuth's UserNotConfirmedException, "User is not confirmed.").
    idp_public.sign_up(ClientId=client.client_id, Username="una", Password=PASSWORD)
    srp = AWSSRP(
        username="una",
        password="Wr0ng-password",
        pool_id=pool.pool_id,
        client_id=client.client_id,
        client=idp_public,
    )
    before = _state()

    with pytest.raises(idp_public.exceptions.UserNotConfirmedException) as refused:
        idp_public.initiate_auth(
            ClientId=client.client_id,
            AuthFlow="USER_SRP_AUTH",
            AuthParameters=srp.get_auth_params(),
        )

    assert _message(refused) == "User is not confirmed."
    assert _state() == before
    assert not AuthSession.objects.exists()


def test_a_new_user_chooses_a_password_at_the_first_sign_in(
    idp: Any, idp_public: Any, pool: UserPool, client: AppClient
) -> None:
    idp.admin_create_user(
        UserPoolId=pool.pool_id,
        Username="nia",
        TemporaryPassword=TEMPORARY,
        MessageAction="SUPPRESS",
    )
    challenge = _sign_in(idp_public, client, "nia", PASSWORD=TEMPORARY)
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert challenge["ChallengeParameters"]["USER_ID_FOR_SRP"] == "nia"
    assert "AuthenticationResult" not in challenge

    def respond(password: str) -> Any:
        return idp_public.respond_to_auth_challenge(
            ClientId=client.client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=challenge["Session"],
            ChallengeResponses={"USERNAME": "nia", "NEW_PASSWORD": password},
        )

    before = _state()
    with pytest.raises(idp_public.exceptions.InvalidPasswordException):
        respond("short")
    assert _state() == before  # the session stays open for another try

    result = respond(NEW)["AuthenticationResult"]
    assert _claims(result["AccessToken"])["username"] == "nia"
    assert PoolUser.objects.get(pool=pool, username="nia").status == UserStatus.CONFIRMED
    with pytest.raises(idp_public.exceptions.NotAuthorizedException) as replayed:
        respond(NEW)
    assert _message(replayed) == "Invalid session for the user, session can only be used once."


def test_admin_sign_in_through_the_signed_operations(
    idp: Any, idp_public: Any, pool: UserPool, client: AppClient, user: PoolUser
) -> None:
    def admin_initiate(username: str, password: str, app: AppClient = client) -> Any:
        return idp.admin_initiate_auth(
            UserPoolId=pool.pool_id,
            ClientId=app.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )

    result = admin_initiate("alice", PASSWORD)["AuthenticationResult"]
    assert _claims(result["AccessToken"])["username"] == "alice"

    idp.admin_create_user(
        UserPoolId=pool.pool_id,
        Username="nia",
        TemporaryPassword=TEMPORARY,
        MessageAction="SUPPRESS",
    )
    challenge = admin_initiate("nia", TEMPORARY)
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    answer = {
        "ChallengeName": "NEW_PASSWORD_REQUIRED",
        "Session": challenge["Session"],
        "ChallengeResponses": {"USERNAME": "nia", "NEW_PASSWORD": NEW},
    }
    # A session begun by an Admin operation is answered only by one.
    with pytest.raises(idp_public.exceptions.NotAuthorizedException):
        idp_public.respond_to_auth_challenge(ClientId=client.client_id, **answer)
    answered = idp.admin_respond_to_auth_challenge(
        UserPoolId=pool.pool_id, ClientId=client.client_id, **answer
    )
    assert _claims(answered["AuthenticationResult"]["AccessToken"])["username"] == "nia"

    with pytest.raises(idp.exceptions.InvalidParameterException, match="not supported"):
        idp.admin_initiate_auth(
            UserPoolId=pool.pool_id,
            ClientId=client.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
        )


def test_admin_sign_in_needs_a_client_of_the_named_pool(
    idp: Any, pool: UserPool, user: PoolUser
) -> None:
    elsewhere = make_app_client(pool=make_user_pool(name="other"), ExplicitAuthFlows=FLOWS)
    before = _state()

    with pytest.raises(idp.exceptions.ResourceNotFoundException) as refused:
        idp.admin_initiate_auth(
            UserPoolId=pool.pool_id,
            ClientId=elsewhere.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
        )

    assert _message(refused) == f"User pool client {elsewhere.client_id} does not exist."
    assert _state() == before


# --- refresh ---------------------------------------------------------------------------------


def test_refresh_token_auth_continues_the_sign_in(
    idp_public: Any, client: AppClient, user: PoolUser
) -> None:
    signed_in = _tokens(idp_public, client)

    refreshed = idp_public.initiate_auth(
        ClientId=client.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": signed_in["RefreshToken"]},
    )["AuthenticationResult"]

    assert "RefreshToken" not in refreshed
    assert (
        _claims(refreshed["AccessToken"])["origin_jti"]
        == _claims(signed_in["AccessToken"])["origin_jti"]
    )
    assert idp_public.get_user(AccessToken=refreshed["AccessToken"])["Username"] == "alice"


def test_get_tokens_from_refresh_token_rotates_the_refresh_token(
    idp_public: Any, pool: UserPool, user: PoolUser
) -> None:
    rotating = make_app_client(
        pool=pool,
        ExplicitAuthFlows=FLOWS,
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0},
    )
    old = _tokens(idp_public, rotating)["RefreshToken"]

    result = idp_public.get_tokens_from_refresh_token(
        ClientId=rotating.client_id, RefreshToken=old
    )["AuthenticationResult"]

    assert result["RefreshToken"] != old
    assert idp_public.get_user(AccessToken=result["AccessToken"])["Username"] == "alice"
    with pytest.raises(idp_public.exceptions.RefreshTokenReuseException):
        idp_public.get_tokens_from_refresh_token(ClientId=rotating.client_id, RefreshToken=old)
    with pytest.raises(idp_public.exceptions.UnsupportedOperationException):
        idp_public.initiate_auth(
            ClientId=rotating.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]},
        )


def test_get_tokens_from_refresh_token_needs_the_client_secret(
    idp_public: Any, pool: UserPool, user: PoolUser
) -> None:
    confidential = make_app_client(pool=pool, ExplicitAuthFlows=FLOWS, GenerateSecret=True)
    token = _tokens(idp_public, confidential, SECRET_HASH=_secret_hash(confidential, "alice"))[
        "RefreshToken"
    ]
    secret = app_client_secret(client=confidential)
    assert secret is not None
    before = _state()

    for wrong in ({}, {"ClientSecret": secret[:-1] + ("x" if secret[-1] != "x" else "y")}):
        with pytest.raises(idp_public.exceptions.NotAuthorizedException):
            idp_public.get_tokens_from_refresh_token(
                ClientId=confidential.client_id, RefreshToken=token, **wrong
            )
    assert _state() == before

    result = idp_public.get_tokens_from_refresh_token(
        ClientId=confidential.client_id, RefreshToken=token, ClientSecret=secret
    )["AuthenticationResult"]
    assert _claims(result["AccessToken"])["client_id"] == confidential.client_id


# --- revocation ------------------------------------------------------------------------------


def test_revoke_token_ends_that_sign_in_only(
    idp_public: Any, client: AppClient, user: PoolUser
) -> None:
    first, second = _tokens(idp_public, client), _tokens(idp_public, client)

    idp_public.revoke_token(ClientId=client.client_id, Token=first["RefreshToken"])

    with pytest.raises(idp_public.exceptions.NotAuthorizedException) as access:
        idp_public.get_user(AccessToken=first["AccessToken"])
    assert _message(access) == "Access Token has been revoked"
    with pytest.raises(idp_public.exceptions.NotAuthorizedException) as refresh:
        idp_public.initiate_auth(
            ClientId=client.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
        )
    assert _message(refresh) == "Refresh Token has been revoked"
    assert idp_public.get_user(AccessToken=second["AccessToken"])["Username"] == "alice"

    with pytest.raises(idp_public.exceptions.UnsupportedTokenTypeException):
        idp_public.revoke_token(ClientId=client.client_id, Token=second["AccessToken"])


def test_revoke_token_needs_the_client_secret(
    idp_public: Any, pool: UserPool, user: PoolUser
) -> None:
    confidential = make_app_client(pool=pool, ExplicitAuthFlows=FLOWS, GenerateSecret=True)
    tokens = _tokens(idp_public, confidential, SECRET_HASH=_secret_hash(confidential, "alice"))
    before = _state()

    with pytest.raises(idp_public.exceptions.NotAuthorizedException):
        idp_public.revoke_token(
            ClientId=confidential.client_id,
            Token=tokens["RefreshToken"],
            ClientSecret="not+the_secret_0123456789",
        )

    assert _state() == before
    assert idp_public.get_user(AccessToken=tokens["AccessToken"])["Username"] == "alice"
    idp_public.revoke_token(
        ClientId=confidential.client_id,
        Token=tokens["RefreshToken"],
        ClientSecret=app_client_secret(client=confidential),
    )
    with pytest.raises(idp_public.exceptions.NotAuthorizedException):
        idp_public.get_user(AccessToken=tokens["AccessToken"])


def test_admin_user_global_sign_out_ends_every_sign_in(
    idp: Any, idp_public: Any, pool: UserPool, client: AppClient, user: PoolUser
) -> None:
    sessions = [_tokens(idp_public, client), _tokens(idp_public, client)]

    idp.admin_user_global_sign_out(UserPoolId=pool.pool_id, Username="alice")

    for tokens in sessions:
        with pytest.raises(idp_public.exceptions.NotAuthorizedException) as refused:
            idp_public.get_user(AccessToken=tokens["AccessToken"])
        assert _message(refused) == "Access Token has been revoked"
    assert not RefreshToken.objects.filter(revoked_at__isnull=True).exists()
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_user_global_sign_out(UserPoolId=pool.pool_id, Username="nobody")
