"""amazon-cognito-identity-js in Node against the live server: `authenticateUser` (SRP, the
library's default), a wrong password, and a refresh, through `tests/js/acij_sign_in.mjs`, the
script the README shows."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import jwt
import pytest
from pytest_django import Settings

from pools.models import AppClient, PoolUser, RefreshToken
from pools.services.keys import signing_key_active
from tests.builders import make_app_client, make_user, make_user_pool
from tests.pools.test_clients_srp import readme_client_libraries

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
JS_DIR = ROOT / "tests" / "js"
SCRIPT = JS_DIR / "acij_sign_in.mjs"
PASSWORD = "Passw0rd!"


@pytest.fixture
def client(aws_url: str, settings: Settings) -> AppClient:
    settings.COGNITOADMIN_PUBLIC_URL = aws_url
    pool = make_user_pool()
    make_user(pool=pool, username="alice", password=PASSWORD, email="alice@example.com")
    # What Amplify's CLI gives a web client: SRP and refresh, no secret.
    return make_app_client(
        pool=pool, ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )


def _verified(token: str, client: AppClient, **options: Any) -> dict[str, Any]:
    public_key = jwt.PyJWK(dict(signing_key_active(pool=client.pool).public_jwk)).key
    claims: dict[str, Any] = jwt.decode(token, public_key, algorithms=["RS256"], **options)
    return claims


@pytest.mark.slow
def test_amazon_cognito_identity_js_signs_in_with_srp_and_refreshes(
    aws_url: str, node: str, client: AppClient
) -> None:
    result = subprocess.run(
        [node, str(SCRIPT), aws_url, client.pool.pool_id, client.client_id, "alice", PASSWORD],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["refused"] == "NotAuthorizedException: Incorrect username or password."
    assert out["username"] == "alice"
    assert out["valid"] is True
    id_claims = _verified(out["idToken"], client, audience=client.client_id)
    access = _verified(out["accessToken"], client)
    refreshed = _verified(out["refreshedAccessToken"], client)
    assert id_claims["cognito:username"] == access["username"] == "alice"
    assert refreshed["origin_jti"] == access["origin_jti"]
    assert refreshed["jti"] != access["jti"]
    alice = PoolUser.objects.get(pool=client.pool, username="alice")
    assert alice.failed_sign_in_count == 0  # the sign-in after the wrong password reset it
    assert RefreshToken.objects.filter(user=alice).count() == 1


def test_the_readme_shows_the_script_the_test_runs() -> None:
    blocks = re.findall(r"^```js\n(.*?)^```$", readme_client_libraries(), re.M | re.S)

    assert blocks == [SCRIPT.read_text(encoding="utf-8")]
