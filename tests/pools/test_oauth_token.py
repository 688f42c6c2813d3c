"""`/oauth2/token` against a live server: client_credentials and refresh_token grants through
Authlib's OAuth2Session (client_secret_basic, client_secret_post, public clients), tokens
verified with PyJWT through the pool's JWKS, RFC 6749 errors for every bad request, and the same
refresh-token state as InitiateAuth and GetTokensFromRefreshToken."""

from __future__ import annotations

import base64
from typing import Any

import jwt
import pytest
import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from botocore.exceptions import ClientError
from django.core.cache import cache
from pytest_django import Settings

from pools.models import AppClient, PoolUser, RefreshToken, UserPool
from pools.services.tokens import tokens_issue
from pools.services.users import user_disable
from tests.builders import make_app_client, make_user_pool
from tests.cognitoadmin.test_fuzz_aws import snapshot
from tests.pools.oauth_fixtures import (
    API,
    PASSWORD,
    READ,
    WRITE,
    alice,
    confidential,
    discovery,
    live_pool,
    m2m,
    public,
    secret_of,
    token_url,
    url,
)

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = ["alice", "confidential", "discovery", "live_pool", "m2m", "public", "token_url", "url"]

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def post(token_url: str, data: dict[str, str] | str | bytes, **headers: str) -> requests.Response:
    return requests.post(token_url, data=data, headers={**FORM, **headers}, timeout=10)


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def verified(token: str, discovery: dict[str, Any]) -> dict[str, Any]:
    """The claims of `token`, checked by PyJWT with the key the pool's JWKS publishes."""
    key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(token)
    claims: dict[str, Any] = jwt.decode(
        token, key.key, algorithms=["RS256"], issuer=discovery["issuer"]
    )
    return claims


def error_of(response: requests.Response) -> tuple[int, str]:
    body = response.json()
    assert set(body) == {"error", "error_description"}
    return response.status_code, body["error"]


# --- client_credentials ----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_authlib_gets_a_client_credentials_access_token_that_verifies_through_jwks(
    m2m: AppClient, token_url: str, discovery: dict[str, Any], method: str
) -> None:
    session = OAuth2Session(
        m2m.client_id, secret_of(m2m), token_endpoint_auth_method=method, scope=READ
    )

    token = session.fetch_token(token_url, grant_type="client_credentials")

    assert set(token) >= {"access_token", "token_type", "expires_in"}
    assert "refresh_token" not in token
    assert "id_token" not in token
    assert (token["token_type"], token["expires_in"]) == ("Bearer", 3600)
    claims = verified(token["access_token"], discovery)
    assert jwt.get_unverified_header(token["access_token"])["alg"] == "RS256"
    assert claims["token_use"] == "access"
    assert claims["sub"] == claims["client_id"] == m2m.client_id
    assert claims["scope"] == READ
    assert claims["exp"] - claims["iat"] == 3600
    assert "username" not in claims
    assert "origin_jti" not in claims


def test_a_client_credentials_request_without_scope_gets_all_the_clients_scopes(
    m2m: AppClient, token_url: str, discovery: dict[str, Any]
) -> None:
    response = post(
        token_url,
        {"grant_type": "client_credentials"},
        Authorization=basic(m2m.client_id, secret_of(m2m)),
    )

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    assert verified(response.json()["access_token"], discovery)["scope"] == f"{READ} {WRITE}"


def test_the_access_token_lives_as_long_as_the_clients_access_token_validity(
    live_pool: UserPool, token_url: str, discovery: dict[str, Any]
) -> None:
    client = make_app_client(
        pool=live_pool,
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=[WRITE],
        AccessTokenValidity=5,
        TokenValidityUnits={"AccessToken": "minutes"},
    )
    session = OAuth2Session(client.client_id, secret_of(client))

    token = session.fetch_token(token_url, grant_type="client_credentials")

    assert token["expires_in"] == 300
    claims = verified(token["access_token"], discovery)
    assert (claims["exp"] - claims["iat"], claims["scope"]) == (300, WRITE)


def test_a_client_credentials_access_token_authorises_no_user_operation(
    m2m: AppClient, token_url: str, idp_public: Any
) -> None:
    token = OAuth2Session(m2m.client_id, secret_of(m2m)).fetch_token(
        token_url, grant_type="client_credentials"
    )

    with pytest.raises(ClientError) as refused:
        idp_public.get_user(AccessToken=token["access_token"])
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"


