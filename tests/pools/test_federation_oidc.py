"""Federated sign-in through a generic OpenID Connect provider, against a real upstream: another
pool of this very server (its hosted sign-in, discovery, JWKS, token and userInfo endpoints), on
the same live server. A requests.Session plays the browser: it follows the redirects from the
app's authorize request to the upstream's sign-in page and back through `/oauth2/idpresponse`,
and stops at the app's callback."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit, urlunsplit

import jwt
import pytest
import requests
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection, connections
from social_django.models import Association, Nonce

from identities.models import AccessKey
from pools.errors import InvalidParameterException
from pools.hosted.login import COOKIE_PREFIX
from pools.models import (
    AppClient,
    AuthorizationCode,
    FederatedIdentity,
    HostedSession,
    IdentityProvider,
    PoolUser,
    UserPool,
    UserStatus,
)
from pools.services.federated_sign_in import PENDING_PREFIX, PENDING_SECONDS, federated_sign_in
from pools.services.federation import identity_provider_create, identity_provider_update
from pools.services.users import user_disable, user_update_attributes
from tests.builders import make_user, make_user_pool
from tests.cognitoadmin.test_fuzz_aws import snapshot
from tests.conftest import Clock
from tests.pools.hosted_fixtures import CALLBACK, Browser, plain_http, redirected_to, web_app
from tests.pools.oauth_fixtures import PASSWORD, secret_of, url
from tests.pools.test_hosted_flow import readme_examples
from tests.pools.test_readme_oauth import assert_ruff_formatted

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("plain_http")]

__all__ = ["plain_http", "url"]

PROVIDER = "Upstream"


def upstream_client(pool: UserPool, url: str) -> AppClient:
    """The upstream's app client for the downstream pools: confidential, code flow, the OIDC
    scopes, the downstream's callback."""
    return web_app(
        pool,
        GenerateSecret=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email", "profile"],
        CallbackURLs=[f"{url}/oauth2/idpresponse"],
    )


def app(pool: UserPool, **overrides: Any) -> AppClient:
    """The downstream app's client: the hosted pages' public client, with the OIDC scopes."""
    return web_app(pool, AllowedOAuthScopes=["openid", "email", "profile"], **overrides)


def oidc_provider(
    pool: UserPool, issuer: str, client: AppClient, name: str = PROVIDER, **details: str
) -> IdentityProvider:
    return identity_provider_create(
        pool=pool,
        name=name,
        provider_type="OIDC",
        details={
            "client_id": client.client_id,
            "client_secret": secret_of(client),
            "attributes_request_method": "GET",
            "oidc_issuer": issuer,
            "authorize_scopes": "openid email profile",
            **details,
        },
        attribute_mapping={"email": "email"},
        idp_identifiers=[f"{name.lower()}.example.com"],
    )


@pytest.fixture
def upstream(url: str) -> UserPool:
    return make_user_pool(name="upstream")


@pytest.fixture
def uma(upstream: UserPool) -> PoolUser:
    return make_user(pool=upstream, username="uma", password=PASSWORD, email="uma@example.com")


@pytest.fixture
def up_client(upstream: UserPool, url: str) -> AppClient:
    return upstream_client(upstream, url)


@pytest.fixture
def issuer(upstream: UserPool, url: str) -> str:
    return f"{url}/{upstream.pool_id}"


def downstream_pool(issuer: str, client: AppClient) -> tuple[UserPool, AppClient]:
    """A pool whose users sign in through the upstream, and its app's client (which also
    supports the pool's own users)."""
    pool = make_user_pool(name="downstream")
    oidc_provider(pool, issuer, client)
    return pool, app(pool, SupportedIdentityProviders=["COGNITO", PROVIDER])


@pytest.fixture
def downstream(issuer: str, up_client: AppClient) -> tuple[UserPool, AppClient]:
    return downstream_pool(issuer, up_client)


def authorize_path(client: AppClient, **extra: str) -> str:
    query = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": CALLBACK,
        "state": "app-state",
        "scope": "openid email",
        **extra,
    }
    return f"/oauth2/authorize?{urlencode(query)}"


