"""The hosted sign-in in a real browser: Debian's Chromium (`/usr/bin/chromium`, never a browser
downloaded by `playwright install`) driven by Playwright. Authorize, the sign-in page, the TOTP
page, the redirect to a loopback callback with the code, the exchange with PKCE, userInfo, and
logout.

The pages' screenshots go to the test's temporary directory; with
COGNITOADMIN_UPDATE_SCREENSHOTS=1 also to `docs/screenshots/` (the README shows them)."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from pools.models import AppClient, PoolUser, UserPool
from tests.pools.hosted_fixtures import authenticator_for, next_code, plain_http, web_app
from tests.pools.oauth_fixtures import PASSWORD, alice, discovery, live_pool, url

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
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": browser_app.client_id,
            "redirect_uri": callback,
            "scope": "openid email profile",
            "state": "browser-state",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
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