@pytest.mark.parametrize(
    "scope",
    [
        f"{API}/delete",  # not a scope of the resource server
        "openid",  # a reserved scope: not for client_credentials
        "https://other.example.com/read",
        f"{READ} {API}/admin",
        'bad"scope',  # not a scope-token (RFC 6749 §3.3)
    ],
)
def test_a_scope_the_client_may_not_ask_for_is_invalid_scope(
    m2m: AppClient, token_url: str, scope: str
) -> None:
    response = post(
        token_url,
        {"grant_type": "client_credentials", "scope": scope},
        Authorization=basic(m2m.client_id, secret_of(m2m)),
    )

    assert error_of(response) == (400, "invalid_scope")


def test_a_public_client_may_not_use_client_credentials(public: AppClient, token_url: str) -> None:
    response = post(token_url, {"grant_type": "client_credentials", "client_id": public.client_id})

    assert error_of(response) == (400, "unauthorized_client")


@pytest.mark.parametrize(
    "oauth",
    [
        # A code-flow client with a secret.
        {
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthScopes": ["openid"],
            "CallbackURLs": ["https://app.example.com/cb"],
        },
        # client_credentials listed, but the client's OAuth flows are off.
        {
            "AllowedOAuthFlowsUserPoolClient": False,
            "AllowedOAuthFlows": ["client_credentials"],
            "AllowedOAuthScopes": [READ],
        },
        # No OAuth at all.
        {},
    ],
)
def test_a_confidential_client_without_the_client_credentials_flow_is_unauthorized_client(
    live_pool: UserPool, token_url: str, oauth: dict[str, Any]
) -> None:
    client = make_app_client(pool=live_pool, GenerateSecret=True, **oauth)

    response = post(
        token_url,
        {"grant_type": "client_credentials"},
        Authorization=basic(client.client_id, secret_of(client)),
    )

    assert error_of(response) == (400, "unauthorized_client")


# --- client authentication -------------------------------------------------------------------


def test_a_wrong_secret_through_basic_is_invalid_client_with_a_basic_challenge(
    m2m: AppClient, token_url: str
) -> None:
    response = post(
        token_url,
        {"grant_type": "client_credentials"},
        Authorization=basic(m2m.client_id, "x" * 51),
    )

    assert error_of(response) == (401, "invalid_client")
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_a_wrong_secret_in_the_body_is_invalid_client_without_a_challenge(
    m2m: AppClient, token_url: str
) -> None:
    response = post(
        token_url,
        {"grant_type": "client_credentials", "client_id": m2m.client_id, "client_secret": "x" * 51},
    )

    assert error_of(response) == (401, "invalid_client")
    assert "WWW-Authenticate" not in response.headers


def test_authlib_is_refused_with_invalid_client_for_a_wrong_secret(
    m2m: AppClient, token_url: str
) -> None:
    session = OAuth2Session(m2m.client_id, "wrong-secret")

    with pytest.raises(OAuthError) as refused:
        session.fetch_token(token_url, grant_type="client_credentials")
    assert refused.value.error == "invalid_client"


@pytest.mark.parametrize(
    ("data", "authorization"),
    [
        # No client named at all.
        ({"grant_type": "client_credentials"}, None),
        # A client id that names no client, of the right shape and of another.
        ({"grant_type": "client_credentials", "client_id": "a" * 26}, None),
        ({"grant_type": "client_credentials", "client_id": "no such client!"}, None),
        # Basic that is not base64, or has no colon, or another scheme.
        ({"grant_type": "client_credentials"}, "Basic !!!not-base64!!!"),
        ({"grant_type": "client_credentials"}, "Basic " + base64.b64encode(b"nocolon").decode()),
        ({"grant_type": "client_credentials"}, "Bearer abc"),
        # Basic credentials that are not UTF-8.
        ({"grant_type": "client_credentials"}, "Basic " + base64.b64encode(b"\xff:\xfe").decode()),
    ],
)
def test_a_request_that_does_not_authenticate_a_client_is_invalid_client(
    m2m: AppClient, token_url: str, data: dict[str, str], authorization: str | None
) -> None:
    before = snapshot()
    headers = {} if authorization is None else {"Authorization": authorization}

    response = post(token_url, data, **headers)

    assert error_of(response) == (401, "invalid_client")
    assert ("WWW-Authenticate" in response.headers) is (authorization is not None)
    assert snapshot() == before


