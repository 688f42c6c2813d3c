"""A pool's domains serve its hosted pages and OAuth 2.0 endpoints: the prefix domain under the
path or the host `COGNITOADMIN_DOMAIN_URL` names, a custom domain by its host name. Through a
domain only that pool exists; the discovery document lists the domain's endpoints."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from pytest_django import Settings

from pools.errors import InvalidParameterException
from pools.models import AppClient, PoolUser, UserPool
from pools.services.domains import domain_create, domain_delete, domain_form_parse
from tests.builders import make_user, make_user_pool
from tests.cognitoadmin.test_fuzz_aws import snapshot
from tests.pools.hosted_fixtures import (
    CALLBACK,
    SIGNED_OUT,
    Browser,
    form_action,
    form_fields,
    plain_http,
    redirected_to,
    web,
    web_app,
)
from tests.pools.oauth_fixtures import PASSWORD, alice, live_pool, url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("plain_http")]

__all__ = ["alice", "live_pool", "plain_http", "url", "web"]

CERTIFICATE = "arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-0000-0000-000000000000"


@pytest.fixture
def path_domains(url: str, settings: Settings) -> str:
    """Prefix domains under the live server's `/domain/<prefix>`."""
    settings.COGNITOADMIN_DOMAIN_URL = f"{url}/domain/{{domain}}"
    return f"{url}/domain"


@pytest.fixture
def shop(live_pool: UserPool, path_domains: str) -> str:
    domain_create(pool=live_pool, domain="shop")
    return f"{path_domains}/shop"


@pytest.fixture
def other_web() -> AppClient:
    """An app client of another pool, with the same callback."""
    return web_app(make_user_pool(name="other"), AllowedOAuthScopes=["openid", "email"])


def discovery_of(pool: UserPool, url: str) -> dict[str, Any]:
    response = requests.get(f"{url}/{pool.pool_id}/.well-known/openid-configuration", timeout=10)
    document: dict[str, Any] = response.json()
    return document


def authorize_query(client: AppClient) -> str:
    return (
        f"response_type=code&client_id={client.client_id}&redirect_uri={CALLBACK}"
        "&scope=openid+email&state=s1"
    )


# --- the path form ---------------------------------------------------------------------------


