"""The hosted sign-in in a real browser: Debian's Chromium (`/usr/bin/chromium`, never a browser
downloaded by `playwright install`) driven by Playwright. Authorize, the sign-in page, the TOTP
page, the redirect to a loopback callback with the code, the exchange with PKCE, userInfo, and
logout.

The pages' screenshots go to the test's temporary directory; with
COGNITOADMIN_UPDATE_SCREENSHOTS=1 also to `docs/screenshots/` (the README shows them)."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import secrets
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pyotp
import pytest
import requests
from PIL import Image

from pools.models import AppClient, PoolUser, UserPool
from pools.services.branding import ui_customization_set
from pools.services.domains import domain_create
from tests.builders import sent_code
from tests.pools.hosted_fixtures import authenticator_for, next_code, plain_http, web_app
from tests.pools.oauth_fixtures import PASSWORD, alice, discovery, live_pool, url
from tests.pools.test_mfa import mfa_pool

NEW_PASSWORD = "N3w-Passw0rd!"

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.usefixtures("plain_http"),
]

__all__ = ["alice", "discovery", "live_pool", "plain_http", "url"]

if not CHROMIUM.exists() and os.environ.get("CI") != "true":
    pytest.skip(
        "Debian's Chromium is not installed (apt-get install chromium); CI installs it",
        allow_module_level=True,
    )
sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright


class _Callback(BaseHTTPRequestHandler):
    """The app's redirect URI on the loopback interface: records what it was called with."""

    seen: list[str]

    def do_GET(self) -> None:
        self.seen.append(self.path)
        body = (
            b'<!doctype html><link rel="icon" href="data:,"><title>App</title><p>Back in the app.'
        )

        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def loopback() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Callback", (_Callback,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_port}", seen
    server.shutdown()
    server.server_close()


@pytest.fixture
def browser_app(live_pool: UserPool, loopback: tuple[str, list[str]]) -> AppClient:
    base, _ = loopback
    return web_app(
        live_pool,
        CallbackURLs=[f"{base}/callback"],
        LogoutURLs=[f"{base}/signed-out"],
        AllowedOAuthFlows=["code"],
    )


