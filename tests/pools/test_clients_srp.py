"""pycognito against the live server: SRP sign-in (USER_SRP_AUTH + PASSWORD_VERIFIER, answered
without a Session), with and without a client secret, NEW_PASSWORD_REQUIRED, refresh and GetUser,
each time with pycognito verifying the tokens itself against the JWKS it fetches from the server.
Also PyJWT's PyJWKClient led by the discovery document, and the README's example."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import botocore
import jwt
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from pycognito import Cognito
from pycognito.exceptions import ForceChangePasswordException
from pytest_django import Settings

from pools.models import AppClient, PoolUser, RefreshToken, UserPool, UserStatus
from pools.services.clients import app_client_secret
from pools.services.users import user_create
from tests.builders import make_app_client, make_user, make_user_pool

pytestmark = pytest.mark.django_db(transaction=True)

README = Path(__file__).resolve().parents[2] / "README.md"
PASSWORD = "Passw0rd!"


@pytest.fixture
def url(aws_url: str, settings: Settings) -> str:
    """The live server's URL, which is also the issuer's base: pycognito compares `iss` with
    `<endpoint_url>/<pool id>` and fetches the JWKS there."""
    settings.COGNITOADMIN_PUBLIC_URL = aws_url
    return aws_url


@pytest.fixture
def live_pool(url: str) -> UserPool:
    return make_user_pool()


@pytest.fixture
def alice(live_pool: UserPool) -> PoolUser:
    return make_user(
        pool=live_pool,
        username="alice",
        password=PASSWORD,
        email="alice@example.com",
        email_verified="true",
    )


@pytest.fixture
def client(live_pool: UserPool) -> AppClient:
    return make_app_client(
        pool=live_pool, ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )


def cognito(url: str, client: AppClient, username: str, **options: Any) -> Cognito:
    """pycognito as an application configures it for this server: the endpoint URL, and no AWS
    credentials (sign-in and the user's own operations are unsigned)."""
    return Cognito(
        client.pool.pool_id,
        client.client_id,
        username=username,
        user_pool_region="us-east-1",
        boto3_client_kwargs={
            "endpoint_url": url,
            "config": Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1}),
        },
        **options,
    )