def test_discovery_lists_the_prefix_domain_and_authlib_completes_the_flow_there(
    live_pool: UserPool, web: AppClient, alice: PoolUser, shop: str, url: str
) -> None:
    discovery = discovery_of(live_pool, url)
    assert discovery["authorization_endpoint"] == f"{shop}/oauth2/authorize"
    assert discovery["token_endpoint"] == f"{shop}/oauth2/token"
    assert discovery["userinfo_endpoint"] == f"{shop}/oauth2/userInfo"
    assert discovery["revocation_endpoint"] == f"{shop}/oauth2/revoke"
    assert discovery["end_session_endpoint"] == f"{shop}/logout"
    assert discovery["issuer"] == f"{url}/{live_pool.pool_id}"

    rp = OAuth2Session(
        web.client_id,
        None,
        scope="openid email",
        redirect_uri=CALLBACK,
        token_endpoint_auth_method="none",
        code_challenge_method="S256",
    )
    verifier = secrets.token_urlsafe(48)
    authorize_url, state = rp.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier
    )
    browser = Browser(url)
    page = browser.open(authorize_url)
    assert page.status_code == 200
    assert page.url.startswith(f"{shop}/login?")
    assert form_action(page.text).startswith("/domain/shop/login?")
    assert 'href="/domain/shop/forgotPassword?' in page.text
    callback = browser.submit(page, username="alice", password=PASSWORD)
    target, query, _ = redirected_to(callback)
    assert (target, query["state"]) == (CALLBACK, state)

    token = rp.fetch_token(
        discovery["token_endpoint"],
        authorization_response=callback.headers["Location"],
        code_verifier=verifier,
    )
    info = requests.get(
        discovery["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    )
    assert info.json()["username"] == "alice"

    # Within the session, the domain's authorize redirects with a code at once; /logout's re-login
    # form goes back to the domain's /login.
    assert redirected_to(browser.get(authorize_url))[0] == CALLBACK
    logout = browser.get(
        f"{shop}/logout?client_id={web.client_id}&redirect_uri={CALLBACK}&response_type=code"
    )
    assert logout.headers["Location"].startswith("/domain/shop/login?")


def test_every_endpoint_the_domain_discovery_lists_is_served(
    live_pool: UserPool, shop: str, url: str
) -> None:
    discovery = discovery_of(live_pool, url)
    names = [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "revocation_endpoint",
        "end_session_endpoint",
    ]
    for name in names:
        assert discovery[name].startswith(f"{shop}/")
        response = requests.get(discovery[name], allow_redirects=False, timeout=10)
        assert response.status_code != 404 and response.status_code < 500, name


@pytest.mark.usefixtures("live_pool", "alice")
def test_another_pools_client_and_tokens_do_not_exist_on_the_domain(
    web: AppClient, other_web: AppClient, shop: str, url: str
) -> None:
    other_user = make_user(pool=other_web.pool, username="alice", password=PASSWORD)
    browser = Browser(url)
    # Its own pool's pages at the root sign the other pool's user in.
    callback = browser.sign_in(f"/oauth2/authorize?{authorize_query(other_web)}")
    code = redirected_to(callback)[1]["code"]
    before = snapshot()

    page = browser.get(f"{shop}/oauth2/authorize?{authorize_query(other_web)}")
    assert page.status_code == 400
    assert f"App client {other_web.client_id} does not exist." in page.text
    assert browser.get(f"{shop}/login?{authorize_query(other_web)}").status_code == 400
    exchanged = requests.post(
        f"{shop}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "client_id": other_web.client_id,
        },
        timeout=10,
    )
    assert (exchanged.status_code, exchanged.json()["error"]) == (401, "invalid_client")
    logout = browser.get(f"{shop}/logout?client_id={other_web.client_id}&logout_uri={SIGNED_OUT}")
    assert logout.status_code == 400
    assert snapshot() == before

    # The code was left unused: at the root, with its own pool, it still works.
    tokens = requests.post(
        f"{url}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "client_id": other_web.client_id,
        },
        timeout=10,
    ).json()
    info = requests.get(
        f"{shop}/oauth2/userInfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    )
    assert info.status_code == 401
    assert 'error="invalid_token"' in info.headers["WWW-Authenticate"]
    revoked = requests.post(
        f"{shop}/oauth2/revoke",
        data={"token": tokens["refresh_token"], "client_id": other_web.client_id},
        timeout=10,
    )
    assert revoked.status_code == 401
    at_root = requests.get(
        f"{url}/oauth2/userInfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    )
    assert at_root.json()["sub"] == str(other_user.sub)


def test_a_domain_serves_nothing_but_the_hosted_pages(
    live_pool: UserPool, shop: str, url: str
) -> None:
    for path in ("/", "/admin/", "/api/v1/", "/identitypools"):
        assert requests.get(f"{shop}{path}", timeout=10).status_code == 404, path
    aws = requests.post(
        f"{shop}/",
        data="{}",
        headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.ListUserPools",
            "Content-Type": "application/x-amz-json-1.1",
        },
        timeout=10,
    )
    assert aws.status_code == 404


def test_an_unknown_or_deleted_prefix_is_not_found(
    live_pool: UserPool, web: AppClient, shop: str, path_domains: str
) -> None:
    assert requests.get(f"{path_domains}/nope/login", timeout=10).status_code == 404
    assert requests.get(f"{path_domains}/Shop/login", timeout=10).status_code == 404
    assert requests.get(f"{path_domains}/-x/login", timeout=10).status_code == 404
    authorize = f"{shop}/oauth2/authorize?{authorize_query(web)}"
    ok = requests.get(authorize, allow_redirects=False, timeout=10)
    assert ok.status_code == 302
    domain_delete(pool=live_pool, domain="shop")
    gone = requests.get(authorize, allow_redirects=False, timeout=10)
    assert gone.status_code == 404


def test_without_a_domain_the_pages_stay_at_the_root(
    live_pool: UserPool, web: AppClient, alice: PoolUser, path_domains: str, url: str
) -> None:
    discovery = discovery_of(live_pool, url)
    assert discovery["authorization_endpoint"] == f"{url}/oauth2/authorize"
    page = Browser(url).open(f"/oauth2/authorize?{authorize_query(web)}")
    assert form_action(page.text).startswith("/login?")


# --- the host form and custom domains (the test client names the host) ----------------------


def sign_in_at(client: Client, host: str, app: AppClient) -> Any:
    authorize = client.get(f"/oauth2/authorize?{authorize_query(app)}", HTTP_HOST=host)
    assert authorize["Location"].startswith("/login?")
    page = client.get(authorize["Location"], HTTP_HOST=host)
    assert page.status_code == 200, page.content
    text = page.content.decode()
    return client.post(
        form_action(text),
        {**form_fields(text), "username": "alice", "password": PASSWORD},
        HTTP_HOST=host,
    )


def test_the_host_form_serves_each_prefix_under_its_own_host(
    live_pool: UserPool, web: AppClient, other_web: AppClient, alice: PoolUser, settings: Settings
) -> None:
    settings.COGNITOADMIN_DOMAIN_URL = "https://{domain}.auth.example.test"
    domain_create(pool=live_pool, domain="shop")
    host = "shop.auth.example.test"
    client = Client()

    answer = sign_in_at(client, host, web)
    assert answer.status_code == 302
    assert answer["Location"].startswith(f"{CALLBACK}?code=")
    discovery = client.get(f"/{live_pool.pool_id}/.well-known/openid-configuration").json()
    assert discovery["token_endpoint"] == "https://shop.auth.example.test/oauth2/token"

    before = snapshot()
    refused = client.get(f"/oauth2/authorize?{authorize_query(other_web)}", HTTP_HOST=host)
    assert refused.status_code == 400
    unknown = client.get(
        f"/oauth2/authorize?{authorize_query(web)}", HTTP_HOST="no.auth.example.test"
    )
    assert unknown.status_code == 404
    assert client.get("/admin/", HTTP_HOST=host).status_code == 404
    assert snapshot() == before


def test_a_custom_domain_serves_its_pool_by_host_name(
    live_pool: UserPool, web: AppClient, other_web: AppClient, alice: PoolUser, url: str
) -> None:
    domain_create(pool=live_pool, domain="shop", custom_domain_config=None)
    domain_create(
        pool=live_pool,
        domain="login.example.test",
        custom_domain_config={"CertificateArn": CERTIFICATE},
    )
    client = Client()
    answer = sign_in_at(client, "login.example.test", web)
    assert answer["Location"].startswith(f"{CALLBACK}?code=")
    # The custom domain is listed before the prefix domain.
    discovery = discovery_of(live_pool, url)
    port = url.rsplit(":", 1)[1]
    assert discovery["authorization_endpoint"] == (
        f"http://login.example.test:{port}/oauth2/authorize"
    )

    before = snapshot()
    refused = client.get(
        f"/oauth2/authorize?{authorize_query(other_web)}", HTTP_HOST="login.example.test"
    )
    assert refused.status_code == 400
    # A host that is no domain is the server's root, where every pool's clients are.
    at_root = client.get(
        f"/oauth2/authorize?{authorize_query(other_web)}", HTTP_HOST="elsewhere.example.test"
    )
    assert at_root.status_code == 302
    assert snapshot() == before


# --- the setting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "host_suffix", "path_prefix"),
    [
        ("https://{domain}.auth.example.com", ".auth.example.com", ""),
        ("http://{domain}.auth.localhost:8000/", ".auth.localhost", ""),
        ("http://127.0.0.1:8000/domain/{domain}", "", "/domain/"),
        ("https://example.com/auth/pools/{domain}", "", "/auth/pools/"),
    ],
)
def test_the_domain_url_takes_the_host_or_the_path_form(
    template: str, host_suffix: str, path_prefix: str
) -> None:
    form = domain_form_parse(template)
    assert (form.host_suffix, form.path_prefix) == (host_suffix, path_prefix)
    assert "{domain}" not in form.url("shop")