def _save(page: Any, name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000
    if os.environ.get("COGNITOADMIN_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SCREENSHOTS / name)


def _code_query(client: AppClient, callback: str, *, scope: str, state: str) -> tuple[str, str]:
    """A PKCE verifier, and the authorize query of the code flow with its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": callback,
            "scope": scope,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    return verifier, query


def test_a_browser_signs_in_with_password_and_totp_and_the_app_gets_its_tokens(  # noqa: PLR0917
    browser_app: AppClient,
    alice: PoolUser,
    discovery: dict[str, Any],
    loopback: tuple[str, list[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = authenticator_for(alice)
    base, seen = loopback
    callback = f"{base}/callback"
    verifier, query = _code_query(
        browser_app, callback, scope="openid email profile", state="browser-state"
    )
    # Playwright's sync API runs an event loop in this thread; the ORM is not used meanwhile.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = chromium.new_page()
        page.goto(f"{discovery['authorization_endpoint']}?{query}")
        assert urlsplit(page.url).path == "/login"
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill(PASSWORD)
        _save(page, "hosted-login.png", tmp_path)
        page.get_by_role("button", name="Sign in").click()

        page.wait_for_selector("#code")
        assert "Multi-factor authentication" in page.content()
        page.get_by_label("Code").fill(next_code(app))
        _save(page, "hosted-totp.png", tmp_path)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{callback}?*")

        landed = urlsplit(page.url)
        values = {name: v[0] for name, v in parse_qs(landed.query).items()}
        assert values["state"] == "browser-state"
        assert seen and seen[-1].startswith("/callback?code=")

        token = requests.post(
            discovery["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "client_id": browser_app.client_id,
                "code": values["code"],
                "redirect_uri": callback,
                "code_verifier": verifier,
            },
            timeout=10,
        ).json()
        info = requests.get(
            discovery["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {token['access_token']}"},
            timeout=10,
        ).json()
        assert info["username"] == "alice"

        page.goto(
            f"{urlsplit(discovery['end_session_endpoint'])._replace(query='').geturl()}?"
            + urlencode({"client_id": browser_app.client_id, "logout_uri": f"{base}/signed-out"})
        )
        page.wait_for_url(f"{base}/signed-out")
        assert seen[-1] == "/signed-out"

        # Signed out: authorize shows the sign-in page again.
        page.goto(f"{discovery['authorization_endpoint']}?{query}")
        assert urlsplit(page.url).path == "/login"
        chromium.close()


BRANDED_CSS = """
.banner-customizable { background-color: #0a3069; }
.submitButton-customizable { background-color: #0a3069; }
.submitButton-customizable:hover { background-color: #218bff; }
.label-customizable { color: #0a3069; }
"""


def _logo() -> bytes:
    """A 120 by 40 PNG: a white square on the banner's blue."""
    buffer = io.BytesIO()
    image = Image.new("RGB", (120, 40), "#0a3069")
    image.paste("#ffffff", (44, 4, 76, 36))
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_a_browser_signs_in_on_a_prefix_domain_of_its_own_host(  # noqa: PLR0917 - fixtures
    browser_app: AppClient,
    alice: PoolUser,
    live_pool: UserPool,
    url: str,
    loopback: tuple[str, list[str]],
    settings: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`COGNITOADMIN_DOMAIN_URL=http://{domain}.auth.localhost:<port>`: Chromium reaches
    `shop.auth.localhost` on the loopback interface, as Cognito's `<prefix>.auth.<region>...`,
    and shows the pool's branding there."""
    port = urlsplit(url).port
    settings.COGNITOADMIN_DOMAIN_URL = f"http://{{domain}}.auth.localhost:{port}"
    domain_create(pool=live_pool, domain="shop")
    ui_customization_set(pool=live_pool, client=None, css=BRANDED_CSS, image=_logo())
    domain = f"http://shop.auth.localhost:{port}"
    discovery = requests.get(
        f"{url}/{live_pool.pool_id}/.well-known/openid-configuration", timeout=10
    ).json()
    assert discovery["authorization_endpoint"] == f"{domain}/oauth2/authorize"
    base, seen = loopback
    callback = f"{base}/callback"
    verifier, query = _code_query(browser_app, callback, scope="openid email", state="domain-state")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = chromium.new_page()
        page.goto(f"{discovery['authorization_endpoint']}?{query}")
        assert page.url.startswith(f"{domain}/login?")
        # The pool's branding: the logo (served from the public URL, another origin) is shown.
        logo = page.locator("img.logo-customizable")
        assert logo.evaluate("image => image.naturalWidth") == 120
        assert (
            page.locator(".banner-customizable").evaluate(
                "banner => getComputedStyle(banner).backgroundColor"
            )
            == "rgb(10, 48, 105)"
        )
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill(PASSWORD)
        _save(page, "hosted-branded.png", tmp_path)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{callback}?*")
        values = {name: v[0] for name, v in parse_qs(urlsplit(page.url).query).items()}
        assert values["state"] == "domain-state"
        chromium.close()
    assert seen[-1].startswith("/callback?code=")
    # Python's resolver does not know *.localhost: the token request names the host itself.
    token_url = urlsplit(discovery["token_endpoint"])
    token = requests.post(
        f"{url}{token_url.path}",
        data={
            "grant_type": "authorization_code",
            "client_id": browser_app.client_id,
            "code": values["code"],
            "redirect_uri": callback,
            "code_verifier": verifier,
        },
        headers={"Host": token_url.netloc},
        timeout=10,
    ).json()
    assert set(token) >= {"id_token", "access_token", "refresh_token"}


def test_a_browser_tours_the_self_service_pages_and_sets_up_an_authenticator(
    url: str,
    loopback: tuple[str, list[str]],
    mailoutbox: list[Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Sign-up, its code, the first sign-in where the pool requires MFA (an authenticator set up
    from the QR code), then a forgotten password and its reset: each page's screenshot."""
    pool = mfa_pool("ON", sms=False, email=False, AutoVerifiedAttributes=["email"])
    base, seen = loopback
    callback = f"{base}/callback"
    app = web_app(
        pool,
        CallbackURLs=[callback],
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email"],
    )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": callback,
            "scope": "openid email",
            "state": "tour",
        }
    )
    authorize = f"{url}/oauth2/authorize?{query}"
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = chromium.new_page()
        page.goto(authorize)
        page.get_by_role("link", name="Sign up").click()
        page.get_by_role("heading", name="Sign up with a new account").wait_for()
        page.get_by_label("Username").fill("dana")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Email").fill("dana@example.com")
        _save(page, "hosted-signup.png", tmp_path)
        page.get_by_role("button", name="Sign up").click()

        page.get_by_role("heading", name="Confirm your account").wait_for()
        page.get_by_label("Code").fill(sent_code(str(mailoutbox[-1].body)))
        _save(page, "hosted-confirm.png", tmp_path)
        page.get_by_role("button", name="Confirm account").click()

        page.wait_for_url(f"{url}/login?*")
        assert "confirmed" in page.content()
        page.get_by_label("Username").fill("dana")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()

        page.wait_for_selector("figure.qr svg")
        authenticator = pyotp.TOTP(page.locator("#secret").inner_text())
        page.get_by_label("Device name (optional)").fill("phone")
        page.get_by_label("Code from the app").fill(authenticator.now())
        _save(page, "hosted-mfa-setup.png", tmp_path)
        page.get_by_role("button", name="Verify and sign in").click()
        page.wait_for_url(f"{callback}?*")
        assert seen[-1].startswith("/callback?code=")

        # A new browser, a forgotten password.
        chromium.close()
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = chromium.new_page()
        page.goto(authorize)
        page.get_by_role("link", name="Forgot your password?").click()
        page.get_by_role("heading", name="Forgot your password?").wait_for()
        page.get_by_label("Username").fill("dana")
        _save(page, "hosted-forgot-password.png", tmp_path)
        page.get_by_role("button", name="Reset my password").click()

        page.get_by_role("heading", name="Reset your password").wait_for()
        page.get_by_label("Code").fill(sent_code(str(mailoutbox[-1].body)))
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("Enter the new password again").fill(NEW_PASSWORD)
        _save(page, "hosted-reset-password.png", tmp_path)
        page.get_by_role("button", name="Change password").click()

        page.wait_for_url(f"{url}/login?*")
        page.get_by_label("Username").fill("dana")
        page.get_by_label("Password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector("#code")
        page.get_by_label("Code").fill(next_code(authenticator))
        _save(page, "hosted-totp-after-reset.png", tmp_path)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{callback}?*")
        chromium.close()
    assert seen[-1].startswith("/callback?code=")
