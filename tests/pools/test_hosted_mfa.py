"""The hosted code pages of SMS_MFA and EMAIL_OTP, the choice of SELECT_MFA_TYPE and MFA_SETUP's
authenticator app and email, against a
live server through their forms: the code goes where the page says, a wrong or missing code is
the same page with its error and sends nothing more, the right one reaches the app's callback."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pyotp
import pytest
import requests
from django.core.mail import EmailMessage
from django.utils import timezone

from pools.models import AppClient, PoolUser, SoftwareToken, UserPool
from pools.services.mfa import (
    mfa_preference_set,
    software_token_associate,
    software_token_friendly_name,
    software_token_verify,
)
from pools.services.sms import SmsMessage
from tests.builders import make_user, sent_code
from tests.cognitoadmin.test_fuzz_aws import snapshot
from tests.pools.hosted_fixtures import (
    CALLBACK,
    OIDC_SCOPES,
    Browser,
    form_fields,
    next_code,
    plain_http,
    redirected_to,
    web_app,
)
from tests.pools.oauth_fixtures import PASSWORD, url
from tests.pools.test_mfa import mfa_pool

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("plain_http")]

__all__ = ["plain_http", "url"]


@pytest.fixture
def pool(url: str) -> UserPool:
    return mfa_pool()


@pytest.fixture
def web(pool: UserPool) -> AppClient:
    return web_app(pool, AllowedOAuthScopes=OIDC_SCOPES)


@pytest.fixture
def alice(pool: UserPool) -> PoolUser:
    return make_user(
        pool=pool,
        username="alice",
        password=PASSWORD,
        email="alice@example.com",
        email_verified="true",
        phone_number="+15555550100",
        phone_number_verified="true",
    )


def two_factors(user: PoolUser) -> pyotp.TOTP:
    """`user` has an authenticator app and a phone number for MFA, and prefers neither."""
    app = pyotp.TOTP(software_token_associate(user=user))
    software_token_verify(user=user, code=app.now(), friendly_name="phone")
    mfa_preference_set(
        user=user,
        preferences={
            "SoftwareTokenMfaSettings": {"Enabled": True, "PreferredMfa": False},
            "SMSMfaSettings": {"Enabled": True, "PreferredMfa": False},
        },
    )
    return app


def sign_in(browser: Browser, client: AppClient) -> requests.Response:
    page = browser.sign_in(
        f"/oauth2/authorize?response_type=code&client_id={client.client_id}"
        f"&redirect_uri={CALLBACK}&state=st-1"
    )
    assert page.status_code == 200, page.text
    return page


def reached_the_app(response: requests.Response) -> None:
    target, query, _fragment = redirected_to(response)
    assert target == CALLBACK
    assert query["state"] == "st-1"
    assert query["code"]


def test_sms_mfa_page_names_the_masked_phone_and_its_code_signs_in(
    web: AppClient, alice: PoolUser, url: str, sms_outbox: list[SmsMessage]
) -> None:
    mfa_preference_set(user=alice, preferences={"SMSMfaSettings": {"Enabled": True}})
    browser = Browser(url)
    page = sign_in(browser, web)

    assert "the code we sent by text message" in page.text
    assert "+*******0100" in page.text
    [message] = sms_outbox

    reached_the_app(browser.submit(page, code=sent_code(message.body)))


def test_email_otp_page_names_the_masked_address_and_its_code_signs_in(
    web: AppClient, alice: PoolUser, url: str, mailoutbox: list[EmailMessage]
) -> None:
    mfa_preference_set(user=alice, preferences={"EmailMfaSettings": {"Enabled": True}})
    browser = Browser(url)
    page = sign_in(browser, web)

    assert "the code we sent by email" in page.text
    assert "a***@e***" in page.text
    [email] = mailoutbox

    reached_the_app(browser.submit(page, code=sent_code(str(email.body))))


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "Enter the code we sent by text message."),
        ("000000", "Invalid code"),
        ("12", "6 digits"),
        ("x" * 5000, "6 digits"),
    ],
)
def test_a_wrong_or_missing_sms_code_is_the_page_again_and_sends_nothing_more(  # noqa: PLR0917 - fixtures
    web: AppClient,
    alice: PoolUser,
    url: str,
    sms_outbox: list[SmsMessage],
    code: str,
    message: str,
) -> None:
    mfa_preference_set(user=alice, preferences={"SMSMfaSettings": {"Enabled": True}})
    browser = Browser(url)
    page = sign_in(browser, web)
    [sent] = sms_outbox
    if code == "000000" and sent_code(sent.body) == code:
        code = "111111"
    before = snapshot()

    again = browser.submit(page, code=code)

    assert again.status_code == 400
    assert "Location" not in again.headers
    assert message.lower() in html.unescape(again.text).lower()
    assert 'id="code-error"' in again.text
    assert len(sms_outbox) == 1
    assert snapshot() == before
    # The session is still open: the right code signs in after the wrong one.
    reached_the_app(browser.submit(again, code=sent_code(sent.body)))


def test_several_factors_offer_a_choice_and_the_chosen_factor_follows(
    web: AppClient, alice: PoolUser, url: str, sms_outbox: list[SmsMessage]
) -> None:
    app = two_factors(alice)
    browser = Browser(url)
    choice = sign_in(browser, web)
    assert 'value="SMS_MFA"' in choice.text
    assert 'value="SOFTWARE_TOKEN_MFA"' in choice.text
    assert sms_outbox == []

    totp = browser.submit(choice, answer="SOFTWARE_TOKEN_MFA")

    assert totp.status_code == 200, totp.text
    assert "the code from your authenticator app" in totp.text
    assert sms_outbox == []
    reached_the_app(browser.submit(totp, code=next_code(app)))


@pytest.mark.parametrize("answer", ["EMAIL_OTP", "", "SMS_MFA" * 1000, "\ud800"])
def test_a_factor_not_offered_is_refused_and_changes_nothing(
    web: AppClient, alice: PoolUser, url: str, sms_outbox: list[SmsMessage], answer: str
) -> None:
    two_factors(alice)
    browser = Browser(url)
    choice = sign_in(browser, web)
    before = snapshot()
    fields: dict[str, Any] = {"answer": answer.encode("utf-8", "surrogatepass")}

    refused = browser.submit(choice, **fields)

    assert refused.status_code == 400
    assert "Choose one of the methods listed." in refused.text
    assert 'id="form-error"' in refused.text
    assert sms_outbox == []
    assert snapshot() == before
    chosen = browser.submit(refused, answer="SMS_MFA")
    assert "+*******0100" in chosen.text
    [message] = sms_outbox
    reached_the_app(browser.submit(chosen, code=sent_code(message.body)))


# --- setting up an authenticator (MFA_SETUP) -------------------------------------------------


def _secret(page: requests.Response) -> str:
    found = re.search(r'<code id="secret">([A-Z2-7]+)</code>', page.text)
    assert found is not None, page.text
    return found.group(1)


def test_mfa_setup_shows_a_qr_code_and_the_first_code_turns_the_app_on_and_signs_in(
    url: str,
) -> None:
    pool = mfa_pool("ON", sms=False, email=False)
    user = make_user(pool=pool, username="alice", password=PASSWORD)
    browser = Browser(url)
    page = sign_in(browser, web_app(pool, AllowedOAuthScopes=OIDC_SCOPES))

    assert "<svg" in page.text
    assert "<script" not in page.text.lower()
    app = pyotp.TOTP(_secret(page))

    done = browser.submit(page, code=app.now(), device="work phone")

    reached_the_app(done)
    assert software_token_friendly_name(user=user) == "work phone"
    # The state of the finished set-up cannot be used again.
    again = browser.submit(page, code=app.now())
    assert again.status_code == 400
    assert "sign in again" in again.text.lower()


@pytest.mark.parametrize("code", ["000000", "", "12", "9" * 5000])
def test_a_wrong_first_code_asks_again_without_showing_the_key_and_changes_nothing(
    url: str, code: str
) -> None:
    pool = mfa_pool("ON", sms=False, email=False)
    user = make_user(pool=pool, username="alice", password=PASSWORD)
    browser = Browser(url)
    page = sign_in(browser, web_app(pool, AllowedOAuthScopes=OIDC_SCOPES))
    app = pyotp.TOTP(_secret(page))
    if code == app.now():
        code = "111111" if code == "000000" else code
    before = snapshot()

    wrong = browser.submit(page, code=code)

    assert wrong.status_code == 400
    assert 'id="code-error"' in wrong.text
    assert _secret(page) not in wrong.text
    assert "<svg" not in wrong.text
    assert software_token_friendly_name(user=user) == ""
    assert snapshot() == before
    # A second after a wrong code, django-otp's throttle lets the authenticator try again.
    SoftwareToken.objects.update(
        throttling_failure_timestamp=timezone.now() - dt.timedelta(minutes=1)
    )
    reached_the_app(browser.submit(wrong, code=app.now()))


# --- setting up email MFA (MFA_SETUP with EMAIL_OTP) -----------------------------------------


def email_setup_page(url: str, **factors: bool) -> tuple[Browser, requests.Response]:
    """Erin, who has no email address, signs in to a pool that requires MFA and lets her set up
    email (and whatever `factors` adds); she is on the set-up's first page."""
    pool = mfa_pool("ON", **{"sms": False, "totp": False, **factors})
    make_user(pool=pool, username="erin", password=PASSWORD)
    client = web_app(pool, AllowedOAuthScopes=OIDC_SCOPES)
    browser = Browser(url)
    page = browser.sign_in(
        f"/oauth2/authorize?response_type=code&client_id={client.client_id}"
        f"&redirect_uri={CALLBACK}&state=st-1",
        username="erin",
    )
    assert page.status_code == 200, page.text
    return browser, page