def sign_in_through_upstream(
    url: str,
    client: AppClient,
    username: str = "uma",
    *,
    tamper: dict[str, str] | None = None,
    **extra: str,
) -> requests.Response:
    """The browser's round trip from the app's authorize request through the provider."""
    path = authorize_path(client, identity_provider=PROVIDER, **extra)
    return round_trip(url, path, username, tamper=tamper)


def round_trip(
    url: str, path: str, username: str = "uma", *, tamper: dict[str, str] | None = None
) -> requests.Response:
    """The authorize request `path` to the upstream's sign-in page, the user's password there,
    and the answer of `/oauth2/idpresponse`. `tamper` changes parameters of the upstream's
    authorize request on its way, as a user could."""
    browser = Browser(url)
    leaving = browser.get(path)
    assert leaving.status_code == 302, leaving.text
    upstream_url = leaving.headers["Location"]
    if tamper:
        parts = urlsplit(upstream_url)
        query = {name: values[0] for name, values in parse_qs(parts.query).items()} | tamper
        upstream_url = urlunsplit(parts._replace(query=urlencode(query)))
    page = browser.open(upstream_url)
    assert page.status_code == 200, page.text
    assert "Sign in" in page.text
    return browser.follow(browser.submit(page, username=username, password=PASSWORD))


def code_of(response: requests.Response) -> str:
    target, values, _ = redirected_to(response)
    assert target == CALLBACK
    assert values["state"] == "app-state"
    assert "error" not in values, values
    return values["code"]


