"""`/oauth2/userInfo` against a live server: the attributes Cognito's documentation says each
scope returns, the access-token checks GetUser makes, and RFC 6750's errors."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from cryptography.hazmat.primitives.asymmetric import rsa

from pools.models import AppClient, PoolUser, UserPool
from pools.services.pools import user_pool_add_custom_attributes
from pools.services.revocation import user_tokens_revoke
from pools.services.tokens import tokens_issue
from pools.services.users import user_disable
from tests.builders import make_app_client, make_user
from tests.cognitoadmin.test_fuzz_aws import snapshot
from tests.pools.oauth_fixtures import (
    PASSWORD,
    alice,
    confidential,
    discovery,
    live_pool,
    m2m,
    secret_of,
    token_url,
    url,
)

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = ["alice", "confidential", "discovery", "live_pool", "m2m", "token_url", "url"]


@pytest.fixture
def userinfo_url(discovery: dict[str, Any]) -> str:
    endpoint: str = discovery["userinfo_endpoint"]
    return endpoint


def access_token(user: PoolUser, client: AppClient, *scopes: str) -> str:
    """The access token of a hosted sign-in with `scopes` (the authorization endpoint's)."""
    token: str = tokens_issue(user=user, client=client, scopes=list(scopes))["AccessToken"]
    return token


def get(userinfo_url: str, token: str | None, method: str = "GET") -> requests.Response:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return requests.request(method, userinfo_url, headers=headers, timeout=10)


def refused(response: requests.Response) -> tuple[int, str]:
    body = response.json()
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith(f'Bearer error="{body["error"]}"')
    return response.status_code, body["error"]


def test_authlib_reads_the_users_attributes_with_an_openid_access_token(
    confidential: AppClient, alice: PoolUser, userinfo_url: str
) -> None:
    token = access_token(alice, confidential, "openid")
    session = OAuth2Session(
        confidential.client_id, token={"access_token": token, "token_type": "Bearer"}
    )

    response = session.get(userinfo_url)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json() == {
        "sub": str(alice.sub),
        "email": "alice@example.com",
        "email_verified": True,
        "given_name": "Alice",
        "phone_number": "+15555550100",
        "username": "alice",
    }


@pytest.mark.parametrize(
    ("scopes", "attributes"),
    [
        (("openid", "email"), {"email", "email_verified"}),
        (("openid", "phone"), {"phone_number"}),
        (("openid", "profile"), {"given_name", "custom:tier"}),
        (("openid", "email", "phone"), {"email", "email_verified", "phone_number"}),
        # The API's scope changes nothing.
        (("openid", "email", "aws.cognito.signin.user.admin"), {"email", "email_verified"}),
    ],
)
def test_each_scope_returns_the_attributes_cognito_documents_for_it(
    live_pool: UserPool,
    confidential: AppClient,
    userinfo_url: str,
    scopes: tuple[str, ...],
    attributes: set[str],
) -> None:
    user_pool_add_custom_attributes(
        pool=live_pool, attributes=[{"Name": "tier", "AttributeDataType": "String"}]
    )
    bob = make_user(
        pool=live_pool,
        username="bob",
        email="bob@example.com",
        email_verified="true",
        given_name="Bob",
        phone_number="+15555550101",
        **{"custom:tier": "gold"},
    )

    body = get(userinfo_url, access_token(bob, confidential, *scopes)).json()

    assert set(body) == {"sub", "username", *attributes}
    assert body["sub"] == str(bob.sub)


def test_the_clients_read_attributes_bound_what_userinfo_returns(
    live_pool: UserPool, alice: PoolUser, userinfo_url: str
) -> None:
    client = make_app_client(
        pool=live_pool,
        ReadAttributes=["email", "email_verified"],
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "profile", "email"],
        CallbackURLs=["https://app.example.com/cb"],
    )

    body = get(userinfo_url, access_token(alice, client, "openid", "profile", "email")).json()

    assert body == {
        "sub": str(alice.sub),
        "email": "alice@example.com",
        "email_verified": True,
        "username": "alice",
    }


def test_post_is_answered_as_get(
    confidential: AppClient, alice: PoolUser, userinfo_url: str
) -> None:
    token = access_token(alice, confidential, "openid", "email")

    assert get(userinfo_url, token, "POST").json() == get(userinfo_url, token).json()