def _email_input(page: requests.Response) -> str:
    found = re.search(r'<input[^>]*\bid="email"[^>]*>', page.text)
    assert found is not None, page.text
    return found.group(0)


def _erin() -> PoolUser:
    return PoolUser.objects.get(username="erin")


def _signs_in_by_email(
    browser: Browser, page: requests.Response, mailoutbox: list[EmailMessage]
) -> None:
    """The address given on the email form gets the code, whose page names it masked, and the
    code reaches the app with the address now erin's own, verified, with email MFA on."""
    code_page = browser.submit(page, email="erin@example.com")

    assert code_page.status_code == 200, code_page.text
    assert "the code we sent by email" in code_page.text
    assert "e***@e***" in code_page.text
    [email] = mailoutbox
    assert email.to == ["erin@example.com"]
    reached_the_app(browser.submit(code_page, code=sent_code(str(email.body))))
    erin = _erin()
    assert (erin.email, erin.email_verified, erin.mfa_email_enabled) == (
        "erin@example.com",
        True,
        True,
    )


def test_email_mfa_alone_is_set_up_with_the_address_the_user_gives_and_signs_in(
    url: str, mailoutbox: list[EmailMessage]
) -> None:
    browser, page = email_setup_page(url)

    assert re.search(r'<label for="email"[^>]*>Email address</label>', page.text)
    field = _email_input(page)
    assert 'type="email"' in field
    assert 'autocomplete="email"' in field
    assert re.search(r'aria-describedby="\s*email-hint"', field)
    assert "autofocus" in field
    assert 'id="email-hint">' in page.text
    assert mailoutbox == []
    _signs_in_by_email(browser, page, mailoutbox)