def token_answer(url: str, client: AppClient, code: str) -> dict[str, Any]:
    """The app's exchange of its code at /oauth2/token."""
    answer = requests.post(
        f"{url}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client.client_id,
            "code": code,
            "redirect_uri": CALLBACK,
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def id_token_claims(url: str, pool: UserPool, client: AppClient, code: str) -> dict[str, Any]:
    token = token_answer(url, client, code)["id_token"]
    key = jwt.PyJWKClient(f"{url}/{pool.pool_id}/.well-known/jwks.json").get_signing_key_from_jwt(
        token
    )
    claims: dict[str, Any] = jwt.decode(
        token, key.key, algorithms=["RS256"], audience=client.client_id
    )
    return claims


def counts(pool: UserPool) -> tuple[int, int, int, int]:
    """What a federated sign-in makes in the downstream pool."""
    return (
        PoolUser.objects.filter(pool=pool).count(),
        FederatedIdentity.objects.filter(pool=pool).count(),
        AuthorizationCode.objects.filter(pool=pool).count(),
        HostedSession.objects.filter(pool=pool).count(),
    )


def refused(response: requests.Response) -> str:
    target, values, _ = redirected_to(response)
    assert target == CALLBACK
    assert values["error"] == "invalid_request"
    assert values["state"] == "app-state"
    return values["error_description"]


# --- the round trip --------------------------------------------------------------------------


def test_a_first_sign_in_makes_an_external_provider_user_with_the_mapped_email(
    url: str, uma: PoolUser, downstream: tuple[UserPool, AppClient]
) -> None:
    pool, client = downstream

    code = code_of(sign_in_through_upstream(url, client))

    claims = id_token_claims(url, pool, client, code)
    assert claims["cognito:username"] == f"{PROVIDER}_{uma.sub}"
    assert claims["email"] == "uma@example.com"
    user = PoolUser.objects.get(pool=pool)
    assert user.username == f"{PROVIDER}_{uma.sub}"
    assert user.status == UserStatus.EXTERNAL_PROVIDER
    assert claims["sub"] == str(user.sub) != str(uma.sub)
    identity = FederatedIdentity.objects.get(pool=pool)
    assert (identity.user_id, identity.provider, identity.uid) == (user.pk, PROVIDER, str(uma.sub))
    assert identity.primary
    assert identity.provider_type == "OIDC"
    # Upstream tokens are never kept.
    assert identity.extra_data == {}
    pool.refresh_from_db()
    assert pool.estimated_number_of_users == 1


def test_user_info_names_the_users_identities_as_the_attribute_does(
    url: str, uma: PoolUser, downstream: tuple[UserPool, AppClient]
) -> None:
    pool, client = downstream
    code = code_of(sign_in_through_upstream(url, client))
    access_token = token_answer(url, client, code)["access_token"]

    answer = requests.get(
        f"{url}/oauth2/userInfo", headers={"Authorization": f"Bearer {access_token}"}, timeout=10
    )

    assert answer.status_code == 200, answer.text
    info = answer.json()
    assert info["username"] == f"{PROVIDER}_{uma.sub}"
    assert info["email"] == "uma@example.com"
    created = FederatedIdentity.objects.get(pool=pool).created
    assert json.loads(info["identities"]) == [
        {
            "userId": str(uma.sub),
            "providerName": PROVIDER,
            "providerType": "OIDC",
            "issuer": None,
            "primary": True,
            "dateCreated": int(created.timestamp() * 1000),
        }
    ]


def test_a_later_sign_in_is_the_same_user_with_the_upstream_s_new_email(
    url: str, uma: PoolUser, downstream: tuple[UserPool, AppClient]
) -> None:
    pool, client = downstream
    code_of(sign_in_through_upstream(url, client))
    user_update_attributes(user=uma, attributes={"email": "uma.new@example.com"})

    code = code_of(sign_in_through_upstream(url, client))

    assert id_token_claims(url, pool, client, code)["email"] == "uma.new@example.com"
    user = PoolUser.objects.get(pool=pool)
    assert user.email == "uma.new@example.com"
    assert FederatedIdentity.objects.filter(pool=pool).count() == 1


def test_the_same_upstream_account_in_two_pools_is_two_users(
    url: str, uma: PoolUser, issuer: str, up_client: AppClient
) -> None:
    first_pool, first = downstream_pool(issuer, up_client)
    second_pool, second = downstream_pool(issuer, up_client)

    code_of(sign_in_through_upstream(url, first))
    code = code_of(sign_in_through_upstream(url, second))

    claims = id_token_claims(url, second_pool, second, code)
    one, two = PoolUser.objects.get(pool=first_pool), PoolUser.objects.get(pool=second_pool)
    assert one.pk != two.pk
    assert one.username == two.username == f"{PROVIDER}_{uma.sub}"
    assert claims["sub"] == str(two.sub) != str(one.sub)


def test_an_idp_identifier_leads_to_its_provider(
    url: str, issuer: str, downstream: tuple[UserPool, AppClient], up_client: AppClient
) -> None:
    _pool, client = downstream

    leaving = Browser(url).get(authorize_path(client, idp_identifier="upstream.example.com"))

    target, query, _ = redirected_to(leaving)
    assert target == f"{url}/oauth2/authorize"
    assert query["client_id"] == up_client.client_id
    assert query["redirect_uri"] == f"{url}/oauth2/idpresponse"
    assert query["scope"] == "openid email profile"
    assert query["state"] and query["nonce"]


def test_a_client_without_cognito_signs_in_through_its_provider_only(
    url: str, uma: PoolUser, downstream: tuple[UserPool, AppClient]
) -> None:
    pool, _client = downstream
    client = app(pool, SupportedIdentityProviders=[PROVIDER])

    code_of(sign_in_through_upstream(url, client))
    _target, values, _ = redirected_to(Browser(url).get(authorize_path(client)))

    assert values["error"] == "unauthorized_client"


def test_the_sign_in_page_offers_each_provider_the_client_supports(
    url: str, downstream: tuple[UserPool, AppClient]
) -> None:
    _pool, client = downstream
    query = urlsplit(authorize_path(client)).query

    page = Browser(url).get(f"/login?{query}")

    assert page.status_code == 200
    assert f"Sign in with {PROVIDER}</a>" in page.text
    assert "identity_provider=Upstream" in page.text
    cognito_only = app(client.pool)
    other = Browser(url).get(f"/login?{urlsplit(authorize_path(cognito_only)).query}")
    assert "Sign in with" not in other.text.replace("Sign in with your username", "")


def test_an_upstream_page_for_a_federation_callback_lets_the_chain_go_on(
    url: str, up_client: AppClient
) -> None:
    # Chromium applies form-action to every redirect after the form: the downstream pool's own
    # redirect to its app would be blocked. Every other restriction stays.
    query = urlencode(
        {
            "response_type": "code",
            "client_id": up_client.client_id,
            "redirect_uri": f"{url}/oauth2/idpresponse",
        }
    )
    policy = requests.get(f"{url}/login?{query}", timeout=10).headers["Content-Security-Policy"]

    assert "form-action" not in policy
    assert "script-src 'none'" in policy and "frame-ancestors 'none'" in policy


def test_an_upstream_page_for_another_hosts_federation_callback_keeps_form_action(
    url: str, upstream: UserPool
) -> None:
    elsewhere = "https://auth.example.com/oauth2/idpresponse"
    client = web_app(upstream, AllowedOAuthScopes=["openid"], CallbackURLs=[elsewhere])
    query = urlencode(
        {"response_type": "code", "client_id": client.client_id, "redirect_uri": elsewhere}
    )
    policy = requests.get(f"{url}/login?{query}", timeout=10).headers["Content-Security-Policy"]

    assert "form-action 'self' https://auth.example.com" in policy


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["code=abc", "code=abc&state=made-up", "error=access_denied", f"code=abc&state={'s' * 200}"],
)
def test_a_callback_without_a_state_this_browser_started_is_an_error_page(
    url: str, downstream: tuple[UserPool, AppClient], query: str
) -> None:
    before = snapshot()

    response = Browser(url).get(f"/oauth2/idpresponse?{query}")

    assert response.status_code == 400
    assert "sign in again" in response.text.lower()
    assert snapshot() == before


