"""The authorization-code flow end to end against a live server, as a relying party (Authlib's
OAuth2Session with PKCE) and a user's browser (requests, reading the pages' forms) drive it:
authorize, the sign-in page, the TOTP and new-password pages, the code's exchange, refresh,
userInfo, revocation, logout, and the session that lets a second app skip the password."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import secrets
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from django.utils import timezone

from identities.models import AccessKey
from pools.models import (
    AppClient,
    HostedSession,
    PoolUser,
    RefreshToken,
    SoftwareToken,
    UserStatus,
)
from pools.services.passwords import password_replace
from pools.services.users import user_disable
from tests.builders import make_user
from tests.pools.hosted_fixtures import (
    CALLBACK,
    OIDC_SCOPES,
    SIGNED_OUT,
    Browser,
    authenticator_for,
    bob,
    next_code,
    plain_http,
    redirected_to,
    web,
    web_app,
    web_secret,
)
from tests.pools.oauth_fixtures import (
    PASSWORD,
    READ,
    alice,
    discovery,
    live_pool,
    secret_of,
    url,
)
from tests.pools.test_mfa import mfa_pool

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("plain_http")]

__all__ = ["alice", "bob", "discovery", "live_pool", "plain_http", "url", "web", "web_secret"]


def verified(token: str, discovery: dict[str, Any], **options: Any) -> dict[str, Any]:
    key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(token)
    claims: dict[str, Any] = jwt.decode(
        token, key.key, algorithms=["RS256"], issuer=discovery["issuer"], **options
    )
    return claims


def at_hash(access_token: str) -> str:
    half = hashlib.sha256(access_token.encode()).digest()[:16]
    return base64.urlsafe_b64encode(half).rstrip(b"=").decode()


def relying_party(client: AppClient, **options: Any) -> OAuth2Session:
    secret = secret_of(client) if client.has_secret else None
    return OAuth2Session(
        client.client_id,
        secret,
        scope="openid email profile",
        redirect_uri=CALLBACK,
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
        **options,
    )


# --- the complete code flow ------------------------------------------------------------------


@pytest.mark.parametrize("client_fixture", ["web", "web_secret"])
def test_authlib_completes_the_code_flow_with_pkce_through_the_login_form(
    request: pytest.FixtureRequest,
    client_fixture: str,
    alice: PoolUser,
    discovery: dict[str, Any],
    url: str,
) -> None:
    client: AppClient = request.getfixturevalue(client_fixture)
    rp = relying_party(client, code_challenge_method="S256")
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    authorize_url, state = rp.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )

    browser = Browser(url)
    page = browser.open(authorize_url)
    assert page.status_code == 200
    assert page.url.startswith(f"{url}/login?")
    callback = browser.sign_in(authorize_url)
    target, query, _ = redirected_to(callback)
    assert target == CALLBACK
    assert query["state"] == state

    token = rp.fetch_token(
        discovery["token_endpoint"],
        authorization_response=callback.headers["Location"],
        code_verifier=verifier,
    )

    assert set(token) >= {"id_token", "access_token", "refresh_token", "expires_in", "token_type"}
    assert token["token_type"] == "Bearer"
    id_claims = verified(token["id_token"], discovery, audience=client.client_id)
    assert id_claims["nonce"] == nonce
    assert id_claims["at_hash"] == at_hash(token["access_token"])
    assert id_claims["cognito:username"] == "alice"
    access = verified(token["access_token"], discovery)
    assert set(access["scope"].split()) == {"openid", "email", "profile"}
    assert access["client_id"] == client.client_id

    info = requests.get(
        discovery["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    )
    assert info.status_code == 200
    assert info.json()["email"] == "alice@example.com"
    assert info.json()["username"] == "alice"

    refreshed = rp.refresh_token(discovery["token_endpoint"], refresh_token=token["refresh_token"])
    assert verified(refreshed["access_token"], discovery)["scope"] == access["scope"]

    revoke = rp.revoke_token(discovery["revocation_endpoint"], token["refresh_token"])
    assert revoke.status_code == 200
    again = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_id": client.client_id,
            **({"client_secret": secret_of(client)} if client.has_secret else {}),
        },
        timeout=10,
    )
    assert again.json()["error"] == "invalid_grant"

    logout = browser.get(f"/logout?client_id={client.client_id}&logout_uri={SIGNED_OUT}")
    assert redirected_to(logout)[0] == SIGNED_OUT
    assert not HostedSession.objects.filter(ended_at__isnull=True).exists()
    assert browser.open(authorize_url).url.startswith(f"{url}/login?")


def test_pkce_plain_works_and_its_verifier_is_the_challenge(
    web: AppClient, alice: PoolUser, discovery: dict[str, Any], url: str
) -> None:
    verifier = secrets.token_urlsafe(48)
    query = (
        f"response_type=code&client_id={web.client_id}&redirect_uri={CALLBACK}&scope=openid"
        f"&code_challenge={verifier}&code_challenge_method=plain"
    )
    code = redirected_to(Browser(url).sign_in(f"/oauth2/authorize?{query}"))[1]["code"]

    exchange = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "client_id": web.client_id,
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
        timeout=10,
    )

    assert exchange.status_code == 200
    assert verified(exchange.json()["access_token"], discovery)["scope"] == "openid"


def test_no_scope_asked_grants_every_scope_of_the_client(
    web: AppClient, alice: PoolUser, discovery: dict[str, Any], url: str
) -> None:
    query = f"response_type=code&client_id={web.client_id}&redirect_uri={CALLBACK}"
    code = redirected_to(Browser(url).sign_in(f"/oauth2/authorize?{query}"))[1]["code"]

    token = exchange(discovery, web, code).json()

    scopes = set(verified(token["access_token"], discovery)["scope"].split())
    assert scopes == set(web.allowed_oauth_scopes)
    assert READ in scopes


def exchange(
    discovery: dict[str, Any], client: AppClient, code: str, **extra: str
) -> requests.Response:
    data = {
        "grant_type": "authorization_code",
        "client_id": client.client_id,
        "code": code,
        "redirect_uri": CALLBACK,
        **extra,
    }
    auth = (client.client_id, secret_of(client)) if client.has_secret else None
    if auth:
        data.pop("client_id")
    return requests.post(discovery["token_endpoint"], data=data, auth=auth, timeout=10)


def test_the_implicit_flow_puts_the_tokens_in_the_fragment_without_a_refresh_token(
    web: AppClient, alice: PoolUser, discovery: dict[str, Any], url: str
) -> None:
    query = (
        f"response_type=token&client_id={web.client_id}&redirect_uri={CALLBACK}"
        "&scope=openid+email&state=xyz&nonce=n-1"
    )
    target, search, fragment = redirected_to(Browser(url).sign_in(f"/oauth2/authorize?{query}"))

    assert target == CALLBACK
    assert search == {}
    assert set(fragment) == {"access_token", "id_token", "token_type", "expires_in", "state"}
    assert fragment["state"] == "xyz"
    claims = verified(fragment["id_token"], discovery, audience=web.client_id)
    assert claims["nonce"] == "n-1"
    assert claims["at_hash"] == at_hash(fragment["access_token"])


def test_implicit_without_openid_returns_no_id_token(
    web: AppClient, alice: PoolUser, url: str
) -> None:
    query = f"response_type=token&client_id={web.client_id}&redirect_uri={CALLBACK}&scope={READ}"

    fragment = redirected_to(Browser(url).sign_in(f"/oauth2/authorize?{query}"))[2]

    assert "id_token" not in fragment
    assert "access_token" in fragment


# --- the sign-in session ---------------------------------------------------------------------


def test_a_second_app_client_of_the_pool_skips_the_password(
    web: AppClient, alice: PoolUser, discovery: dict[str, Any], url: str, live_pool: Any
) -> None:
    other = web_app(live_pool)
    browser = Browser(url)
    browser.sign_in(
        f"/oauth2/authorize?response_type=code&client_id={web.client_id}&redirect_uri={CALLBACK}"
    )
    [cookie] = [c for c in browser.http.cookies if c.name.startswith("cognitoadmin-hosted-")]
    assert cookie.name == f"cognitoadmin-hosted-{live_pool.pool_id}"
    assert cookie.has_nonstandard_attr("HttpOnly")

    skipped = browser.get(
        f"/oauth2/authorize?response_type=code&client_id={other.client_id}"
        f"&redirect_uri={CALLBACK}&state=s2"
    )

    target, query, _ = redirected_to(skipped)
    assert (target, query["state"]) == (CALLBACK, "s2")
    token = exchange(discovery, other, query["code"]).json()
    assert verified(token["id_token"], discovery, audience=other.client_id)["sub"] == str(alice.sub)


def test_the_session_cookie_holds_no_secret_and_a_forged_one_is_ignored(
    web: AppClient, alice: PoolUser, url: str, live_pool: Any
) -> None:
    browser = Browser(url)
    authorize = (
        f"/oauth2/authorize?response_type=code&client_id={web.client_id}&redirect_uri={CALLBACK}"
    )
    browser.sign_in(authorize)
    name = f"cognitoadmin-hosted-{live_pool.pool_id}"
    value = browser.http.cookies.get(name)
    assert value is not None
    assert PASSWORD not in value
    assert HostedSession.objects.get().token_digest not in value

    browser.http.cookies.set(name, value[:-2] + "xx")

    assert browser.get(authorize).headers["Location"].startswith("/login?")


def test_the_session_ends_for_a_disabled_user(web: AppClient, alice: PoolUser, url: str) -> None:
    browser = Browser(url)
    authorize = (
        f"/oauth2/authorize?response_type=code&client_id={web.client_id}&redirect_uri={CALLBACK}"
    )
    browser.sign_in(authorize)
    user_disable(user=alice)

    assert browser.get(authorize).headers["Location"].startswith("/login?")


def test_logout_with_redirect_uri_goes_to_login_with_the_parameters(
    web: AppClient, alice: PoolUser, url: str
) -> None:
    browser = Browser(url)
    browser.sign_in(
        f"/oauth2/authorize?response_type=code&client_id={web.client_id}&redirect_uri={CALLBACK}"
    )

    response = browser.get(
        f"/logout?client_id={web.client_id}&redirect_uri={CALLBACK}&response_type=code&state=a"
    )

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?")
    assert "state=a" in response.headers["Location"]
    assert HostedSession.objects.get().ended_at is not None


# --- the challenge pages ---------------------------------------------------------------------


def test_totp_page_then_the_code_with_a_wrong_code_first(
    web: AppClient, alice: PoolUser, discovery: dict[str, Any], url: str
) -> None:
    app = authenticator_for(alice)
    browser = Browser(url)
    page = browser.sign_in(
        f"/oauth2/authorize?response_type=code&client_id={web.client_id}&redirect_uri={CALLBACK}"
    )
    assert page.status_code == 200
    assert 'name="code"' in page.text
    assert "session" not in page.url.lower()

    wrong = browser.submit(page, code="000000" if app.now() != "000000" else "111111")
    assert wrong.status_code == 400
    assert 'aria-describedby="code-error code-hint"' in wrong.text

    # A second after a wrong code, django-otp's throttle lets the authenticator try again.
    SoftwareToken.objects.update(
        throttling_failure_timestamp=timezone.now() - dt.timedelta(minutes=1)
    )
    done = browser.submit(wrong, code=next_code(app))

    code = redirected_to(done)[1]["code"]
    claims = verified(
        exchange(discovery, web, code).json()["id_token"], discovery, audience=web.client_id
    )
    assert claims["amr"]


def test_a_tampered_challenge_state_goes_back_to_sign_in(
    web: AppClient, alice: PoolUser, url: str
) -> None:
    authenticator_for(alice)
    browser = Browser(url)
    page = browser.sign_in(
        f"/oauth2/authorize?response_type=code&client_id={web.client_id}&redirect_uri={CALLBACK}"
    )

    response = browser.submit(page, state="forged", code="123456")

    assert response.status_code == 400
    assert "sign in again" in response.text.lower()
    assert 'name="password"' in response.text


def test_new_password_required_page_sets_the_password_and_signs_in(
    web: AppClient, discovery: dict[str, Any], url: str, live_pool: Any
) -> None:
    carol = make_user(pool=live_pool, username="carol", email="carol@example.com")
    password_replace(user=carol, password="Temp0rary!", temporary=True)
    browser = Browser(url)
    page = browser.sign_in(
        f"/oauth2/authorize?response_type=code&client_id={web.client_id}&redirect_uri={CALLBACK}",
        username="carol",
        password="Temp0rary!",
    )
    assert 'name="new_password"' in page.text

    mismatch = browser.submit(page, new_password="N3w-Passw0rd!", confirm_password="other")
    assert mismatch.status_code == 400
    assert 'aria-describedby="confirm_password-error"' in mismatch.text
    weak = browser.submit(page, new_password="short", confirm_password="short")
    assert weak.status_code == 400
    assert 'id="new_password-error"' in weak.text

    done = browser.submit(page, new_password="N3w-Passw0rd!", confirm_password="N3w-Passw0rd!")

    assert redirected_to(done)[0] == CALLBACK
    carol.refresh_from_db()
    assert carol.status == UserStatus.CONFIRMED


def test_a_step_the_pages_cannot_take_gets_a_clear_page(url: str) -> None:
    # SMS MFA required of a user without a phone number: MFA_SETUP with SMS_MFA alone, which
    # needs an administrator to add the number (as in Cognito).
    pool = mfa_pool("ON", totp=False, email=False)
    make_user(pool=pool, username="erin", password=PASSWORD)
    web = web_app(pool, AllowedOAuthScopes=OIDC_SCOPES)
    page = Browser(url).sign_in(
        f"/oauth2/authorize?response_type=code&client_id={web.client_id}&redirect_uri={CALLBACK}",
        username="erin",
    )

    assert page.status_code == 200
    assert "MFA_SETUP" in page.text
    assert "by text message" in page.text
    assert "Ask your administrator to add a phone number" in page.text
    assert "<form" not in page.text


# --- the sign-in form's errors ---------------------------------------------------------------


def _login(browser: Browser, client: AppClient, username: str, password: str) -> requests.Response:
    return browser.sign_in(
        f"/oauth2/authorize?response_type=code&client_id={client.client_id}&redirect_uri={CALLBACK}",
        username=username,
        password=password,
    )


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("wrong password", "Incorrect username or password."),
        ("unknown user", "User does not exist."),
        ("disabled", "User is disabled."),
        ("unconfirmed", "User is not confirmed."),
        ("locked out", "Password attempts exceeded"),
    ],
)
def test_every_sign_in_error_has_a_message_tied_to_the_form(
    web: AppClient, alice: PoolUser, url: str, case: str, message: str
) -> None:
    browser = Browser(url)
    username, password = "alice", PASSWORD
    if case == "wrong password":
        password = "wrong-Passw0rd!"
    elif case == "unknown user":
        username = "nobody"
    elif case == "disabled":
        user_disable(user=alice)
    elif case == "unconfirmed":
        PoolUser.objects.filter(pk=alice.pk).update(status=UserStatus.UNCONFIRMED)
    else:
        for _ in range(6):
            _login(browser, web, "alice", "wrong-Passw0rd!")

    response = _login(browser, web, username, password)

    assert response.status_code == 400
    assert message in response.text
    assert 'id="form-error" role="alert"' in response.text
    assert 'aria-describedby="form-error"' in response.text
    assert not RefreshToken.objects.exists()


def test_empty_fields_are_errors_of_their_own_fields(web: AppClient, url: str) -> None:
    response = _login(Browser(url), web, "", "")

    assert response.status_code == 400
    assert 'aria-describedby="username-error"' in response.text
    assert 'aria-describedby="password-error"' in response.text
    assert '<label for="username"' in response.text


def test_the_login_page_is_csrf_protected_and_not_frameable(web: AppClient, url: str) -> None:
    query = f"response_type=code&client_id={web.client_id}&redirect_uri={CALLBACK}"
    page = requests.get(f"{url}/login?{query}", timeout=10)

    assert page.headers["X-Frame-Options"] == "DENY"
    policy = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "form-action 'self' https://app.example.com" in policy
    assert page.headers["Cache-Control"] == "no-store"
    forged = requests.post(
        f"{url}/login?{query}", data={"username": "alice", "password": PASSWORD}, timeout=10
    )
    assert forged.status_code == 403


# --- discovery and the README ----------------------------------------------------------------


def test_every_endpoint_the_discovery_document_lists_is_served(discovery: dict[str, Any]) -> None:
    names = [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "revocation_endpoint",
        "end_session_endpoint",
        "jwks_uri",
    ]
    for name in names:
        response = requests.get(discovery[name], allow_redirects=False, timeout=10)
        assert response.status_code != 404, name
        assert response.status_code < 500, name


README = Path(__file__).resolve().parents[2] / "README.md"


def readme_examples(url: str, operator_key: tuple[AccessKey, str]) -> list[str]:
    """The Python examples of the README's hosted-pages section, for the live server and key."""
    text = README.read_text()
    section = text[text.index("## Hosted sign-in pages") :]
    blocks = re.findall(
        r"^```python\n(.*?)^```$", section[: section.index("\n## ", 5)], re.M | re.S
    )
    key, secret = operator_key
    return [
        block.replace("http://127.0.0.1:8000", url)
        .replace("AKIAIOSFODNN7EXAMPLE", key.access_key_id)
        .replace("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", secret)
        for block in blocks
    ]