def test_a_secret_sent_both_ways_is_invalid_request(m2m: AppClient, token_url: str) -> None:
    secret = secret_of(m2m)
    response = post(
        token_url,
        {"grant_type": "client_credentials", "client_secret": secret},
        Authorization=basic(m2m.client_id, secret),
    )

    assert error_of(response) == (400, "invalid_request")


def test_basic_credentials_may_be_form_urlencoded(m2m: AppClient, token_url: str) -> None:
    encoded = "".join(f"%{byte:02X}" for byte in secret_of(m2m).encode())

    response = post(
        token_url, {"grant_type": "client_credentials"}, Authorization=basic(m2m.client_id, encoded)
    )

    assert response.status_code == 200


# --- grant types and request shape -----------------------------------------------------------


def test_an_unknown_authorization_code_is_invalid_grant(
    confidential: AppClient, token_url: str
) -> None:
    response = post(
        token_url,
        {
            "grant_type": "authorization_code",
            "code": "abc",
            "redirect_uri": "https://app.example.com/callback",
        },
        Authorization=basic(confidential.client_id, secret_of(confidential)),
    )

    assert error_of(response) == (400, "invalid_grant")
    assert "access_token" not in response.text


@pytest.mark.parametrize("grant_type", ["password", "implicit", "urn:ietf:params:oauth:x", ""])
def test_another_grant_type_is_unsupported_grant_type_and_a_missing_one_invalid_request(
    m2m: AppClient, token_url: str, grant_type: str
) -> None:
    response = post(
        token_url, {"grant_type": grant_type}, Authorization=basic(m2m.client_id, secret_of(m2m))
    )

    expected = "unsupported_grant_type" if grant_type else "invalid_request"
    assert error_of(response) == (400, expected)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_only_post_is_allowed(token_url: str, method: str) -> None:
    response = requests.request(method, token_url, timeout=10)

    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"grant_type": "client_credentials"}', "application/json"),
        ("grant_type=client_credentials", "text/plain"),
        ("grant_type=client_credentials", "multipart/form-data; boundary=x"),
    ],
)
def test_a_body_that_is_not_a_form_is_invalid_request(
    m2m: AppClient, token_url: str, body: str, content_type: str
) -> None:
    response = requests.post(
        token_url,
        data=body,
        headers={"Content-Type": content_type, "Authorization": basic(m2m.client_id, "x")},
        timeout=10,
    )

    assert error_of(response) == (400, "invalid_request")


def test_the_browser_preflight_is_answered(token_url: str) -> None:
    response = requests.options(
        token_url,
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
        timeout=10,
    )

    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


# --- refresh_token ---------------------------------------------------------------------------


def sign_in(idp_public: Any, client: AppClient, user: PoolUser) -> dict[str, Any]:
    parameters = {"USERNAME": user.username, "PASSWORD": PASSWORD}
    secret = None if not client.has_secret else secret_of(client)
    if secret is not None:
        import hashlib  # noqa: PLC0415
        import hmac  # noqa: PLC0415

        mac = hmac.new(secret.encode(), (user.username + client.client_id).encode(), hashlib.sha256)
        parameters["SECRET_HASH"] = base64.b64encode(mac.digest()).decode()
    result: dict[str, Any] = idp_public.initiate_auth(
        ClientId=client.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=parameters
    )["AuthenticationResult"]
    return result


def test_authlib_refreshes_a_public_clients_sign_in(
    public: AppClient, alice: PoolUser, token_url: str, discovery: dict[str, Any], idp_public: Any
) -> None:
    signed_in = sign_in(idp_public, public, alice)
    session = OAuth2Session(public.client_id, token_endpoint_auth_method="none")

    token = session.refresh_token(token_url, refresh_token=signed_in["RefreshToken"])

    assert (token["token_type"], token["expires_in"]) == ("Bearer", 3600)
    assert "refresh_token" not in token or token["refresh_token"] == signed_in["RefreshToken"]
    access = verified(token["access_token"], discovery)
    identity = jwt.decode(token["id_token"], options={"verify_signature": False})
    old = jwt.decode(signed_in["AccessToken"], options={"verify_signature": False})
    assert access["origin_jti"] == old["origin_jti"] == identity["origin_jti"]
    assert (access["username"], identity["aud"]) == ("alice", public.client_id)
    # The new access token works where the API's own does.
    assert idp_public.get_user(AccessToken=token["access_token"])["Username"] == "alice"


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_authlib_refreshes_a_confidential_clients_sign_in(
    *,
    confidential: AppClient,
    alice: PoolUser,
    token_url: str,
    discovery: dict[str, Any],
    idp_public: Any,
    method: str,
) -> None:
    signed_in = sign_in(idp_public, confidential, alice)
    session = OAuth2Session(
        confidential.client_id, secret_of(confidential), token_endpoint_auth_method=method
    )

    token = session.refresh_token(token_url, refresh_token=signed_in["RefreshToken"])

    assert verified(token["access_token"], discovery)["client_id"] == confidential.client_id