def test_a_state_from_another_browser_or_tampered_is_an_error_page(
    url: str, uma: PoolUser, downstream: tuple[UserPool, AppClient]
) -> None:
    pool, client = downstream
    leaving = Browser(url).get(authorize_path(client, identity_provider=PROVIDER))
    state = parse_qs(urlsplit(leaving.headers["Location"]).query)["state"][0]
    before = counts(pool)

    elsewhere = Browser(url).get(f"/oauth2/idpresponse?code=abc&state={state}")
    tampered = Browser(url).get(f"/oauth2/idpresponse?code=abc&state={state[:-1]}x")

    assert elsewhere.status_code == tampered.status_code == 400
    assert counts(pool) == before


def test_a_used_state_is_an_error_page(
    url: str, uma: PoolUser, downstream: tuple[UserPool, AppClient]
) -> None:
    pool, client = downstream
    browser = Browser(url)
    leaving = browser.get(authorize_path(client, identity_provider=PROVIDER))
    page = browser.open(leaving.headers["Location"])
    callback = browser.submit(page, username="uma", password=PASSWORD)
    code_of(browser.follow(callback))
    before = counts(pool)

    again = browser.get(callback.headers["Location"])

    assert again.status_code == 400
    assert counts(pool) == before


def test_a_state_past_its_lifetime_is_an_error_page(
    url: str, downstream: tuple[UserPool, AppClient], clock: Clock
) -> None:
    pool, client = downstream
    browser = Browser(url)
    old = browser.get(authorize_path(client, identity_provider=PROVIDER))
    clock.advance(seconds=PENDING_SECONDS + 1)
    # A new start drops the stale one from the session; the new one still works.
    new = browser.get(authorize_path(client, identity_provider=PROVIDER))
    kept = Session.objects.get(session_key=browser.http.cookies["sessionid"]).get_decoded()
    assert len([key for key in kept if key.startswith(PENDING_PREFIX)]) == 1
    before = counts(pool)

    stale = browser.get(
        old.headers["Location"].replace(f"{url}/oauth2/authorize", "/oauth2/idpresponse")
    )
    fresh = browser.get(
        new.headers["Location"].replace(f"{url}/oauth2/authorize", "/oauth2/idpresponse")
        + "&error=access_denied"
    )

    assert stale.status_code == 400
    assert "refused the sign-in: access_denied" in refused(fresh)
    assert counts(pool) == before


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"identity_provider": "Nobody"}, "does not exist"),
        ({"idp_identifier": "nobody.example.com"}, "does not exist"),
    ],
)
def test_an_unknown_provider_goes_back_with_the_error(
    url: str, downstream: tuple[UserPool, AppClient], extra: dict[str, str], words: str
) -> None:
    _pool, client = downstream
    before = snapshot()

    response = Browser(url).get(authorize_path(client, **extra))

    assert words in refused(response)
    assert snapshot() == before


