"""What the hosted sign-in tests share: app clients of the code and implicit flows, a user with
an authenticator app, and a "browser" made of a requests.Session that reads the pages' forms
(CSRF token, hidden challenge state) as a browser would submit them.

Test modules import the fixtures they use by name."""

from __future__ import annotations

import html
import re
import time
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pyotp
import pytest
import requests
from pytest_django import Settings

from pools.models import AppClient, PoolUser, UserPool
from pools.services.mfa import mfa_preference_set, software_token_associate, software_token_verify
from pools.services.pools import user_pool_set_mfa_config
from tests.builders import make_app_client, make_user
from tests.pools.oauth_fixtures import PASSWORD, READ

CALLBACK = "https://app.example.com/callback"
SIGNED_OUT = "https://app.example.com/signed-out"
OIDC_SCOPES = ["openid", "email", "profile", "aws.cognito.signin.user.admin"]


@pytest.fixture
def plain_http(settings: Settings) -> None:
    """The live server speaks plain HTTP: cookies marked Secure would never come back."""
    settings.CSRF_COOKIE_SECURE = False
    settings.SESSION_COOKIE_SECURE = False


def web_app(pool: UserPool, **overrides: Any) -> AppClient:
    """A public app client of the hosted pages: code and implicit flows, the OIDC scopes, the
    API's read scope, one callback and one sign-out URL."""
    settings: dict[str, Any] = {
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["code", "implicit"],
        "AllowedOAuthScopes": [*OIDC_SCOPES, READ],
        "CallbackURLs": [CALLBACK],
        "LogoutURLs": [SIGNED_OUT],
        "SupportedIdentityProviders": ["COGNITO"],
        "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"],
        **overrides,
    }
    return make_app_client(pool=pool, **settings)


@pytest.fixture
def web(live_pool: UserPool) -> AppClient:
    return web_app(live_pool)


@pytest.fixture
def web_secret(live_pool: UserPool) -> AppClient:
    """A confidential client of the code flow (it authenticates at /oauth2/token)."""
    return web_app(live_pool, GenerateSecret=True, AllowedOAuthFlows=["code"])


@pytest.fixture
def bob(live_pool: UserPool) -> PoolUser:
    return make_user(pool=live_pool, username="bob", password=PASSWORD, email="bob@example.com")


def authenticator_for(user: PoolUser) -> pyotp.TOTP:
    """The pool allows TOTP MFA and `user` has an authenticator app, preferred (as
    AssociateSoftwareToken, VerifySoftwareToken and SetUserMFAPreference set it up)."""
    user_pool_set_mfa_config(
        pool=user.pool,
        settings={
            "MfaConfiguration": "OPTIONAL",
            "SoftwareTokenMfaConfiguration": {"Enabled": True},
        },
    )
    user.refresh_from_db()
    user.pool.refresh_from_db()
    app = pyotp.TOTP(software_token_associate(user=user))
    software_token_verify(user=user, code=app.now(), friendly_name="phone")
    user.refresh_from_db()
    mfa_preference_set(
        user=user, preferences={"SoftwareTokenMfaSettings": {"Enabled": True, "PreferredMfa": True}}
    )
    return app


def next_code(app: pyotp.TOTP) -> str:
    """A code of the next time step: within the tolerance, and not yet used."""
    return app.at(int(time.time()) + 30)


_INPUT = re.compile(r"<input\b[^>]*>", re.S)


def form_fields(page: str) -> dict[str, str]:
    """The hidden fields of the page's form (the CSRF token, the challenge state)."""
    fields: dict[str, str] = {}
    for tag in _INPUT.findall(page):
        if 'type="hidden"' not in tag:
            continue
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and value:
            fields[html.unescape(name.group(1))] = html.unescape(value.group(1))
    return fields


def form_action(page: str) -> str:
    found = re.search(r'<form method="post" action="([^"]*)"', page)
    assert found is not None, page
    return html.unescape(found.group(1))


class Browser:
    """A user's browser against the live server: cookies kept, redirects followed by hand until
    they leave the server (the app's callback)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()

    def get(self, url: str) -> requests.Response:
        return self.http.get(urljoin(self.base, url), allow_redirects=False, timeout=10)

    def follow(self, response: requests.Response) -> requests.Response:
        """Follows redirects on this server; stops at a page or at a redirect elsewhere."""
        while response.status_code == 302:
            location = response.headers["Location"]
            if urlsplit(urljoin(self.base, location)).netloc != urlsplit(self.base).netloc:
                return response
            response = self.get(location)
        return response

    def submit(self, page: requests.Response, **fields: str) -> requests.Response:
        """Submits the page's form with its hidden fields and `fields`."""
        data = {**form_fields(page.text), **fields}
        url = urljoin(page.url, form_action(page.text))
        return self.http.post(
            url, data=data, allow_redirects=False, timeout=10, headers={"Referer": page.url}
        )

    def open(self, authorize_url: str) -> requests.Response:
        return self.follow(self.get(authorize_url))

    def sign_in(
        self, authorize_url: str, username: str = "alice", password: str = PASSWORD
    ) -> requests.Response:
        page = self.open(authorize_url)
        assert page.status_code == 200, page.text
        return self.submit(page, username=username, password=password)


def redirected_to(response: requests.Response) -> tuple[str, dict[str, str], dict[str, str]]:
    """The redirect's target without query, its query and its fragment, as single values."""
    assert response.status_code == 302, response.text
    parts = urlsplit(response.headers["Location"])
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    fragment = {name: values[0] for name, values in parse_qs(parts.fragment).items()}
    return f"{parts.scheme}://{parts.netloc}{parts.path}", query, fragment