def test_an_access_token_of_the_api_lacks_openid_and_is_insufficient_scope(
    confidential: AppClient, alice: PoolUser, userinfo_url: str
) -> None:
    token = tokens_issue(user=alice, client=confidential)["AccessToken"]

    response = get(userinfo_url, token)

    assert refused(response) == (403, "insufficient_scope")
    assert 'scope="openid"' in response.headers["WWW-Authenticate"]


def test_a_client_credentials_access_token_is_invalid_token(
    m2m: AppClient, token_url: str, userinfo_url: str
) -> None:
    token = OAuth2Session(m2m.client_id, secret_of(m2m)).fetch_token(
        token_url, grant_type="client_credentials"
    )["access_token"]

    assert refused(get(userinfo_url, token)) == (401, "invalid_token")


def _forged(claims: dict[str, Any], kid: str) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def test_id_expired_forged_and_tampered_tokens_are_invalid_token(
    confidential: AppClient, alice: PoolUser, userinfo_url: str
) -> None:
    issued = tokens_issue(user=alice, client=confidential, scopes=["openid"])
    good = issued["AccessToken"]
    header = jwt.get_unverified_header(good)
    claims = jwt.decode(good, options={"verify_signature": False})
    head, payload, signature = good.split(".")
    tampered_claims = jwt.utils.base64url_encode(
        json.dumps({**claims, "username": "mallory"}).encode()
    ).decode()
    before = snapshot()

    for token in (
        issued["IdToken"],
        _forged(claims, header["kid"]),
        _forged({**claims, "exp": claims["iat"] - 1}, header["kid"]),
        f"{head}.{tampered_claims}.{signature}",
        f"{head}.{payload}.{signature[::-1]}",
        jwt.encode({**claims}, "", algorithm="none"),
        "not.a.jwt",
        "a",
    ):
        assert refused(get(userinfo_url, token)) == (401, "invalid_token"), token

    assert snapshot() == before


def test_an_expired_access_token_is_invalid_token(
    live_pool: UserPool, alice: PoolUser, userinfo_url: str
) -> None:
    client = make_app_client(
        pool=live_pool,
        AccessTokenValidity=5,
        TokenValidityUnits={"AccessToken": "minutes"},
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid"],
        CallbackURLs=["https://app.example.com/cb"],
    )
    token = access_token(alice, client, "openid")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 300

    import datetime as dt  # noqa: PLC0415

    from django.utils import timezone  # noqa: PLC0415

    later = timezone.now() + dt.timedelta(minutes=6)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: later)
        assert refused(get(userinfo_url, token)) == (401, "invalid_token")


def test_a_signed_out_or_disabled_user_is_refused(
    confidential: AppClient, alice: PoolUser, userinfo_url: str
) -> None:
    token = access_token(alice, confidential, "openid")
    assert get(userinfo_url, token).status_code == 200

    user_tokens_revoke(user=alice)
    assert refused(get(userinfo_url, token)) == (401, "invalid_token")

    fresh = access_token(alice, confidential, "openid")
    user_disable(user=PoolUser.objects.get(pk=alice.pk))
    assert refused(get(userinfo_url, fresh)) == (401, "invalid_token")


def test_a_request_without_a_bearer_token_gets_a_bare_challenge(userinfo_url: str) -> None:
    for headers in ({}, {"Authorization": "Basic YTpi"}):
        response = requests.get(userinfo_url, headers=headers, timeout=10)

        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "value", ["Bearer ", "Bearer a b", "Bearer \u00e9t\u00e9", "Bearer " + "a" * 20_000]
)
def test_a_malformed_bearer_token_is_invalid_request(userinfo_url: str, value: str) -> None:
    response = requests.get(
        userinfo_url, headers={"Authorization": value.encode("utf-8")}, timeout=10
    )

    assert refused(response) == (400, "invalid_request")


def test_other_methods_are_not_allowed(userinfo_url: str) -> None:
    response = requests.put(userinfo_url, timeout=10)

    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_the_password_is_never_part_of_the_answer(
    confidential: AppClient, alice: PoolUser, userinfo_url: str
) -> None:
    body = get(userinfo_url, access_token(alice, confidential, "openid")).text

    assert PASSWORD not in body
