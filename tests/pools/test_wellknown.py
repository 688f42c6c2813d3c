from __future__ import annotations

import json
from typing import Any
from urllib.request import urlopen

import jwt
import pytest
from django.test import Client
from pycognito import Cognito
from pytest_django import Settings

from pools.models import PoolUser, UserPool
from pools.services.keys import pool_jwks, signing_key_active, signing_key_rotate
from pools.services.tokens import tokens_issue
from tests.builders import make_app_client, make_user, make_user_pool

pytestmark = pytest.mark.django_db


def _jwks_url(pool: UserPool) -> str:
    return f"/{pool.pool_id}/.well-known/jwks.json"


def _discovery_url(pool: UserPool) -> str:
    return f"/{pool.pool_id}/.well-known/openid-configuration"


def test_jwks_publishes_the_pools_keys(pool: UserPool) -> None:
    response = Client().get(_jwks_url(pool))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == pool_jwks(pool=pool)
    (key,) = response.json()["keys"]
    assert key["kid"] == signing_key_active(pool=pool).kid
    assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")


def test_jwks_keeps_a_rotated_out_key_published(pool: UserPool) -> None:
    old = signing_key_active(pool=pool)
    new = signing_key_rotate(pool=pool)

    kids = [key["kid"] for key in Client().get(_jwks_url(pool)).json()["keys"]]

    assert kids == [new.kid, old.kid]


def test_the_discovery_document_describes_the_pool_as_an_openid_provider(
    pool: UserPool,
) -> None:
    response = Client().get(_discovery_url(pool))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    document = response.json()
    issuer = f"http://testserver/{pool.pool_id}"
    assert document == {
        "issuer": issuer,
        "authorization_endpoint": "http://testserver/oauth2/authorize",
        "token_endpoint": "http://testserver/oauth2/token",
        "userinfo_endpoint": "http://testserver/oauth2/userInfo",
        "revocation_endpoint": "http://testserver/oauth2/revoke",
        "end_session_endpoint": "http://testserver/logout",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "response_types_supported": ["code", "token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "claims_supported": document["claims_supported"],
    }
    assert {"sub", "iss", "aud", "cognito:username", "cognito:groups", "email_verified"} <= set(
        document["claims_supported"]
    )


def test_the_issuer_is_the_public_url_and_the_pool_id(pool: UserPool, settings: Settings) -> None:
    settings.COGNITOADMIN_PUBLIC_URL = "https://auth.example.com"

    document = Client().get(_discovery_url(pool)).json()

    assert document["issuer"] == f"https://auth.example.com/{pool.pool_id}"
    assert document["jwks_uri"] == f"https://auth.example.com/{pool.pool_id}/.well-known/jwks.json"


@pytest.mark.parametrize("url", [_jwks_url, _discovery_url])
def test_the_documents_are_public_and_cacheable(pool: UserPool, url: Any) -> None:
    response = Client().get(url(pool), HTTP_ORIGIN="https://app.example.com")

    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"].startswith("public, max-age=")


@pytest.mark.parametrize("url", [_jwks_url, _discovery_url])
def test_a_cors_preflight_is_answered(pool: UserPool, url: Any) -> None:
    response = Client().options(url(pool), HTTP_ORIGIN="https://app.example.com")

    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response["Access-Control-Allow-Methods"]


@pytest.mark.parametrize("url", [_jwks_url, _discovery_url])
def test_an_unknown_pool_is_a_json_404(url: Any) -> None:
    missing = UserPool(pool_id="us-east-1_Missing00")

    response = Client().get(url(missing))

    assert response.status_code == 404
    assert response.json() == {
        "__type": "ResourceNotFoundException",
        "message": "User pool us-east-1_Missing00 does not exist.",
    }
    # The one AWS renderer: clients that read the header (Amplify, SDK v3) see the name too.
    assert response["x-amzn-ErrorType"] == "ResourceNotFoundException:"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("url", [_jwks_url, _discovery_url])
def test_only_reads_are_allowed(pool: UserPool, url: Any) -> None:
    keys = signing_key_active(pool=pool)

    response = Client().post(url(pool))

    assert response.status_code == 405
    assert [k["kid"] for k in pool_jwks(pool=pool)["keys"]] == [keys.kid]


# --- real verifiers against the live server -------------------------------------------------


@pytest.fixture
def live_pool(aws_url: str, settings: Settings) -> tuple[UserPool, PoolUser, str]:
    """A pool, a user and a client on the live server, whose public URL is the issuer's base."""
    settings.COGNITOADMIN_PUBLIC_URL = aws_url
    pool = make_user_pool()
    user = make_user(pool=pool, username="alice", password="Passw0rd!", email="alice@example.com")
    return pool, user, make_app_client(pool=pool).client_id


def _fetch(url: str) -> dict[str, Any]:
    with urlopen(url, timeout=10) as response:  # noqa: S310 (the test's own live server)
        document: dict[str, Any] = json.load(response)
    return document


def test_pyjwt_verifies_tokens_with_the_keys_from_discovery(
    aws_url: str, live_pool: tuple[UserPool, PoolUser, str]
) -> None:
    pool, user, client_id = live_pool
    result = tokens_issue(user=user, client=pool.clients.get(client_id=client_id))
    discovery = _fetch(f"{aws_url}/{pool.pool_id}/.well-known/openid-configuration")

    keys = jwt.PyJWKClient(discovery["jwks_uri"], cache_keys=False)
    id_token, access_token = result["IdToken"], result["AccessToken"]

    id_claims = jwt.decode(
        id_token,
        keys.get_signing_key_from_jwt(id_token).key,
        algorithms=discovery["id_token_signing_alg_values_supported"],
        audience=client_id,
        issuer=discovery["issuer"],
    )
    access_claims = jwt.decode(
        access_token,
        keys.get_signing_key_from_jwt(access_token).key,
        algorithms=["RS256"],
        issuer=discovery["issuer"],
    )
    assert discovery["issuer"] == f"{aws_url}/{pool.pool_id}"
    assert id_claims["cognito:username"] == access_claims["username"] == "alice"


def test_a_rotated_key_is_found_by_a_verifier_that_cached_the_old_jwks(
    aws_url: str, live_pool: tuple[UserPool, PoolUser, str]
) -> None:
    pool, user, client_id = live_pool
    client = pool.clients.get(client_id=client_id)
    # Refetching at once on an unknown kid (PyJWT waits 30 s by default).
    keys = jwt.PyJWKClient(f"{aws_url}/{pool.pool_id}/.well-known/jwks.json", cooldown_duration=0)
    before = tokens_issue(user=user, client=client)["AccessToken"]
    keys.get_signing_key_from_jwt(before)

    signing_key_rotate(pool=pool)
    after = tokens_issue(user=user, client=client)["AccessToken"]

    for token in (before, after):
        key = keys.get_signing_key_from_jwt(token).key
        assert jwt.decode(token, key, algorithms=["RS256"])["sub"] == str(user.sub)


def test_pycognito_verifies_the_tokens(
    aws_url: str, live_pool: tuple[UserPool, PoolUser, str]
) -> None:
    pool, user, client_id = live_pool
    result = tokens_issue(user=user, client=pool.clients.get(client_id=client_id))

    cognito = Cognito(
        pool.pool_id,
        client_id,
        id_token=result["IdToken"],
        access_token=result["AccessToken"],
        boto3_client_kwargs={"endpoint_url": aws_url},
    )
    cognito.verify_tokens()

    assert cognito.id_claims["email"] == "alice@example.com"
    assert cognito.access_claims["client_id"] == client_id
