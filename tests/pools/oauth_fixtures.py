"""What the OAuth endpoint tests share: a live server that is also the issuer, the discovery
document's endpoints, and the app clients of each kind (machine-to-machine, public, confidential).

Test modules import the fixtures they use by name."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from pytest_django import Settings

from pools.models import AppClient, PoolUser, UserPool
from pools.services.clients import app_client_secret
from tests.builders import make_app_client, make_resource_server, make_user, make_user_pool

PASSWORD = "Passw0rd!"
API = "https://api.example.com"
READ, WRITE = f"{API}/read", f"{API}/write"


@pytest.fixture
def url(aws_url: str, settings: Settings) -> str:
    """The live server's URL, which is also the public URL: discovery and `iss` name it."""
    settings.COGNITOADMIN_PUBLIC_URL = aws_url
    return aws_url


@pytest.fixture
def live_pool(url: str) -> UserPool:
    pool = make_user_pool()
    make_resource_server(pool=pool, identifier=API, scopes=("read", "write"))
    return pool


@pytest.fixture
def discovery(live_pool: UserPool, url: str) -> dict[str, Any]:
    """The pool's OpenID Provider metadata, fetched as a relying party would."""
    response = requests.get(
        f"{url}/{live_pool.pool_id}/.well-known/openid-configuration", timeout=10
    )
    document: dict[str, Any] = response.json()
    return document


@pytest.fixture
def token_url(discovery: dict[str, Any]) -> str:
    endpoint: str = discovery["token_endpoint"]
    return endpoint


@pytest.fixture
def m2m(live_pool: UserPool) -> AppClient:
    """A confidential client allowed client_credentials with both of the API's scopes."""
    return make_app_client(
        pool=live_pool,
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=[READ, WRITE],
    )


def secret_of(client: AppClient) -> str:
    secret = app_client_secret(client=client)
    assert secret is not None
    return secret


@pytest.fixture
def public(live_pool: UserPool) -> AppClient:
    """A public app client (no secret) that signs in with passwords and refreshes."""
    return make_app_client(
        pool=live_pool,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )


@pytest.fixture
def confidential(live_pool: UserPool) -> AppClient:
    """A confidential app client of the code flow (OIDC scopes), which also signs in by API."""
    return make_app_client(
        pool=live_pool,
        GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email", "phone", "profile"],
        CallbackURLs=["https://app.example.com/callback"],
        SupportedIdentityProviders=["COGNITO"],
    )


@pytest.fixture
def alice(live_pool: UserPool) -> PoolUser:
    return make_user(
        pool=live_pool,
        username="alice",
        password=PASSWORD,
        email="alice@example.com",
        email_verified="true",
        given_name="Alice",
        phone_number="+15555550100",
    )