@pytest.mark.parametrize(
    "template",
    [
        "https://auth.example.com",
        "https://{domain}.{domain}.example.com",
        "https://auth.{domain}.example.com",
        "https://{domain}.auth.example.com/x",
        "http://127.0.0.1:8000/{domain}/x",
        "ftp://{domain}.example.com",
        "/domain/{domain}",
        "https://example.com/{domain}?x=1",
        "https://example.com/{domain}",
    ],
)
def test_a_bad_domain_url_fails_the_system_check(template: str, settings: Settings) -> None:
    settings.COGNITOADMIN_DOMAIN_URL = template
    with pytest.raises(SystemCheckError, match="COGNITOADMIN_DOMAIN_URL"):
        call_command("check")


def test_a_custom_domain_never_serves_another_pools_prefix_under_its_path(
    live_pool: UserPool, web: AppClient, other_web: AppClient, settings: Settings
) -> None:
    """On pool A's custom domain, `/domain/<B's prefix>/...` is nothing, never B's pages; on
    any other host of the server it is B's."""
    settings.COGNITOADMIN_DOMAIN_URL = "http://testserver/domain/{domain}"
    domain_create(
        pool=live_pool,
        domain="login.example.test",
        custom_domain_config={"CertificateArn": CERTIFICATE},
    )
    domain_create(pool=other_web.pool, domain="evil")
    client = Client()
    before = snapshot()
    on_custom = client.get(
        f"/domain/evil/oauth2/authorize?{authorize_query(other_web)}",
        HTTP_HOST="login.example.test",
    )
    assert on_custom.status_code == 404
    for host in ("testserver", "localhost", "elsewhere.example.test"):
        at_home = client.get(
            f"/domain/evil/oauth2/authorize?{authorize_query(other_web)}", HTTP_HOST=host
        )
        assert at_home["Location"].startswith("/domain/evil/login?"), host
    assert snapshot() == before
    # B's discovery document and keys are not on A's domain either (A's are: serving a pool's
    # keys the first time makes them, so no snapshot after this).
    for document in ("openid-configuration", "jwks.json"):
        path = f"/{other_web.pool.pool_id}/.well-known/{document}"
        assert client.get(path, HTTP_HOST="login.example.test").status_code == 404
        assert (
            client.get(
                f"/{live_pool.pool_id}/.well-known/{document}", HTTP_HOST="login.example.test"
            ).status_code
            == 200
        )