def test_the_readme_registers_an_app_whose_authorize_url_leads_to_the_sign_in_page(
    url: str, operator_key: tuple[AccessKey, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = readme_examples(url, operator_key)[0]
    exec(compile(code, str(README), "exec"), {})  # noqa: S102 - the README's own example

    authorize_url = capsys.readouterr().out.strip().replace("<S256 challenge>", "c" * 43)
    response = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    assert response.headers["Location"].startswith("/login?")


def test_the_readmes_domains_serve_the_pages(
    url: str,
    operator_key: tuple[AccessKey, str],
    capsys: pytest.CaptureFixture[str],
    settings: Any,
) -> None:
    settings.COGNITOADMIN_DOMAIN_URL = f"{url}/domain/{{domain}}"
    examples = readme_examples(url, operator_key)
    [domains] = [code for code in examples if "create_user_pool_domain" in code]
    scope: dict[str, Any] = {}
    exec(compile(examples[0], str(README), "exec"), scope)  # noqa: S102 - the README's own example
    authorize_url = capsys.readouterr().out.strip().replace("<S256 challenge>", "c" * 43)
    exec(compile(domains, str(README), "exec"), scope)  # noqa: S102 - the README's own example

    path = authorize_url.removeprefix(url)
    at_prefix = requests.get(f"{url}/domain/shop{path}", allow_redirects=False, timeout=10)
    assert at_prefix.status_code == 302, at_prefix.text
    assert at_prefix.headers["Location"].startswith("/domain/shop/login?")
    custom_host = {"Host": f"login.example.com:{url.rsplit(':', 1)[1]}"}
    at_custom = requests.get(authorize_url, headers=custom_host, allow_redirects=False, timeout=10)
    assert at_custom.headers["Location"].startswith("/login?")
    # The custom domain is the pool's pages, not the server's root.
    assert requests.get(f"{url}/admin/", headers=custom_host, timeout=10).status_code == 404
    discovery = requests.get(
        f"{url}/{scope['pool_id']}/.well-known/openid-configuration", timeout=10
    ).json()
    assert discovery["authorization_endpoint"].startswith("http://login.example.com:")


def test_the_readmes_terms_show_on_the_sign_up_page(
    url: str,
    operator_key: tuple[AccessKey, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    examples = readme_examples(url, operator_key)
    [terms] = [code for code in examples if "create_terms" in code]
    scope: dict[str, Any] = {}
    exec(compile(examples[0], str(README), "exec"), scope)  # noqa: S102 - the README's own example
    authorize_url = capsys.readouterr().out.strip().replace("<S256 challenge>", "c" * 43)
    exec(compile(terms, str(README), "exec"), scope)  # noqa: S102 - the README's own example

    signup = authorize_url.replace("/oauth2/authorize?", "/signup?")
    page = requests.get(signup, timeout=10).text
    assert '<a href="https://example.com/terms"' in page
    assert '<a href="https://example.com/privacy"' in page
