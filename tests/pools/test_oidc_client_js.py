"""openid-client (panva's certified relying-party library, in Node) completes the authorization
code flow against the live server knowing only the pool's issuer URL, the client id (and
secret) and the redirect URI: discovery, PKCE S256, state and nonce, the hosted sign-in page,
the code's exchange with the ID token checked through the JWKS, userInfo and a refresh, through
`tests/js/oidc_code_flow.mjs`. The library refuses a callback whose state is not its own before
the code reaches the server, and an ID token without its nonce."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from pools.models import AppClient, AuthorizationCode, PoolUser, RefreshToken, UserPool
from tests.pools.hosted_fixtures import CALLBACK, plain_http, web, web_secret
from tests.pools.oauth_fixtures import PASSWORD, alice, discovery, live_pool, secret_of, url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("plain_http")]

__all__ = ["alice", "discovery", "live_pool", "plain_http", "url", "web", "web_secret"]

SCRIPT = Path(__file__).resolve().parents[1] / "js" / "oidc_code_flow.mjs"


def run_relying_party(node: str, issuer: str, client: AppClient, mode: str) -> dict[str, Any]:
    secret = secret_of(client) if client.has_secret else ""
    arguments = [issuer, client.client_id, secret, CALLBACK, "alice", PASSWORD, mode]
    result = subprocess.run(
        [node, str(SCRIPT), *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out: dict[str, Any] = json.loads(result.stdout)
    return out


def at_hash(access_token: str) -> str:
    half = hashlib.sha256(access_token.encode()).digest()[:16]
    return base64.urlsafe_b64encode(half).rstrip(b"=").decode()


def verified(token: str, discovery: dict[str, Any], **options: Any) -> dict[str, Any]:
    key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(token)
    claims: dict[str, Any] = jwt.decode(
        token, key.key, algorithms=["RS256"], issuer=discovery["issuer"], **options
    )
    return claims


@pytest.mark.parametrize("client_fixture", ["web", "web_secret"])
def test_openid_client_signs_in_from_discovery_alone_and_refreshes(  # noqa: PLR0917 - fixtures
    request: pytest.FixtureRequest,
    client_fixture: str,
    node: str,
    live_pool: UserPool,
    alice: PoolUser,
    discovery: dict[str, Any],
) -> None:
    client: AppClient = request.getfixturevalue(client_fixture)

    out = run_relying_party(node, discovery["issuer"], client, "sign-in")

    assert out["discovered"]["issuer"] == discovery["issuer"]
    assert out["authorizationUrl"].startswith(discovery["authorization_endpoint"] + "?")
    assert "code_challenge_method=S256" in out["authorizationUrl"]
    # The claims the library checked and handed to the app.
    claims = out["claims"]
    assert claims["sub"] == str(alice.sub)
    assert claims["email"] == "alice@example.com"
    assert claims["nonce"] == out["nonce"]
    assert claims["aud"] == client.client_id
    assert claims["iss"] == discovery["issuer"]
    assert claims["cognito:username"] == "alice"
    assert claims["at_hash"] == at_hash(out["tokens"]["access_token"])  # the library skips it
    assert out["userinfo"]["sub"] == str(alice.sub)
    assert out["userinfo"]["email"] == "alice@example.com"
    assert out["tokens"]["token_type"].lower() == "bearer"
    # The refresh: new tokens of the same sign-in, valid under the pool's key.
    refreshed = out["refreshed"]
    assert refreshed["claims"]["sub"] == str(alice.sub)
    access = verified(out["tokens"]["access_token"], discovery)
    new_access = verified(refreshed["access_token"], discovery)
    new_id = verified(refreshed["id_token"], discovery, audience=client.client_id)
    assert new_access["origin_jti"] == access["origin_jti"]
    assert new_access["jti"] != access["jti"]
    assert new_access["scope"] == access["scope"]
    assert new_id["sub"] == str(alice.sub)
    assert RefreshToken.objects.filter(user=alice).count() == 1


def test_openid_client_refuses_a_tampered_state_before_the_code_reaches_the_server(
    node: str, web_secret: AppClient, alice: PoolUser, discovery: dict[str, Any]
) -> None:
    out = run_relying_party(node, discovery["issuer"], web_secret, "tampered-state")

    assert out["refused"]["code"] == "OAUTH_INVALID_RESPONSE"
    assert out["refused"]["reason"] == 'unexpected "state" response parameter value'
    # The server was never asked: the code is unused and no token was issued ...
    [code] = AuthorizationCode.objects.filter(client=web_secret)
    assert code.used_at is None
    assert not RefreshToken.objects.filter(user=alice).exists()
    # ... so it still works for whoever holds the verifier (here, the app that refused it).
    exchange = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": out["code"],
            "redirect_uri": out["redirectUri"],
            "code_verifier": out["codeVerifier"],
        },
        auth=(web_secret.client_id, secret_of(web_secret)),
        timeout=10,
    )
    assert exchange.status_code == 200, exchange.text


def test_openid_client_refuses_an_id_token_without_its_nonce(
    node: str, web: AppClient, alice: PoolUser, discovery: dict[str, Any]
) -> None:
    out = run_relying_party(node, discovery["issuer"], web, "wrong-nonce")

    assert out["refused"]["code"] == "OAUTH_JWT_CLAIM_COMPARISON_FAILED"
    assert out["refused"]["reason"] == 'unexpected ID Token "nonce" claim value'
