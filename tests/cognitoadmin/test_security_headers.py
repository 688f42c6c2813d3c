"""Security headers on every HTML page (the landing page, the admin, the hosted pages, the API
docs), HSTS outside DEBUG behind an https public URL, and `check --deploy` clean in production."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from pytest_django import Settings

from cognitoadmin.security import HEADER, csp_header

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    "/",
    "/admin/login/",
    "/admin/",
    "/admin/pools/userpool/",
    "/confirmUser",
    "/confirmUser?client_id=x&user_name=alice&confirmation_code=123456",
    "/api/v1/docs/",
    "/api/v1/redoc/",
]
DOCS = ["/api/v1/docs/", "/api/v1/redoc/"]


def _directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_the_security_headers(path: str) -> None:
    response = Client().get(path)
    assert response.status_code < 500
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] in {"same-origin", "no-referrer"}
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = _directives(response[HEADER])
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert "'unsafe-eval'" not in response[HEADER]


@pytest.mark.parametrize("path", ["/", "/admin/login/", "/confirmUser"])
def test_pages_have_the_sites_policy_exactly(settings: Settings, path: str) -> None:
    assert Client().get(path)[HEADER] == csp_header(settings.COGNITOADMIN_CSP)


def test_the_policy_reads_as_a_header() -> None:
    assert csp_header({"default-src": ["'self'"], "img-src": ["'self'", "data:"]}) == (
        "default-src 'self'; img-src 'self' data:"
    )


def test_other_responses_get_the_policy_too() -> None:
    """JSON answers (the AWS endpoint, the API) carry it as well: nothing is framed or run."""
    aws = Client().post("/", data="{}", content_type="application/x-amz-json-1.1")
    api = Client().get("/api/v1/pools/")
    for response in (aws, api):
        assert _directives(response[HEADER])["frame-ancestors"] == ["'none'"]
        assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", [*PAGES, "/api/v1/docs/?script="])
def test_no_page_runs_an_inline_script_or_loads_from_elsewhere(path: str) -> None:
    """What the policy forbids is not on the pages: no inline script or handler, and every
    script, style sheet and image from this server."""
    response = Client().get(path)
    if "html" not in response["Content-Type"]:
        return
    html = response.content.decode()
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    # Data for scripts (json_script) is not run, and so allowed.
    inline = [
        attrs
        for attrs, body in scripts
        if "src=" not in attrs and body.strip() and "application/json" not in attrs
    ]
    assert inline == []
    assert re.findall(r"\son[a-z]+\s*=", html) == []
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert [url for url in urls if re.match(r"(https?:)?//", url)] == []


def test_the_api_docs_load_swagger_ui_and_redoc_from_this_server() -> None:
    swagger = Client().get("/api/v1/docs/").content.decode()
    redoc = Client().get("/api/v1/redoc/").content.decode()
    assets = re.findall(r"""(?:src|href)=["']/static/([^"'?]+)""", swagger + redoc)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert any(a.endswith("redoc.standalone.js") for a in assets)
    assert [a for a in assets if finders.find(a) is None] == []
    # Swagger UI's start-up script comes from its view, same origin, and is JavaScript.
    assert '<script src="/api/v1/docs/?script="></script>' in swagger
    script = Client().get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert "javascript" in script["Content-Type"]
    assert "SwaggerUIBundle" in script.content.decode()
    assert '<redoc spec-url="/api/v1/schema/"' in redoc


@pytest.mark.parametrize("path", DOCS)
def test_the_api_docs_may_start_a_blob_worker_and_nothing_more(
    settings: Settings, path: str
) -> None:
    """Redoc's search runs in a worker made from a blob: URL; the rest is the site's policy."""
    policy = _directives(Client().get(path)[HEADER])
    assert policy.pop("worker-src") == ["'self'", "blob:"]
    assert policy == settings.COGNITOADMIN_CSP


def test_hsts_is_sent_on_https_requests_when_configured(settings: Settings) -> None:
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = Client().get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in Client().get("/")


# --- production settings -----------------------------------------------------------------------


def _environment(tmp_path: Path, **env: str) -> dict[str, str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("COGNITOADMIN_") and k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}
    }
    environ.update(
        {
            "COGNITOADMIN_LOCAL_DIR": str(tmp_path / "local"),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "COGNITOADMIN_MASTER_KEY": secrets.token_urlsafe(32),
            "DJANGO_SETTINGS_MODULE": "cognitoadmin.settings",
            **env,
        }
    )
    return environ


_NAMES = (
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE",
)


def _settings(tmp_path: Path, **env: str) -> dict[str, object]:
    code = (
        "import json\nfrom cognitoadmin import settings as s\n"
        f"print(json.dumps({{n: getattr(s, n, None) for n in {_NAMES!r}}}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_environment(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    shown: dict[str, object] = json.loads(result.stdout)
    return shown


def test_production_behind_an_https_url_sends_hsts(tmp_path: Path) -> None:
    shown = _settings(tmp_path, COGNITOADMIN_PUBLIC_URL="https://auth.example.com")
    assert shown == {
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
        # No proxy declared: TLS ends in the server, and there is no plain HTTP to redirect.
        "SECURE_SSL_REDIRECT": False,
        "SECURE_PROXY_SSL_HEADER": None,
        "SESSION_COOKIE_SECURE": True,
    }


def test_behind_trusted_proxies_their_x_forwarded_proto_says_https_and_http_is_redirected(
    tmp_path: Path,
) -> None:
    shown = _settings(
        tmp_path,
        COGNITOADMIN_PUBLIC_URL="https://auth.example.com",
        COGNITOADMIN_TRUSTED_PROXY_COUNT="1",
        COGNITOADMIN_HSTS_SECONDS="600",
    )
    assert shown["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert shown["SECURE_HSTS_SECONDS"] == 600
    assert shown["SECURE_SSL_REDIRECT"] is True


@pytest.mark.parametrize(
    "env",
    [
        {"COGNITOADMIN_PUBLIC_URL": "http://auth.internal"},
        {"COGNITOADMIN_PUBLIC_URL": "https://auth.example.com", "DEBUG": "1"},
        {"COGNITOADMIN_DEV": "1"},
    ],
    ids=["http public url", "debug", "development mode"],
)
def test_no_hsts_or_https_redirect_without_https_or_in_development(
    tmp_path: Path, env: dict[str, str]
) -> None:
    shown = _settings(tmp_path, **env)
    assert (shown["SECURE_HSTS_SECONDS"], shown["SECURE_SSL_REDIRECT"]) == (0, False)


@pytest.mark.parametrize("proxies", ["0", "1"])
def test_check_deploy_is_clean_with_production_settings(tmp_path: Path, proxies: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_environment(
            tmp_path,
            COGNITOADMIN_PUBLIC_URL="https://auth.example.com",
            COGNITOADMIN_TRUSTED_PROXY_COUNT=proxies,
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