def test_starts_beyond_the_rate_limit_go_back_with_the_error_and_store_nothing(
    url: str, downstream: tuple[UserPool, AppClient], settings: Any
) -> None:
    _pool, client = downstream
    cache.clear()
    settings.COGNITOADMIN_RATE_LIMIT_PER_IP = 2
    try:
        for _ in range(2):
            assert (
                Browser(url).get(authorize_path(client, identity_provider=PROVIDER)).status_code
                == 302
            )
        stored = (Nonce.objects.count(), Association.objects.count())

        response = Browser(url).get(authorize_path(client, identity_provider=PROVIDER))

        assert refused(response) == "Rate exceeded"
        assert (Nonce.objects.count(), Association.objects.count()) == stored
    finally:
        cache.clear()


def test_a_provider_the_client_does_not_support_goes_back_with_the_error(
    url: str, downstream: tuple[UserPool, AppClient]
) -> None:
    pool, _client = downstream
    cognito_only = app(pool)
    before = snapshot()

    response = Browser(url).get(authorize_path(cognito_only, identity_provider=PROVIDER))

    assert "does not support the identity provider" in refused(response)
    assert snapshot() == before


def test_a_disabled_user_is_refused_and_keeps_its_attributes(
    url: str, uma: PoolUser, downstream: tuple[UserPool, AppClient]
) -> None:
    pool, client = downstream
    code_of(sign_in_through_upstream(url, client))
    user_disable(user=PoolUser.objects.get(pool=pool))
    user_update_attributes(user=uma, attributes={"email": "uma.new@example.com"})
    before = counts(pool)

    response = sign_in_through_upstream(url, client)

    assert refused(response) == "User is disabled."
    assert counts(pool) == before
    assert PoolUser.objects.get(pool=pool).email == "uma@example.com"


def test_an_id_token_with_another_nonce_is_refused(
    url: str, uma: PoolUser, downstream: tuple[UserPool, AppClient]
) -> None:
    pool, client = downstream
    before = counts(pool)

    response = sign_in_through_upstream(url, client, tamper={"nonce": "a-nonce-of-my-own"})

    assert "(nonce_mismatch)" in refused(response)
    assert counts(pool) == before


def test_a_code_the_upstream_issued_to_another_of_its_clients_is_refused(
    url: str, uma: PoolUser, upstream: UserPool, downstream: tuple[UserPool, AppClient]
) -> None:
    """The upstream's authorize request sent on with another client's id (one whose callback
    is also the downstream's): its code is that client's, and the exchange with the
    provider's own client is refused."""
    pool, client = downstream
    other = upstream_client(upstream, url)
    before = counts(pool)

    response = sign_in_through_upstream(url, client, tamper={"client_id": other.client_id})

    assert "(authorization_code_rejected)" in refused(response)
    assert counts(pool) == before


def test_an_id_token_of_another_issuer_is_refused(
    url: str, uma: PoolUser, issuer: str, up_client: AppClient
) -> None:
    """The provider says the upstream's issuer, but its endpoints are another pool's: that
    pool's ID tokens name their own issuer and are refused."""
    other = make_user_pool(name="other-upstream")
    make_user(pool=other, username="uma", password=PASSWORD, email="uma@example.com")
    other_client = upstream_client(other, url)
    pool = make_user_pool(name="downstream")
    oidc_provider(
        pool,
        issuer,
        other_client,
        authorize_url=f"{url}/oauth2/authorize",
        token_url=f"{url}/oauth2/token",
        attributes_url=f"{url}/oauth2/userInfo",
        jwks_uri=f"{url}/{other.pool_id}/.well-known/jwks.json",
    )
    client = app(pool, SupportedIdentityProviders=[PROVIDER])
    before = counts(pool)

    response = sign_in_through_upstream(url, client)

    assert "(invalid_claim: iss)" in refused(response)
    assert counts(pool) == before


def test_an_upstream_error_goes_back_to_the_app(
    url: str, downstream: tuple[UserPool, AppClient]
) -> None:
    pool, client = downstream
    browser = Browser(url)
    leaving = browser.get(authorize_path(client, identity_provider=PROVIDER))
    state = parse_qs(urlsplit(leaving.headers["Location"]).query)["state"][0]
    before = counts(pool)

    response = browser.get(
        f"/oauth2/idpresponse?error=access_denied&error_description={quote('No thanks')}"
        f"&state={state}"
    )

    assert refused(response) == (
        "The identity provider refused the sign-in: access_denied: No thanks"
    )
    assert counts(pool) == before


