"""A passkey on the hosted pages, in a real browser: Debian's Chromium driven by Playwright, with
Chromium's own virtual WebAuthn authenticator (the DevTools protocol's WebAuthn domain) standing in
for the user's device. The passkey is made by the browser's `navigator.credentials.create()` with
the options StartWebAuthnRegistration gives and registered with CompleteWebAuthnRegistration; then
the user signs in on `/login` with **Sign in with a passkey**, and the app gets its code.

The screenshots of the sign-in page with its passwordless choices and of the passkey page go to
the test's temporary directory; with COGNITOADMIN_UPDATE_SCREENSHOTS=1 also to
`docs/screenshots/` (the README shows them)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests

from pools.models import AppClient, PoolUser, UserPool, WebAuthnCredential
from pools.services.pools import user_pool_set_mfa_config
from tests.builders import make_user
from tests.pools.hosted_fixtures import OIDC_SCOPES, plain_http, web_app
from tests.pools.oauth_fixtures import PASSWORD, url
from tests.pools.test_aws_user_auth import passwordless_pool
from tests.pools.test_hosted_browser import CHROMIUM, _code_query, _save, loopback

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.usefixtures("plain_http"),
]

__all__ = ["loopback", "plain_http", "url"]

if not CHROMIUM.exists() and os.environ.get("CI") != "true":
    pytest.skip(
        "Debian's Chromium is not installed (apt-get install chromium); CI installs it",
        allow_module_level=True,
    )
sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright

# What a browser app does with StartWebAuthnRegistration's options: WebAuthn's JSON in, the new
# credential's JSON out.
CREATE = """async (options) => {
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options);
  const credential = await navigator.credentials.create({ publicKey });
  return credential.toJSON();
}"""


@pytest.fixture
def pool(url: str) -> UserPool:
    pool = passwordless_pool(["PASSWORD", "WEB_AUTHN", "EMAIL_OTP"])
    # The live server is http://localhost:<port>: passkeys of the relying party "localhost".
    return user_pool_set_mfa_config(
        pool=pool, settings={"WebAuthnConfiguration": {"RelyingPartyId": "localhost"}}
    )


@pytest.fixture
def app(pool: UserPool, loopback: tuple[str, list[str]]) -> AppClient:
    base, _ = loopback
    return web_app(
        pool,
        CallbackURLs=[f"{base}/callback"],
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=OIDC_SCOPES,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
    )


@pytest.fixture
def alice(pool: UserPool) -> PoolUser:
    return make_user(pool=pool, username="alice", password=PASSWORD)


def _access_token(idp_public: Any, app: AppClient) -> str:
    result = idp_public.initiate_auth(
        ClientId=app.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )
    token: str = result["AuthenticationResult"]["AccessToken"]
    return token


def test_a_browser_registers_a_passkey_and_signs_in_with_it(  # noqa: PLR0917 - fixtures
    url: str,
    app: AppClient,
    alice: PoolUser,
    idp_public: Any,
    loopback: tuple[str, list[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base, seen = loopback
    callback = f"{base}/callback"
    verifier, query = _code_query(app, callback, scope="openid", state="passkey-state")
    access_token = _access_token(idp_public, app)
    options = idp_public.start_web_authn_registration(AccessToken=access_token)[
        "CredentialCreationOptions"
    ]
    # Playwright's sync API runs an event loop in this thread; the ORM is not used meanwhile.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        context = chromium.new_context()
        page = context.new_page()
        devtools = context.new_cdp_session(page)
        devtools.send("WebAuthn.enable")
        devtools.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        page.goto(f"{url}/oauth2/authorize?{query}")
        assert urlsplit(page.url).path == "/login"
        credential = page.evaluate(CREATE, options)
        idp_public.complete_web_authn_registration(AccessToken=access_token, Credential=credential)
        stored = WebAuthnCredential.objects.get(user=alice)
        assert stored.relying_party_id == "localhost"

        page.get_by_label("Username").fill("alice")
        _save(page, "hosted-login-passwordless.png", tmp_path)
        page.get_by_role("button", name="Sign in with a passkey").click()
        page.wait_for_selector("#passkey-button")
        _save(page, "hosted-passkey.png", tmp_path)
        page.get_by_role("button", name="Use my passkey").click()
        page.wait_for_url(f"{callback}?*")
        chromium.close()

    values = {name: v[0] for name, v in parse_qs(urlsplit(seen[-1]).query).items()}
    assert values["state"] == "passkey-state"
    token = requests.post(
        f"{url}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": app.client_id,
            "code": values["code"],
            "redirect_uri": callback,
            "code_verifier": verifier,
        },
        timeout=10,
    ).json()
    claims = jwt.decode(token["id_token"], options={"verify_signature": False})
    assert claims["cognito:username"] == "alice"
    assert claims["amr"] == ["hwk"]
    stored.refresh_from_db()
    assert stored.last_used_at is not None
    assert json.loads(json.dumps(credential))["type"] == "public-key"
