"""The hosted self-service pages against a live server, through their forms as a browser submits
them: sign-up, its code, then signing in; a forgotten password, its code, a new one, then signing
in. Every refusal is the form again with the service's message tied to its field, never a 5xx,
and changes nothing."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote, urlencode, urljoin

import pytest
import requests
from django.core.mail import EmailMessage

from pools.models import AppClient, PoolUser, UserPool, UserStatus
from pools.services.passwords import password_check
from pools.services.users import user_reset_password
from tests.builders import make_user, make_user_pool, sent_code
from tests.cognitoadmin.test_fuzz_aws import snapshot
from tests.pools.hosted_fixtures import (
    CALLBACK,
    OIDC_SCOPES,
    Browser,
    form_action,
    form_fields,
    plain_http,
    redirected_to,
    web_app,
)
from tests.pools.oauth_fixtures import PASSWORD, url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("plain_http")]

__all__ = ["plain_http", "url"]

NEW_PASSWORD = "N3w-Passw0rd!"
PAGES = ["/signup", "/confirm", "/forgotPassword", "/confirmForgotPassword"]


def app(pool: UserPool, **overrides: Any) -> AppClient:
    """A public app client of the hosted pages (the OIDC scopes; the pool has no API)."""
    return web_app(pool, AllowedOAuthScopes=OIDC_SCOPES, **overrides)


@pytest.fixture
def pool(url: str) -> UserPool:
    """A pool whose users sign up with an email address, where their codes go."""
    return make_user_pool(AutoVerifiedAttributes=["email"])


@pytest.fixture
def web(pool: UserPool) -> AppClient:
    return app(pool)


@pytest.fixture
def web_secret(pool: UserPool) -> AppClient:
    return app(pool, GenerateSecret=True, AllowedOAuthFlows=["code"])


@pytest.fixture
def carol(pool: UserPool) -> PoolUser:
    return make_user(
        pool=pool,
        username="carol",
        password=PASSWORD,
        email="carol@example.com",
        email_verified="true",
    )


def query(client: AppClient) -> str:
    return urlencode(
        {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": CALLBACK,
            "state": "st-9",
            "scope": "openid email",
        }
    )


def link(page: requests.Response, text: str) -> str:
    found = re.search(rf'<a href="([^"]*)">{re.escape(text)}</a>', page.text)
    assert found is not None, page.text
    return html.unescape(found.group(1))


def page_of(browser: Browser, client: AppClient, path: str) -> requests.Response:
    page = browser.get(f"{path}?{query(client)}")
    assert page.status_code == 200, page.text
    return page


def raw_submit(browser: Browser, page: requests.Response, body: str) -> requests.Response:
    """Submits the page's form with its hidden fields, then `body` as it is (already encoded):
    the last value of a repeated name is the one read."""
    data = urlencode(form_fields(page.text)) + "&" + body
    return browser.http.post(
        urljoin(page.url, form_action(page.text)),
        data=data.encode("ascii"),
        headers={"Referer": page.url, "Content-Type": "application/x-www-form-urlencoded"},
        allow_redirects=False,
        timeout=10,
    )


def refused(response: requests.Response, field: str, message: str) -> None:
    """The form again, 4xx, with `message` tied to `field` (or to the whole form)."""
    assert 400 <= response.status_code < 500, response.text
    assert "Location" not in response.headers
    text = html.unescape(response.text)
    assert message in text, text
    target = "form-error" if field == "form" else f"{field}-error"
    assert f'id="{target}"' in response.text
    assert f'aria-describedby="{target}' in response.text
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'none'" in response.headers["Content-Security-Policy"]


def _user(pool: UserPool, username: str) -> PoolUser:
    return PoolUser.objects.get(pool=pool, username_key=username)


# --- sign-up, its code, sign-in --------------------------------------------------------------


@pytest.mark.parametrize("client_fixture", ["web", "web_secret"])
def test_sign_up_then_the_code_then_signing_in_through_the_forms(
    request: pytest.FixtureRequest,
    client_fixture: str,
    pool: UserPool,
    url: str,
    mailoutbox: list[EmailMessage],
) -> None:
    client: AppClient = request.getfixturevalue(client_fixture)
    browser = Browser(url)
    login = browser.open(f"/oauth2/authorize?{query(client)}")
    assert login.status_code == 200

    form = browser.get(link(login, "Sign up"))
    assert form.status_code == 200
    for name in ("username", "password", "attr_email"):
        assert f'<label for="{name}"' in form.text
    code_page = browser.submit(
        form, username="dora", password=PASSWORD, attr_email="dora@example.com"
    )

    assert code_page.status_code == 200, code_page.text
    assert "We sent a code by email to d***@e***." in code_page.text
    assert _user(pool, "dora").status == UserStatus.UNCONFIRMED
    code = sent_code(str(mailoutbox[-1].body))
    back = browser.submit(code_page, username="dora", code=code, action="confirm")
    target, values, _ = redirected_to(back)
    assert target.endswith("/login")
    assert values["notice"] == "confirmed"
    assert values["client_id"] == client.client_id
    user = _user(pool, "dora")
    assert (user.status, user.email_verified) == (UserStatus.CONFIRMED, True)

    login = browser.follow(back)
    assert "Your registration is confirmed." in login.text
    assert "notice" not in form_action(login.text)
    target, values, _ = redirected_to(browser.submit(login, username="dora", password=PASSWORD))
    assert target == CALLBACK
    assert values["state"] == "st-9"
    assert values["code"]


def test_a_new_code_replaces_the_first(
    web: AppClient, pool: UserPool, url: str, mailoutbox: list[EmailMessage]
) -> None:
    browser = Browser(url)
    form = page_of(browser, web, "/signup")
    code_page = browser.submit(
        form, username="dora", password=PASSWORD, attr_email="dora@example.com"
    )
    first = sent_code(str(mailoutbox[-1].body))

    again = browser.submit(code_page, username="dora", code="", action="resend")
    assert again.status_code == 200, again.text
    assert "We sent a code by email to d***@e***." in again.text
    second = sent_code(str(mailoutbox[-1].body))
    assert len(mailoutbox) == 2

    if first != second:
        refused(
            browser.submit(again, username="dora", code=first, action="confirm"),
            "code",
            "Invalid verification code provided, please try again.",
        )
    redirected_to(browser.submit(again, username="dora", code=second, action="confirm"))
    assert _user(pool, "dora").status == UserStatus.CONFIRMED


def test_a_pool_that_verifies_nothing_says_an_administrator_confirms(url: str) -> None:
    client = app(make_user_pool())
    browser = Browser(url)
    done = browser.submit(page_of(browser, client, "/signup"), username="erin", password=PASSWORD)

    assert done.status_code == 200, done.text
    assert "An administrator confirms new accounts" in done.text
    assert PoolUser.objects.get(username="erin").status == UserStatus.UNCONFIRMED


def test_an_admin_only_pool_offers_no_sign_up_and_refuses_one(url: str) -> None:
    pool = make_user_pool(AdminCreateUserConfig={"AllowAdminCreateUserOnly": True})
    client = app(pool)
    browser = Browser(url)
    login = page_of(browser, client, "/login")
    assert "/signup?" not in login.text
    assert link(login, "Forgot your password?").startswith("/forgotPassword?")
    before = snapshot()

    response = browser.submit(
        page_of(browser, client, "/signup"), username="erin", password=PASSWORD
    )

    refused(response, "form", "SignUp is not permitted for this user pool")
    assert snapshot() == before


# --- a forgotten password --------------------------------------------------------------------


def test_forgot_password_then_the_code_then_a_new_password_then_signing_in(
    web: AppClient, carol: PoolUser, url: str, mailoutbox: list[EmailMessage]
) -> None:
    browser = Browser(url)
    login = page_of(browser, web, "/login")
    form = browser.get(link(login, "Forgot your password?"))
    reset = browser.submit(form, username="carol")

    assert reset.status_code == 200, reset.text
    assert "We sent a code by email to c***@e***." in reset.text
    code = sent_code(str(mailoutbox[-1].body))
    back = browser.submit(
        reset, username="carol", code=code, password=NEW_PASSWORD, confirm_password=NEW_PASSWORD
    )
    _, values, _ = redirected_to(back)
    assert values["notice"] == "password_reset"
    carol.refresh_from_db()
    assert password_check(user=carol, password=NEW_PASSWORD)

    login = browser.follow(back)
    assert "Your password has been reset." in login.text
    refused(
        browser.submit(login, username="carol", password=PASSWORD),
        "form",
        "Incorrect username or password.",
    )
    target, _, _ = redirected_to(browser.submit(login, username="carol", password=NEW_PASSWORD))
    assert target == CALLBACK


def test_an_unconfirmed_user_signing_in_gets_a_new_code_and_its_page(
    web: AppClient, pool: UserPool, url: str, mailoutbox: list[EmailMessage]
) -> None:
    make_user(pool=pool, username="dora", password=PASSWORD, email="dora@example.com")
    PoolUser.objects.filter(username="dora").update(status=UserStatus.UNCONFIRMED)
    browser = Browser(url)
    login = page_of(browser, web, "/login")

    wrong = browser.submit(login, username="dora", password="Wrong-Passw0rd!")
    refused(wrong, "form", "Incorrect username or password.")
    assert mailoutbox == []

    code_page = browser.submit(login, username="dora", password=PASSWORD)
    assert code_page.status_code == 200, code_page.text
    assert "We sent a code by email to d***@e***." in code_page.text
    assert 'value="dora"' in code_page.text
    [email] = mailoutbox
    back = browser.submit(
        code_page, username="dora", code=sent_code(str(email.body)), action="confirm"
    )
    assert redirected_to(back)[1]["notice"] == "confirmed"
    assert _user(pool, "dora").status == UserStatus.CONFIRMED
    done = browser.submit(browser.follow(back), username="dora", password=PASSWORD)
    assert redirected_to(done)[0] == CALLBACK


def test_a_user_whose_password_was_reset_gets_a_reset_code_and_its_page(
    web: AppClient, carol: PoolUser, url: str, mailoutbox: list[EmailMessage]
) -> None:
    user_reset_password(user=carol)
    mailoutbox.clear()
    browser = Browser(url)

    reset = browser.submit(page_of(browser, web, "/login"), username="carol", password=PASSWORD)

    assert reset.status_code == 200, reset.text
    assert "We sent a code by email to c***@e***." in reset.text
    assert 'value="carol"' in reset.text
    [email] = mailoutbox
    back = browser.submit(
        reset,
        username="carol",
        code=sent_code(str(email.body)),
        password=NEW_PASSWORD,
        confirm_password=NEW_PASSWORD,
    )
    assert redirected_to(back)[1]["notice"] == "password_reset"
    done = browser.submit(browser.follow(back), username="carol", password=NEW_PASSWORD)
    assert redirected_to(done)[0] == CALLBACK


@pytest.mark.parametrize(
    ("prevent", "expected"),
    [("LEGACY", "Username/client id combination not found."), ("ENABLED", "We sent a code")],
)
def test_forgot_password_for_nobody_follows_prevent_user_existence_errors(
    pool: UserPool, url: str, mailoutbox: list[EmailMessage], prevent: str, expected: str
) -> None:
    client = app(pool, PreventUserExistenceErrors=prevent)
    browser = Browser(url)
    before = snapshot()

    response = browser.submit(page_of(browser, client, "/forgotPassword"), username="nobody")

    if prevent == "LEGACY":
        refused(response, "username", expected)
    else:
        assert response.status_code == 200
        assert expected in response.text
    assert snapshot() == before
    assert mailoutbox == []


# --- refusals: the form again, with the message, nothing changed -----------------------------


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ("username=dora&password=short&attr_email=d%40example.com", "password", "Password"),
        ("username=carol&password=Passw0rd%21&attr_email=d%40example.com", "username", "exists"),
        ("username=&password=&attr_email=", "username", "Enter a username."),
        ("username=dora&password=&attr_email=", "password", "Enter a password."),
        ("username=dora&password=Passw0rd%21&attr_email=not-an-email", "form", "email"),
        ("username=" + "d" * 100_000 + "&password=Passw0rd%21", "form", "Username"),
        ("username=dora&password=" + "P" * 100_000, "form", "Password"),
        ("username=dora&password=Passw0rd%21&attr_email=" + "e" * 100_000, "form", "email"),
        ("username=a%00b&password=Passw0rd%21&attr_email=d%40example.com", "form", "Username"),
    ],
)
def test_a_refused_sign_up_is_the_form_with_the_message_and_changes_nothing(  # noqa: PLR0917 - fixtures
    web: AppClient,
    carol: PoolUser,
    url: str,
    mailoutbox: list[EmailMessage],
    body: str,
    field: str,
    message: str,
) -> None:
    browser = Browser(url)
    form = page_of(browser, web, "/signup")
    before = snapshot()

    response = raw_submit(browser, form, body)

    refused(response, field, message)
    assert snapshot() == before
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ("username=dora&code=000000", "code", "Invalid verification code provided"),
        ("username=dora&code=", "code", "Enter the code we sent you."),
        ("username=&code=123456", "username", "Enter your username."),
        ("username=nobody&code=123456", "username", "Username/client id combination not found."),
        (
            "username=carol&code=123456",
            "form",
            "User cannot be confirmed. Current status is CONFIRMED",
        ),
        # Cut to 1024 characters, within ConfirmationCode's 2048: a wrong code.
        ("username=dora&code=" + "1" * 100_000, "code", "Invalid verification code provided"),
        # A lone surrogate is read as U+FFFD (Django decodes with replacement).
        ("username=%ED%A0%80&code=123456", "username", "not found"),
        ("username=dora&code=%ED%A0%80", "code", "Invalid verification code provided"),
    ],
)
def test_a_refused_confirmation_is_the_form_with_the_message_and_changes_nothing(  # noqa: PLR0917 - fixtures
    web: AppClient,
    pool: UserPool,
    carol: PoolUser,
    url: str,
    mailoutbox: list[EmailMessage],
    body: str,
    field: str,
    message: str,
) -> None:
    browser = Browser(url)
    browser.submit(
        page_of(browser, web, "/signup"),
        username="dora",
        password=PASSWORD,
        attr_email="dora@example.com",
    )
    mailoutbox.clear()
    form = page_of(browser, web, "/confirm")
    before = snapshot()

    response = raw_submit(browser, form, body + "&action=confirm")

    refused(response, field, message)
    assert snapshot() == before
    assert mailoutbox == []
    assert _user(pool, "dora").status == UserStatus.UNCONFIRMED


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ("username=carol&code=000000&password=N3w-Passw0rd%21", "code", "Invalid verification"),
        ("username=carol&code=123456&password=weak", "password", "Password"),
        ("username=nobody&code=123456&password=N3w-Passw0rd%21", "username", "not found"),
        ("username=carol&code=&password=N3w-Passw0rd%21", "code", "Enter the code we sent you."),
        ("username=carol&code=123456&password=", "password", "Enter a new password."),
        ("username=carol&code=" + "1" * 100_000 + "&password=N3w-Passw0rd%21", "code", "Invalid"),
        ("username=carol&code=123456&password=" + "P" * 100_000, "form", "Password"),
        ("username=%ED%A0%80&code=123456&password=N3w-Passw0rd%21", "username", "not found"),
        ("username=carol&code=123456&password=%ED%A0%80x", "password", "Password"),
    ],
)
def test_a_refused_password_reset_is_the_form_with_the_message_and_changes_nothing(  # noqa: PLR0917 - fixtures
    web: AppClient,
    carol: PoolUser,
    url: str,
    mailoutbox: list[EmailMessage],
    body: str,
    field: str,
    message: str,
) -> None:
    browser = Browser(url)
    browser.submit(page_of(browser, web, "/forgotPassword"), username="carol")
    mailoutbox.clear()
    form = page_of(browser, web, "/confirmForgotPassword")
    before = snapshot()
    password = re.search(r"password=([^&]*)$", body)
    again = password.group(1) if password else ""

    response = raw_submit(browser, form, f"{body}&confirm_password={again}")

    refused(response, field, message)
    assert snapshot() == before
    assert mailoutbox == []
    carol.refresh_from_db()
    assert password_check(user=carol, password=PASSWORD)


def test_a_lone_surrogate_in_a_username_signs_up_as_replacement_characters(
    web: AppClient, pool: UserPool, url: str
) -> None:
    """Django reads a form's invalid UTF-8 with replacement: the service sees U+FFFD, a valid
    character of a username, never a surrogate, and the page is no error."""
    browser = Browser(url)
    form = page_of(browser, web, "/signup")

    response = raw_submit(
        browser, form, "username=%ED%A0%80&password=Passw0rd%21&attr_email=d%40example.com"
    )

    assert response.status_code == 200, response.text
    [user] = PoolUser.objects.filter(pool=pool, status=UserStatus.UNCONFIRMED)
    assert set(user.username) == {"\ufffd"}


def test_passwords_that_differ_are_the_second_fields_error(
    web: AppClient, carol: PoolUser, url: str
) -> None:
    browser = Browser(url)
    form = page_of(browser, web, "/confirmForgotPassword")
    before = snapshot()

    response = browser.submit(
        form, username="carol", code="123456", password=NEW_PASSWORD, confirm_password="other"
    )

    refused(response, "confirm_password", "The passwords do not match.")
    assert snapshot() == before


# --- every page: the authorize request, CSRF, the policy -------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_each_page_checks_the_authorize_request_as_login_does(
    web: AppClient, url: str, path: str
) -> None:
    bad_client = requests.get(
        f"{url}{path}?response_type=code&client_id={web.client_id}"
        "&redirect_uri=https://evil.example.com/callback",
        allow_redirects=False,
        timeout=10,
    )
    assert bad_client.status_code == 400
    assert "Location" not in bad_client.headers
    assert "callback URLs" in html.unescape(bad_client.text)

    bad_scope = requests.get(
        f"{url}{path}?response_type=code&client_id={web.client_id}"
        f"&redirect_uri={quote(CALLBACK)}&scope=admin&state=z",
        allow_redirects=False,
        timeout=10,
    )
    _, values, _ = redirected_to(bad_scope)
    assert (values["error"], values["state"]) == ("invalid_scope", "z")


@pytest.mark.parametrize("path", PAGES)
def test_each_page_is_csrf_protected_labelled_and_not_frameable(
    web: AppClient, url: str, path: str
) -> None:
    page = requests.get(f"{url}{path}?{query(web)}", timeout=10)

    assert page.status_code == 200
    assert page.headers["X-Frame-Options"] == "DENY"
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert page.headers["Cache-Control"] == "no-store"
    for name in re.findall(r'<input type="(?:text|password|email|tel)" id="([^"]*)"', page.text):
        assert f'<label for="{name}"' in page.text
    assert 'name="csrfmiddlewaretoken"' in page.text
    before = snapshot()
    forged = requests.post(
        f"{url}{path}?{query(web)}",
        data={"username": "dora", "password": PASSWORD, "code": "123456"},
        timeout=10,
    )
    assert forged.status_code == 403
    assert snapshot() == before


def test_the_login_page_links_to_sign_up_and_forgot_password(web: AppClient, url: str) -> None:
    login = page_of(Browser(url), web, "/login")

    assert link(login, "Sign up") == f"/signup?{query(web)}"
    assert link(login, "Forgot your password?") == f"/forgotPassword?{query(web)}"


def test_a_notice_is_a_known_key_never_text_from_the_address(web: AppClient, url: str) -> None:
    login = requests.get(f"{url}/login?{query(web)}&notice=%3Cb%3Ehello%3C%2Fb%3E", timeout=10)

    assert login.status_code == 200
    assert "hello" not in login.text
    assert 'role="status"' not in login.text