def test_a_refresh_token_of_another_client_or_pool_is_invalid_grant_and_changes_nothing(
    public: AppClient, confidential: AppClient, alice: PoolUser, token_url: str, idp_public: Any
) -> None:
    refresh = sign_in(idp_public, public, alice)["RefreshToken"]
    elsewhere = make_app_client(pool=make_user_pool(name="elsewhere"))
    before = snapshot()

    for client_id in (elsewhere.client_id,):
        response = post(
            token_url,
            {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": refresh},
        )
        assert error_of(response) == (400, "invalid_grant")
    response = post(
        token_url,
        {"grant_type": "refresh_token", "refresh_token": refresh},
        Authorization=basic(confidential.client_id, secret_of(confidential)),
    )
    assert error_of(response) == (400, "invalid_grant")
    assert snapshot() == before


@pytest.mark.parametrize(
    "refresh_token", ["not-a-token", "x" * 320, "eyJhbGciOiJub25lIn0.e30.", "é" * 100]
)
def test_an_unknown_refresh_token_is_invalid_grant(
    public: AppClient, token_url: str, refresh_token: str
) -> None:
    response = post(
        token_url,
        {
            "grant_type": "refresh_token",
            "client_id": public.client_id,
            "refresh_token": refresh_token,
        },
    )

    assert error_of(response) == (400, "invalid_grant")


def test_a_missing_refresh_token_is_invalid_request(public: AppClient, token_url: str) -> None:
    response = post(token_url, {"grant_type": "refresh_token", "client_id": public.client_id})

    assert error_of(response) == (400, "invalid_request")


def test_a_disabled_users_refresh_token_is_invalid_grant(
    public: AppClient, alice: PoolUser, token_url: str, idp_public: Any
) -> None:
    refresh = sign_in(idp_public, public, alice)["RefreshToken"]
    user_disable(user=PoolUser.objects.get(pk=alice.pk))

    response = post(
        token_url,
        {"grant_type": "refresh_token", "client_id": public.client_id, "refresh_token": refresh},
    )

    assert error_of(response) == (400, "invalid_grant")


# --- one refresh-token state for every door --------------------------------------------------


def test_the_token_endpoint_and_initiate_auth_refresh_the_same_sign_in(
    public: AppClient, alice: PoolUser, token_url: str, idp_public: Any
) -> None:
    refresh = sign_in(idp_public, public, alice)["RefreshToken"]

    by_endpoint = post(
        token_url,
        {"grant_type": "refresh_token", "client_id": public.client_id, "refresh_token": refresh},
    ).json()
    by_api = idp_public.initiate_auth(
        ClientId=public.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": refresh},
    )["AuthenticationResult"]

    origins = {
        jwt.decode(token, options={"verify_signature": False})["origin_jti"]
        for token in (by_endpoint["access_token"], by_api["AccessToken"])
    }
    assert len(origins) == 1
    assert RefreshToken.objects.filter(user=alice).count() == 1


def test_a_sign_in_revoked_through_the_api_cannot_be_refreshed_at_the_endpoint(
    public: AppClient, alice: PoolUser, token_url: str, idp_public: Any
) -> None:
    refresh = sign_in(idp_public, public, alice)["RefreshToken"]
    idp_public.revoke_token(ClientId=public.client_id, Token=refresh)

    response = post(
        token_url,
        {"grant_type": "refresh_token", "client_id": public.client_id, "refresh_token": refresh},
    )

    assert error_of(response) == (400, "invalid_grant")
    assert response.json()["error_description"] == "Refresh Token has been revoked"


@pytest.fixture
def rotating(live_pool: UserPool) -> AppClient:
    return make_app_client(
        pool=live_pool,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0},
    )