@pytest.mark.parametrize(
    "name",
    [
        "cognito.example.test",
        "auth.example.test",
        "shop.auth.example.test",
        "a.b.auth.example.test",
    ],
)
def test_a_custom_domain_may_not_take_a_name_the_server_serves_itself(
    live_pool: UserPool, settings: Settings, name: str
) -> None:
    settings.COGNITOADMIN_PUBLIC_URL = "https://cognito.example.test"
    settings.COGNITOADMIN_DOMAIN_URL = "https://{domain}.auth.example.test"
    before = snapshot()
    with pytest.raises(InvalidParameterException, match="serves itself"):
        domain_create(
            pool=live_pool, domain=name, custom_domain_config={"CertificateArn": CERTIFICATE}
        )
    assert snapshot() == before


def test_the_path_forms_host_may_not_be_a_custom_domain(
    live_pool: UserPool, settings: Settings
) -> None:
    settings.COGNITOADMIN_DOMAIN_URL = "https://pages.example.test/domain/{domain}"
    with pytest.raises(InvalidParameterException, match="serves itself"):
        domain_create(
            pool=live_pool,
            domain="pages.example.test",
            custom_domain_config={"CertificateArn": CERTIFICATE},
        )


def test_a_public_host_under_the_host_forms_suffix_fails_the_system_check(
    settings: Settings,
) -> None:
    settings.COGNITOADMIN_PUBLIC_URL = "https://api.auth.example.test"
    settings.COGNITOADMIN_DOMAIN_URL = "https://{domain}.auth.example.test"
    with pytest.raises(SystemCheckError, match="is under its hosts"):
        call_command("check")
