"""Refused requests of the hosted flow: each is an error page (until the redirect URI is known to
be the client's) or RFC 6749's error (after), never a 5xx and never an open redirect, and each
changes nothing, except the one refusal that must: a reused code revokes what it issued."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from base64 import urlsafe_b64encode
from typing import Any
from urllib.parse import quote

import pytest
import requests
from django.utils import timezone

from pools.models import AppClient, AuthorizationCode, PoolUser, RefreshToken, UserPool
from tests.cognitoadmin.test_fuzz_aws import snapshot
from tests.pools.hosted_fixtures import (
    CALLBACK,
    Browser,
    plain_http,
    redirected_to,
    web,
    web_app,
    web_secret,
)
from tests.pools.oauth_fixtures import READ, alice, discovery, live_pool, secret_of, url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("plain_http")]

__all__ = ["alice", "discovery", "live_pool", "plain_http", "url", "web", "web_secret"]


def challenge_of(verifier: str) -> str:
    return urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def get(url: str, path: str) -> requests.Response:
    return requests.get(f"{url}{path}", allow_redirects=False, timeout=10)


def refused_page(response: requests.Response) -> None:
    """An error page: a 4xx, no redirect anywhere."""
    assert 400 <= response.status_code < 500, response.text
    assert "Location" not in response.headers
    assert response.headers["X-Frame-Options"] == "DENY"


# --- before the redirect URI is known good: error pages --------------------------------------


@pytest.mark.parametrize("endpoint", ["/oauth2/authorize", "/login"])
@pytest.mark.parametrize(
    "query",
    [
        "response_type=code&redirect_uri={cb}",
        "response_type=code&client_id=unknownclient123&redirect_uri={cb}",
        "response_type=code&client_id=not%20an%20id&redirect_uri={cb}",
        "response_type=code&client_id={id}",
        "response_type=code&client_id={id}&redirect_uri=https://evil.example.com/callback",
        "response_type=code&client_id={id}&redirect_uri={cb}/",
        "response_type=code&client_id={id}&redirect_uri=HTTPS://app.example.com/callback",
        "response_type=code&client_id={id}&client_id={id}&redirect_uri={cb}",
        "response_type=code&client_id={id}&redirect_uri={cb}&state=" + "s" * 10_000,
        "response_type=code&client_id=%ED%A0%80&redirect_uri={cb}",
        "response_type=code&client_id={id}&redirect_uri={cb}%00",
        "response_type=bogus&client_id={id}&redirect_uri=https://evil.example.com/",
    ],
)
def test_a_bad_client_or_redirect_uri_is_an_error_page_that_changes_nothing(
    web: AppClient, url: str, endpoint: str, query: str
) -> None:
    before = snapshot()

    response = get(url, f"{endpoint}?" + query.format(id=web.client_id, cb=quote(CALLBACK)))

    refused_page(response)
    assert snapshot() == before


def test_a_lone_surrogate_in_state_is_no_error_and_stays_on_this_server(
    web: AppClient, url: str
) -> None:
    # Django decodes the query as UTF-8 with replacement: the surrogate becomes U+FFFD.
    response = get(
        url,
        f"/oauth2/authorize?response_type=code&client_id={web.client_id}"
        f"&redirect_uri={quote(CALLBACK)}&state=%ED%A0%80",
    )

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?")


# --- after it: the error goes back to the redirect URI ---------------------------------------


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ("response_type=bogus", "unsupported_response_type"),
        ("response_type=", "invalid_request"),
        ("response_type=code&scope=openid+admin", "invalid_scope"),
        ("response_type=code&scope=email", "invalid_scope"),
        (f"response_type=code&scope={quote('https://api.example.com/write')}", "invalid_scope"),
        ("response_type=code&identity_provider=Google", "invalid_request"),
        ("response_type=code&idp_identifier=example.com", "invalid_request"),
        ("response_type=code&code_challenge=abc&code_challenge_method=S256", "invalid_request"),
        (
            "response_type=code&code_challenge=" + "a" * 43 + "&code_challenge_method=S512",
            "invalid_request",
        ),
        ("response_type=code&code_challenge_method=S256", "invalid_request"),
    ],
)
@pytest.mark.parametrize("state", ["st-1", None])
def test_a_bad_request_goes_back_with_the_error_and_the_state(
    web: AppClient, url: str, extra: str, error: str, state: str | None
) -> None:
    before = snapshot()
    query = f"{extra}&client_id={web.client_id}&redirect_uri={quote(CALLBACK)}"
    if state is not None:
        query += f"&state={state}"

    target, values, _ = redirected_to(get(url, f"/oauth2/authorize?{query}"))

    assert target == CALLBACK
    assert values["error"] == error
    assert values["error_description"]
    assert values.get("state") == state
    assert snapshot() == before


@pytest.mark.parametrize(
    ("overrides", "response_type"),
    [
        ({"AllowedOAuthFlows": ["implicit"]}, "code"),
        ({"AllowedOAuthFlows": ["code"]}, "token"),
        ({"SupportedIdentityProviders": []}, "code"),
    ],
)
def test_a_client_not_allowed_the_flow_is_unauthorized_client(
    live_pool: UserPool, url: str, overrides: dict[str, Any], response_type: str
) -> None:
    client = web_app(live_pool, **overrides)
    before = snapshot()

    _, values, fragment = redirected_to(
        get(
            url,
            f"/oauth2/authorize?response_type={response_type}&client_id={client.client_id}"
            f"&redirect_uri={CALLBACK}&state=z",
        )
    )

    answer = fragment if response_type == "token" else values
    assert (answer["error"], answer["state"]) == ("unauthorized_client", "z")
    assert snapshot() == before


def test_a_client_without_oauth_flows_is_unauthorized_client(live_pool: UserPool, url: str) -> None:
    client = web_app(
        live_pool,
        AllowedOAuthFlowsUserPoolClient=False,
        AllowedOAuthFlows=[],
        AllowedOAuthScopes=[],
    )

    _, values, _ = redirected_to(
        get(
            url,
            f"/oauth2/authorize?response_type=code&client_id={client.client_id}&redirect_uri={CALLBACK}",
        )
    )

    assert values["error"] == "unauthorized_client"


# --- the code's exchange ---------------------------------------------------------------------


def issue_code(url: str, client: AppClient, **pkce: str) -> str:
    query = f"response_type=code&client_id={client.client_id}&redirect_uri={CALLBACK}&scope=openid"
    for name, value in pkce.items():
        query += f"&{name}={value}"
    return redirected_to(Browser(url).sign_in(f"/oauth2/authorize?{query}"))[1]["code"]


def exchange(
    discovery: dict[str, Any], client: AppClient, code: str, secret: str | None = None, **extra: str
) -> requests.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, **extra}
    if client.has_secret:
        auth = (client.client_id, secret if secret is not None else secret_of(client))
        return requests.post(discovery["token_endpoint"], data=data, auth=auth, timeout=10)
    data["client_id"] = client.client_id
    return requests.post(discovery["token_endpoint"], data=data, timeout=10)


def test_a_reused_code_is_invalid_grant_and_revokes_what_it_issued(
    web: AppClient, alice: PoolUser, discovery: dict[str, Any], url: str
) -> None:
    code = issue_code(url, web)
    first = exchange(discovery, web, code)
    assert first.status_code == 200
    access = first.json()["access_token"]

    second = exchange(discovery, web, code)

    assert (second.status_code, second.json()["error"]) == (400, "invalid_grant")
    assert RefreshToken.objects.get().revoked_at is not None
    info = requests.get(
        discovery["userinfo_endpoint"], headers={"Authorization": f"Bearer {access}"}, timeout=10
    )
    assert info.status_code == 401
    refresh = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "refresh_token",
            "client_id": web.client_id,
            "refresh_token": first.json()["refresh_token"],
        },
        timeout=10,
    )
    assert refresh.json()["error"] == "invalid_grant"


VERIFIER = secrets.token_urlsafe(48)


@pytest.mark.parametrize(
    ("case", "change"),
    [
        ("tampered", {"code": "x"}),
        ("wrong redirect", {"redirect_uri": CALLBACK + "/other"}),
        ("wrong verifier", {"code_verifier": secrets.token_urlsafe(48)}),
        ("missing verifier", {}),
        ("malformed verifier", {"code_verifier": "short"}),
        ("expired", {}),
        ("other client", {}),
    ],
)
def test_a_refused_exchange_is_invalid_grant_and_changes_nothing(  # noqa: PLR0917 - fixtures
    web: AppClient,
    alice: PoolUser,
    discovery: dict[str, Any],
    url: str,
    live_pool: UserPool,
    case: str,
    change: dict[str, str],
) -> None:
    code = issue_code(url, web, code_challenge=challenge_of(VERIFIER), code_challenge_method="S256")
    client = web
    extra: dict[str, str] = {"code_verifier": VERIFIER}
    if case == "tampered":
        code = code[:-1] + ("A" if code[-1] != "A" else "B")
    if case == "expired":
        AuthorizationCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    if case == "other client":
        client = web_app(live_pool)
    if case == "missing verifier":
        extra = {}
    extra |= {key: value for key, value in change.items() if key != "code"}
    before = snapshot()

    response = exchange(discovery, client, code, **extra)

    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")
    assert "access_token" not in response.text
    assert snapshot() == before


def test_a_code_refused_for_a_wrong_verifier_still_works_with_the_right_one(
    web: AppClient, alice: PoolUser, discovery: dict[str, Any], url: str
) -> None:
    code = issue_code(url, web, code_challenge=challenge_of(VERIFIER), code_challenge_method="S256")
    exchange(discovery, web, code, code_verifier=secrets.token_urlsafe(48))

    assert exchange(discovery, web, code, code_verifier=VERIFIER).status_code == 200


def test_a_verifier_for_a_code_without_a_challenge_is_refused(
    web: AppClient, alice: PoolUser, discovery: dict[str, Any], url: str
) -> None:
    code = issue_code(url, web)

    response = exchange(discovery, web, code, code_verifier=VERIFIER)

    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("secret", ["wrong-secret", ""])
def test_a_wrong_client_secret_is_invalid_client_and_changes_nothing(
    web_secret: AppClient, alice: PoolUser, discovery: dict[str, Any], url: str, secret: str
) -> None:
    code = issue_code(url, web_secret)
    before = snapshot()

    response = exchange(discovery, web_secret, code, secret=secret)

    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")
    assert snapshot() == before
    assert exchange(discovery, web_secret, code).status_code == 200


def test_a_confidential_clients_code_needs_its_secret(
    web_secret: AppClient, alice: PoolUser, discovery: dict[str, Any], url: str
) -> None:
    code = issue_code(url, web_secret)

    response = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "client_id": web_secret.client_id,
            "code": code,
            "redirect_uri": CALLBACK,
        },
        timeout=10,
    )

    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("missing", ["code", "redirect_uri"])
def test_a_missing_code_or_redirect_uri_is_invalid_request(
    web: AppClient, discovery: dict[str, Any], missing: str
) -> None:
    data = {
        "grant_type": "authorization_code",
        "client_id": web.client_id,
        "code": "abc",
        "redirect_uri": CALLBACK,
    }
    del data[missing]

    response = requests.post(discovery["token_endpoint"], data=data, timeout=10)

    assert response.json()["error"] == "invalid_request"


def test_the_code_is_stored_only_as_its_sha256(web: AppClient, alice: PoolUser, url: str) -> None:
    code = issue_code(url, web)

    row = AuthorizationCode.objects.get()
    assert row.code_digest == hashlib.sha256(code.encode()).hexdigest()
    assert code not in str(list(AuthorizationCode.objects.values()))
    assert row.expires_at - row.created_at <= dt.timedelta(minutes=5, seconds=1)


# --- logout ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",
        "client_id={id}",
        "client_id=unknownclient123&logout_uri=https://app.example.com/signed-out",
        "client_id={id}&logout_uri=https://evil.example.com/",
        "client_id={id}&logout_uri=https://app.example.com/signed-out/",
        "logout_uri=https://app.example.com/signed-out",
        "client_id={id}&redirect_uri=https://evil.example.com/&response_type=code",
        "client_id={id}&redirect_uri={cb}",
        "client_id={id}&logout_uri=%ED%A0%80",
        "client_id={id}&logout_uri=" + "a" * 10_000,
    ],
)
def test_a_bad_logout_is_an_error_page_never_a_redirect(
    web: AppClient, url: str, query: str
) -> None:
    before = snapshot()

    response = get(url, "/logout?" + query.format(id=web.client_id, cb=quote(CALLBACK)))

    refused_page(response)
    assert snapshot() == before


def test_scopes_of_the_api_need_no_openid(
    web: AppClient, alice: PoolUser, discovery: dict[str, Any], url: str
) -> None:
    query = (
        f"response_type=code&client_id={web.client_id}&redirect_uri={CALLBACK}&scope={quote(READ)}"
    )
    code = redirected_to(Browser(url).sign_in(f"/oauth2/authorize?{query}"))[1]["code"]

    token = exchange(discovery, web, code).json()

    assert "id_token" not in token  # Cognito: an ID token only with openid
    info = requests.get(
        discovery["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    )
    assert info.status_code == 403