def test_a_rotation_at_the_endpoint_is_the_rotation_get_tokens_from_refresh_token_sees(
    rotating: AppClient, alice: PoolUser, token_url: str, idp_public: Any
) -> None:
    first = sign_in(idp_public, rotating, alice)["RefreshToken"]

    rotated = post(
        token_url,
        {"grant_type": "refresh_token", "client_id": rotating.client_id, "refresh_token": first},
    ).json()

    second = rotated["refresh_token"]
    assert second != first
    with pytest.raises(ClientError) as reused:
        idp_public.get_tokens_from_refresh_token(ClientId=rotating.client_id, RefreshToken=first)
    assert reused.value.response["Error"]["Code"] == "RefreshTokenReuseException"
    third = idp_public.get_tokens_from_refresh_token(
        ClientId=rotating.client_id, RefreshToken=second
    )["AuthenticationResult"]["RefreshToken"]
    # ... and a rotation by the API is the one the endpoint sees.
    response = post(
        token_url,
        {"grant_type": "refresh_token", "client_id": rotating.client_id, "refresh_token": second},
    )
    assert error_of(response) == (400, "invalid_grant")
    assert (
        "refresh_token"
        in post(
            token_url,
            {
                "grant_type": "refresh_token",
                "client_id": rotating.client_id,
                "refresh_token": third,
            },
        ).json()
    )
    # A rotating client refuses REFRESH_TOKEN_AUTH, whichever door rotated.
    with pytest.raises(ClientError):
        idp_public.initiate_auth(
            ClientId=rotating.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": third},
        )


def test_a_refused_refresh_rotates_nothing(
    live_pool: UserPool, alice: PoolUser, token_url: str
) -> None:
    client = make_app_client(
        pool=live_pool,
        GenerateSecret=True,
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0},
    )
    refresh = tokens_issue(user=alice, client=client)["RefreshToken"]
    before = snapshot()

    for headers in (
        {"Authorization": basic(client.client_id, "wrong")},
        {},  # no secret for a confidential client
    ):
        response = post(
            token_url,
            {
                "grant_type": "refresh_token",
                "client_id": client.client_id,
                "refresh_token": refresh,
            },
            **headers,
        )
        assert error_of(response)[0] == 401

    assert snapshot() == before
    assert RefreshToken.objects.get(client=client).superseded_at is None


# --- bad input of every kind -----------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "grant_type=client_credentials&grant_type=refresh_token",  # repeated
        "grant_type=refresh_token&refresh_token=a&refresh_token=b&client_id=x",
        "grant_type=refresh_token&client_id=%00&refresh_token=x",  # NUL
        "grant_type=refresh_token&client_id=x&refresh_token=" + "a" * 20_000,  # too long
        "grant_type=client_credentials&scope=%ED%A0%80",  # a lone surrogate, percent-encoded
        "grant_type=refresh_token&client_id=%ED%A0%80&refresh_token=%FF%FE",  # not UTF-8
        "grant_type=%ED%A0%80",
        "%FF=%FF&grant_type=client_credentials",
        "grant_type=client_credentials&client_id=" + "a" * 129,
        "=&&&=&grant_type",
        "grant_type=refresh_token&client_id=x&refresh_token=%00",
    ],
)
def test_bad_input_gets_an_oauth_error_and_changes_nothing(
    m2m: AppClient, public: AppClient, token_url: str, body: str
) -> None:
    before = snapshot()

    response = post(token_url, body.encode("ascii"))

    assert 400 <= response.status_code < 500
    assert response.json()["error"] in {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "invalid_scope",
        "unsupported_grant_type",
        "unauthorized_client",
    }
    assert response.headers["Cache-Control"] == "no-store"
    assert snapshot() == before


def test_a_body_beyond_the_upload_limit_is_refused_without_a_5xx(token_url: str) -> None:
    response = post(token_url, b"grant_type=client_credentials&scope=" + b"a" * 3_000_000)

    assert response.status_code in {400, 413}
    assert response.json()["error"] == "invalid_request"


def test_the_endpoint_counts_requests_as_the_unsigned_operations_do(
    m2m: AppClient, token_url: str, settings: Settings
) -> None:
    cache.clear()
    settings.COGNITOADMIN_RATE_LIMIT_PER_IP = 0
    settings.COGNITOADMIN_RATE_LIMIT_PER_USER = 2
    wrong = {"Authorization": basic(m2m.client_id, "x" * 51)}
    data = {"grant_type": "client_credentials"}
    try:
        assert [post(token_url, data, **wrong).status_code for _ in range(2)] == [401, 401]

        throttled = post(token_url, data, Authorization=basic(m2m.client_id, secret_of(m2m)))

        assert throttled.status_code == 429
        assert throttled.json()["error_description"] == "Rate exceeded"
    finally:
        cache.clear()