# --- the service -----------------------------------------------------------------------------


@pytest.fixture
def plain_provider() -> IdentityProvider:
    """A provider whose upstream is never called: the service's rules alone."""
    pool = make_user_pool(name="downstream")
    return identity_provider_create(
        pool=pool,
        name=PROVIDER,
        provider_type="OIDC",
        details={
            "client_id": "upstream-client",
            "attributes_request_method": "GET",
            "oidc_issuer": "https://upstream.example.com",
            "authorize_scopes": "openid email",
        },
        attribute_mapping={"email": "email", "email_verified": "email_verified"},
    )


def test_mapped_claims_become_attributes_as_cognito_writes_them(
    plain_provider: IdentityProvider,
) -> None:
    claims = {"sub": "s-1", "email": "who@example.com", "email_verified": True, "aud": "x"}

    user = federated_sign_in(
        pool=plain_provider.pool, provider=plain_provider, subject="s-1", claims=claims
    )

    assert (user.username, user.email, user.email_verified) == (
        f"{PROVIDER}_s-1",
        "who@example.com",
        True,
    )
    again = federated_sign_in(
        pool=plain_provider.pool, provider=plain_provider, subject="s-1", claims=claims
    )
    assert again.pk == user.pk


def test_the_claim_mapped_to_username_names_the_user(plain_provider: IdentityProvider) -> None:
    identity_provider_update(
        provider=plain_provider, attribute_mapping={"username": "preferred_username"}
    )
    claims = {"sub": "s-1", "preferred_username": "pat"}

    user = federated_sign_in(
        pool=plain_provider.pool, provider=plain_provider, subject="s-1", claims=claims
    )

    assert user.username == f"{PROVIDER}_pat"
    assert FederatedIdentity.objects.get(user=user).uid == "pat"


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "s-1", "email": "not an address"},
        {"sub": "s-1", "email": "who@example.com", "email_verified": "perhaps"},
        {"sub": ""},
        # <ProviderName>_<subject> would pass Cognito's 128 characters of a username.
        {"sub": "s" * (128 - len(PROVIDER))},
        {"sub": ["s-1"], "email": "x" * 3000 + "@example.com"},
    ],
)
def test_claims_the_pool_refuses_change_nothing(
    plain_provider: IdentityProvider, claims: dict[str, Any]
) -> None:
    before = snapshot()

    with pytest.raises(InvalidParameterException):
        federated_sign_in(
            pool=plain_provider.pool,
            provider=plain_provider,
            subject=str(claims["sub"]),
            claims=claims,
        )

    assert snapshot() == before


def test_a_refused_update_keeps_the_user_as_it_was(plain_provider: IdentityProvider) -> None:
    pool = plain_provider.pool
    federated_sign_in(
        pool=pool, provider=plain_provider, subject="s-1", claims={"email": "who@example.com"}
    )
    before = snapshot()

    with pytest.raises(InvalidParameterException):
        federated_sign_in(
            pool=pool, provider=plain_provider, subject="s-1", claims={"email": "not an address"}
        )

    assert snapshot() == before


@pytest.mark.postgres
def test_concurrent_first_sign_ins_of_one_subject_make_one_user(
    plain_provider: IdentityProvider,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers on its own")
    threads_count = 6
    start = threading.Barrier(threads_count)
    users: list[int] = []
    errors: list[BaseException] = []

    def sign_in() -> None:
        try:
            start.wait()
            user = federated_sign_in(
                pool=plain_provider.pool,
                provider=plain_provider,
                subject="s-1",
                claims={"email": "who@example.com"},
            )
            users.append(user.pk)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign_in) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(set(users)) == 1
    assert PoolUser.objects.filter(pool=plain_provider.pool).count() == 1
    plain_provider.pool.refresh_from_db()
    assert plain_provider.pool.estimated_number_of_users == 1


# --- the README ------------------------------------------------------------------------------