def claims(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def test_pycognito_signs_in_with_srp_and_verifies_the_tokens_itself(
    url: str, client: AppClient, alice: PoolUser
) -> None:
    user = cognito(url, client, "alice")

    user.authenticate(password=PASSWORD)

    # pycognito has checked signature (JWKS by kid), issuer, audience, expiry and token_use.
    assert user.id_claims["cognito:username"] == "alice"
    assert user.id_claims["email"] == "alice@example.com"
    assert user.id_claims["aud"] == client.client_id
    assert user.access_claims["username"] == "alice"
    assert user.access_claims["client_id"] == client.client_id
    assert user.id_claims["iss"] == f"{url}/{client.pool.pool_id}"
    assert user.token_type == "Bearer"
    (row,) = RefreshToken.objects.filter(user=alice)
    assert row.origin_jti == user.access_claims["origin_jti"]
    assert user.refresh_token


def test_pycognito_signs_in_with_a_client_secret(
    url: str, live_pool: UserPool, alice: PoolUser
) -> None:
    confidential = make_app_client(pool=live_pool, GenerateSecret=True)
    secret = app_client_secret(client=confidential)
    user = cognito(url, confidential, "alice", client_secret=secret)

    user.authenticate(password=PASSWORD)
    user.renew_access_token()

    assert user.access_claims["client_id"] == confidential.client_id
    assert user.id_claims["cognito:username"] == "alice"


def test_without_the_secret_a_confidential_client_cannot_sign_in(
    url: str, live_pool: UserPool, alice: PoolUser
) -> None:
    confidential = make_app_client(pool=live_pool, GenerateSecret=True)
    user = cognito(url, confidential, "alice")

    with pytest.raises(ClientError) as refused:
        user.authenticate(password=PASSWORD)

    assert refused.value.response["Error"] == {
        "Code": "NotAuthorizedException",
        "Message": f"Client {confidential.client_id} is configured for secret but secret was "
        "not received",
    }
    assert not RefreshToken.objects.filter(user=alice).exists()


def test_pycognito_signs_in_with_the_email_in_a_pool_that_signs_in_with_emails(
    url: str,
) -> None:
    pool = make_user_pool(UsernameAttributes=["email"])
    user = make_user(pool=pool, username="bea@example.com", password=PASSWORD)
    signing_in = cognito(url, make_app_client(pool=pool), "bea@example.com")

    signing_in.authenticate(password=PASSWORD)

    # The SRP identity is the internal username (the sub), which the challenge tells the client.
    assert user.username == str(user.sub)
    assert signing_in.id_claims["cognito:username"] == user.username
    assert signing_in.id_claims["email"] == "bea@example.com"


def test_pycognito_renews_the_tokens_of_the_same_sign_in(
    url: str, client: AppClient, alice: PoolUser
) -> None:
    user = cognito(url, client, "alice")
    user.authenticate(password=PASSWORD)
    first_access, first_id, refresh_token = user.access_token, user.id_token, user.refresh_token

    user.renew_access_token()

    assert user.access_token != first_access
    assert user.id_token != first_id
    assert user.refresh_token == refresh_token  # no rotation unless the client enables it
    before = claims(first_access)
    for key in ("origin_jti", "auth_time", "sub"):
        assert user.access_claims[key] == before[key]
    assert user.access_claims["jti"] != before["jti"]
    assert RefreshToken.objects.filter(user=alice).count() == 1


def test_pycognito_reads_the_user_with_its_access_token(
    url: str, client: AppClient, alice: PoolUser
) -> None:
    user = cognito(url, client, "alice")
    user.authenticate(password=PASSWORD)

    profile = user.get_user()

    assert profile.sub == str(alice.sub)
    assert profile.email == "alice@example.com"
    assert profile.email_verified is True  # pycognito reads "true" as a boolean


def test_pycognito_chooses_a_new_password_for_a_temporary_one(url: str, client: AppClient) -> None:
    bob = user_create(
        pool=client.pool,
        username="bob",
        temporary_password="Temp0rary!pass",
        message_action="SUPPRESS",
    )
    user = cognito(url, client, "bob")
    with pytest.raises(ForceChangePasswordException):
        user.authenticate(password="Temp0rary!pass")

    user.new_password_challenge(password="Temp0rary!pass", new_password="N3w-Passw0rd!")

    assert user.access_claims["username"] == "bob"
    bob.refresh_from_db()
    assert bob.status == UserStatus.CONFIRMED
    with pytest.raises(ClientError) as refused:
        cognito(url, client, "bob").authenticate(password="Temp0rary!pass")
    assert refused.value.response["Error"]["Message"] == "Incorrect username or password."
    cognito(url, client, "bob").authenticate(password="N3w-Passw0rd!")


def _fetch(url: str) -> dict[str, Any]:
    with urlopen(url, timeout=10) as response:  # noqa: S310 (the test's own live server)
        document: dict[str, Any] = json.load(response)
    return document


def test_pyjwk_client_verifies_both_tokens_with_the_keys_named_by_discovery(
    url: str, client: AppClient, alice: PoolUser
) -> None:
    user = cognito(url, client, "alice")
    user.authenticate(password=PASSWORD)
    discovery = _fetch(f"{url}/{client.pool.pool_id}/.well-known/openid-configuration")
    keys = jwt.PyJWKClient(discovery["jwks_uri"], cache_keys=False)

    id_claims = jwt.decode(
        user.id_token,
        keys.get_signing_key_from_jwt(user.id_token).key,
        algorithms=discovery["id_token_signing_alg_values_supported"],
        audience=client.client_id,
        issuer=discovery["issuer"],
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )
    access_claims = jwt.decode(
        user.access_token,
        keys.get_signing_key_from_jwt(user.access_token).key,
        algorithms=["RS256"],
        issuer=discovery["issuer"],
        options={"require": ["exp", "iat", "iss", "sub", "client_id"]},
    )

    assert discovery["jwks_uri"] == f"{url}/{client.pool.pool_id}/.well-known/jwks.json"
    assert (id_claims["token_use"], access_claims["token_use"]) == ("id", "access")
    assert id_claims["sub"] == access_claims["sub"] == str(alice.sub)
    assert access_claims["client_id"] == client.client_id


# --- README "Client libraries" ---

EXAMPLE_URL = "http://127.0.0.1:8000"
EXAMPLE_POOL_ID = "us-east-1_AbC123xyz"
EXAMPLE_CLIENT_ID = "1h57kf5cpq17m0eml12example"


def readme_client_libraries() -> str:
    """The README's "Client libraries" subsection (its examples are run or compared here)."""
    text = README.read_text(encoding="utf-8")
    start = text.index("\n### Client libraries\n")
    ends = [i for i in (text.find("\n## ", start + 1), text.find("\n### ", start + 1)) if i != -1]
    return text[start : min(ends, default=len(text))]


def test_the_readme_pycognito_example_runs_against_the_server(
    url: str, client: AppClient, capsys: pytest.CaptureFixture[str]
) -> None:
    make_user(pool=client.pool, username="ana", password=PASSWORD)
    (code,) = re.findall(r"^```python\n(.*?)^```$", readme_client_libraries(), re.M | re.S)
    for placeholder in (EXAMPLE_URL, EXAMPLE_POOL_ID, EXAMPLE_CLIENT_ID):
        assert placeholder in code
    code = (
        code.replace(EXAMPLE_URL, url)
        .replace(EXAMPLE_POOL_ID, client.pool.pool_id)
        .replace(EXAMPLE_CLIENT_ID, client.client_id)
    )

    namespace: dict[str, Any] = {}
    exec(compile(code, str(README), "exec"), namespace)  # noqa: S102 - the README's own example

    assert capsys.readouterr().out.splitlines() == ["ana aws.cognito.signin.user.admin"]
    assert namespace["claims"]["username"] == "ana"
