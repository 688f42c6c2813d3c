"""`/oauth2/revoke` against a live server: RevokeToken's service behind RFC 7009's endpoint,
through Authlib's client for public and confidential clients, and Cognito's documented errors."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from botocore.exceptions import ClientError

from pools.models import AppClient, PoolUser, UserPool
from pools.services.tokens import tokens_issue
from tests.builders import make_app_client
from tests.cognitoadmin.test_fuzz_aws import snapshot
from tests.pools.oauth_fixtures import (
    alice,
    confidential,
    discovery,
    live_pool,
    secret_of,
    token_url,
    url,
)

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = ["alice", "confidential", "discovery", "live_pool", "token_url", "url"]

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def revoke_url(discovery: dict[str, Any]) -> str:
    endpoint: str = discovery["revocation_endpoint"]
    return endpoint


@pytest.fixture
def public(live_pool: UserPool) -> AppClient:
    return make_app_client(pool=live_pool, ExplicitAuthFlows=["ALLOW_REFRESH_TOKEN_AUTH"])


def post(revoke_url: str, data: dict[str, str], **headers: str) -> requests.Response:
    return requests.post(revoke_url, data=data, headers={**FORM, **headers}, timeout=10)


def basic(client: AppClient, secret: str | None = None) -> str:
    pair = f"{client.client_id}:{secret or secret_of(client)}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


@pytest.mark.parametrize("kind", ["public", "confidential"])
def test_authlib_revokes_a_sign_in_and_no_door_accepts_its_tokens_after(
    *,
    public: AppClient,
    confidential: AppClient,
    alice: PoolUser,
    revoke_url: str,
    token_url: str,
    idp_public: Any,
    kind: str,
) -> None:
    client = public if kind == "public" else confidential
    issued = tokens_issue(user=alice, client=client)
    session = (
        OAuth2Session(client.client_id, token_endpoint_auth_method="none")
        if kind == "public"
        else OAuth2Session(client.client_id, secret_of(client))
    )

    response = session.revoke_token(
        revoke_url, token=issued["RefreshToken"], token_type_hint="refresh_token"
    )

    assert response.status_code == 200
    assert response.content == b""
    with pytest.raises(ClientError) as refused:
        idp_public.get_user(AccessToken=issued["AccessToken"])
    assert refused.value.response["Error"]["Message"] == "Access Token has been revoked"
    with pytest.raises(OAuthError) as refreshed:
        session.refresh_token(token_url, refresh_token=issued["RefreshToken"])
    assert refreshed.value.error == "invalid_grant"


def test_an_unknown_or_already_revoked_token_is_answered_200_and_changes_nothing(
    public: AppClient, alice: PoolUser, revoke_url: str
) -> None:
    refresh = tokens_issue(user=alice, client=public)["RefreshToken"]
    assert post(revoke_url, {"token": refresh, "client_id": public.client_id}).status_code == 200
    before = snapshot()

    for token in (refresh, "unknown-token", "%00", "é" * 50):
        response = post(revoke_url, {"token": token, "client_id": public.client_id})
        assert response.status_code == 200, token

    assert snapshot() == before


def test_an_access_token_is_unsupported_token_type(
    public: AppClient, alice: PoolUser, revoke_url: str
) -> None:
    access = tokens_issue(user=alice, client=public)["AccessToken"]

    response = post(revoke_url, {"token": access, "client_id": public.client_id})

    assert (response.status_code, response.json()["error"]) == (400, "unsupported_token_type")


def test_a_client_without_token_revocation_gets_invalid_request(
    live_pool: UserPool, alice: PoolUser, revoke_url: str
) -> None:
    client = make_app_client(pool=live_pool, EnableTokenRevocation=False)
    refresh = tokens_issue(user=alice, client=client)["RefreshToken"]
    before = snapshot()

    response = post(revoke_url, {"token": refresh, "client_id": client.client_id})

    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")
    assert snapshot() == before


def test_a_missing_token_is_invalid_request(public: AppClient, revoke_url: str) -> None:
    response = post(revoke_url, {"client_id": public.client_id})

    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


def test_a_wrong_secret_or_unknown_client_is_invalid_client_and_changes_nothing(
    confidential: AppClient, alice: PoolUser, revoke_url: str
) -> None:
    refresh = tokens_issue(user=alice, client=confidential)["RefreshToken"]
    before = snapshot()

    wrong = post(revoke_url, {"token": refresh}, Authorization=basic(confidential, "x" * 51))
    missing = post(revoke_url, {"token": refresh, "client_id": confidential.client_id})
    unknown = post(revoke_url, {"token": refresh, "client_id": "z" * 26})

    for response in (wrong, missing, unknown):
        assert (response.status_code, response.json()["error"]) == (401, "invalid_client")
    assert wrong.headers["WWW-Authenticate"].startswith("Basic")
    assert snapshot() == before


def test_another_clients_refresh_token_is_refused_and_stays_valid(
    public: AppClient, confidential: AppClient, alice: PoolUser, revoke_url: str
) -> None:
    refresh = tokens_issue(user=alice, client=confidential)["RefreshToken"]
    before = snapshot()

    response = post(revoke_url, {"token": refresh, "client_id": public.client_id})

    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")
    assert snapshot() == before


def test_only_post_is_allowed(revoke_url: str) -> None:
    assert requests.get(revoke_url, timeout=10).status_code == 405