def test_the_readmes_provider_signs_users_in_through_it(  # noqa: PLR0917 - fixtures
    url: str,
    uma: PoolUser,
    up_client: AppClient,
    issuer: str,
    operator_key: tuple[AccessKey, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    examples = readme_examples(url, operator_key)
    [federation] = [code for code in examples if 'ProviderType="OIDC"' in code]
    assert_ruff_formatted(federation)
    federation = (
        federation.replace("client-id-from-the-provider", up_client.client_id)
        .replace("its-client-secret", secret_of(up_client))
        .replace("https://idp.example.com", issuer)
    )
    scope: dict[str, Any] = {}
    exec(compile(examples[0], "README.md", "exec"), scope)  # noqa: S102 - the README's own example
    capsys.readouterr()
    exec(compile(federation, "README.md", "exec"), scope)  # noqa: S102 - the README's own example

    assert capsys.readouterr().out.strip() == f"{url}/oauth2/idpresponse"
    query = urlencode(
        {
            "response_type": "code",
            "client_id": scope["app"]["ClientId"],
            "redirect_uri": "http://localhost:3000/callback",
            "state": "xyz",
            "idp_identifier": "example.com",
        }
    )
    target, values, _ = redirected_to(round_trip(url, f"/oauth2/authorize?{query}"))
    assert target == "http://localhost:3000/callback"
    assert values["code"] and values["state"] == "xyz"
    user = PoolUser.objects.get(pool__pool_id=scope["pool_id"])
    assert (user.username, user.status, user.email) == (
        f"Corp_{uma.sub}",
        UserStatus.EXTERNAL_PROVIDER,
        "uma@example.com",
    )


# --- in a real browser -----------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.slow
def test_a_browser_signs_in_through_the_provider_and_the_app_gets_its_code(
    url: str,
    uma: PoolUser,
    downstream: tuple[UserPool, AppClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not CHROMIUM.exists() and os.environ.get("CI") != "true":
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium); CI installs it")
    playwright_api = pytest.importorskip("playwright.sync_api")
    sync_playwright, playwright_error = playwright_api.sync_playwright, playwright_api.Error
    pool, client = downstream
    landed: list[str] = []
    # Playwright's sync API runs an event loop in this thread; the ORM is not used meanwhile.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = chromium.new_page()

        def app(route: Any) -> None:
            landed.append(route.request.url)
            route.fulfill(status=200, content_type="text/html", body="<p>Back in the app.")

        # The app's callback, answered inside the browser: there is no app.example.com here.
        page.route(f"{CALLBACK}*", app)
        page.goto(f"{url}/login?{urlsplit(authorize_path(client)).query}")
        page.get_by_role("link", name=f"Sign in with {PROVIDER}").click()
        page.get_by_label("Username").fill("uma")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{CALLBACK}?*", timeout=10_000)
        first = landed[-1]
        code = parse_qs(urlsplit(first).query)["code"][0]
        # Redeemed now: a token shows the user's attributes as they are when it is made.
        claims = id_token_claims(url, pool, client, code)
        # Upstream, the user's email changes; the next sign-in through the provider (the
        # upstream's own session skips its password) brings the new one.
        user_update_attributes(user=uma, attributes={"email": "uma.new@example.com"})
        # The app's pool forgets its session (as after its hosted session ends); the upstream's
        # stays and skips its password.
        page.context.clear_cookies(name=f"{COOKIE_PREFIX}{pool.pool_id}")
        # All redirects, which page.route does not see: the request to the app's callback is
        # caught as it leaves, and its failing navigation (no app.example.com) let go.
        page.on(
            "request",
            lambda sent: landed.append(sent.url) if sent.url.startswith(CALLBACK) else None,
        )
        again_path = authorize_path(client, identity_provider=PROVIDER)
        with contextlib.suppress(playwright_error):
            page.goto(f"{url}{again_path}")
        chromium.close()

    codes = [
        {name: v[0] for name, v in parse_qs(urlsplit(address).query).items()}
        for address in (first, landed[-1])
    ]
    assert [values["state"] for values in codes] == ["app-state", "app-state"]
    assert claims["cognito:username"] == f"{PROVIDER}_{uma.sub}"
    assert claims["email"] == "uma@example.com"
    assert [(entry["providerName"], entry["userId"]) for entry in claims["identities"]] == [
        (PROVIDER, str(uma.sub))
    ]
    again = id_token_claims(url, pool, client, codes[1]["code"])
    assert again["sub"] == claims["sub"]
    assert again["email"] == "uma.new@example.com"