def test_email_beside_an_authenticator_app_is_a_choice_that_changes_nothing_until_answered(
    url: str, mailoutbox: list[EmailMessage]
) -> None:
    browser, choice = email_setup_page(url, totp=True)
    assert 'name="factor" value="SOFTWARE_TOKEN_MFA"' in choice.text
    assert 'name="factor" value="EMAIL_OTP"' in choice.text
    before = snapshot()

    form = browser.submit(choice, factor="EMAIL_OTP")

    assert form.status_code == 200, form.text
    assert 'id="email"' in form.text
    assert snapshot() == before
    _signs_in_by_email(browser, form, mailoutbox)


def test_the_authenticator_app_chosen_beside_email_shows_its_key(url: str) -> None:
    browser, choice = email_setup_page(url, totp=True)

    app_page = browser.submit(choice, factor="SOFTWARE_TOKEN_MFA")

    reached_the_app(browser.submit(app_page, code=pyotp.TOTP(_secret(app_page)).now()))
    assert software_token_friendly_name(user=_erin()) == ""


@pytest.mark.parametrize("factor", ["SMS_MFA", "", "EMAIL_OTP" * 1000, "\ud800"])
def test_a_set_up_not_offered_is_refused_and_changes_nothing(
    url: str, mailoutbox: list[EmailMessage], factor: str
) -> None:
    browser, choice = email_setup_page(url, totp=True)
    before = snapshot()
    fields: dict[str, Any] = {"factor": factor.encode("utf-8", "surrogatepass")}

    refused = browser.submit(choice, **fields)

    assert refused.status_code == 400
    assert "Choose one of the methods listed." in refused.text
    assert 'id="form-error"' in refused.text
    assert snapshot() == before
    _signs_in_by_email(browser, browser.submit(refused, factor="EMAIL_OTP"), mailoutbox)


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter your email address."),
        ("not-an-address", "Invalid email address format."),
        ("erin@" + "x" * 5000 + ".com", "Invalid email address format."),
        ("\ud800@example.com", "Invalid email address format."),
    ],
)
def test_a_bad_address_is_the_form_again_with_its_reason_and_changes_nothing(
    url: str, mailoutbox: list[EmailMessage], email: str, message: str
) -> None:
    browser, page = email_setup_page(url)
    before = snapshot()
    fields: dict[str, Any] = {"email": email.encode("utf-8", "surrogatepass")}

    refused = browser.submit(page, **fields)

    assert refused.status_code == 400
    assert "Location" not in refused.headers
    assert f'id="email-error">{message}</p>' in refused.text
    field = _email_input(refused)
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="email-error email-hint"' in field
    assert mailoutbox == []
    assert snapshot() == before
    assert _erin().email == ""
    # The session is still open: a good address goes on.
    _signs_in_by_email(browser, refused, mailoutbox)


def test_a_tampered_state_on_the_email_form_is_sign_in_again_and_changes_nothing(
    url: str, mailoutbox: list[EmailMessage]
) -> None:
    browser, page = email_setup_page(url)
    state = form_fields(page.text)["state"]
    before = snapshot()

    tampered = state[:-1] + ("A" if state[-1] != "A" else "B")

    refused = browser.submit(page, state=tampered, email="erin@example.com")

    assert refused.status_code == 400
    assert "Your sign-in session has expired. Please sign in again." in refused.text
    assert 'name="password"' in refused.text
    assert mailoutbox == []
    assert snapshot() == before
