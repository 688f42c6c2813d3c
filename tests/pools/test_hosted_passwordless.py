"""The hosted sign-in page without a password, against a live server through its forms: where the
pool's SignInPolicy allows codes by email or SMS, `/login` offers them; the code goes where the
page says and signs in to the app's callback with the tokens' `amr` of a code; a user without the
factor is told to use their password; a wrong code is the page again; a user with MFA is not
offered a code. (Passkeys on these pages: test_hosted_passkeys_browser.py.)"""

from __future__ import annotations

import pytest
import requests
from django.core.mail import EmailMessage

from pools.models import AppClient, PoolUser, RefreshToken, UserPool
from pools.services.mfa import mfa_preference_set
from pools.services.pools import user_pool_set_mfa_config
from pools.services.sms import SmsMessage
from tests.builders import make_user, sent_code
from tests.pools.hosted_fixtures import CALLBACK, OIDC_SCOPES, Browser, plain_http, web_app
from tests.pools.oauth_fixtures import PASSWORD, url
from tests.pools.test_aws_user_auth import alice, passwordless_pool
from tests.pools.test_hosted_mfa import reached_the_app
from tests.pools.test_mfa import SMS_CONFIGURATION

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("plain_http")]

__all__ = ["alice", "plain_http", "url"]


@pytest.fixture
def pool(url: str) -> UserPool:
    return passwordless_pool(["PASSWORD", "EMAIL_OTP", "SMS_OTP"])


@pytest.fixture
def web(pool: UserPool) -> AppClient:
    return web_app(pool, AllowedOAuthScopes=OIDC_SCOPES)


def _login(browser: Browser, client: AppClient) -> requests.Response:
    page = browser.open(
        f"/oauth2/authorize?response_type=code&client_id={client.client_id}"
        f"&redirect_uri={CALLBACK}&state=st-1&scope=openid"
    )
    assert page.status_code == 200, page.text
    return page


def test_the_sign_in_page_offers_what_the_pool_allows(url: str, web: AppClient) -> None:
    page = _login(Browser(url), web)
    assert "Email me a sign-in code" in page.text
    assert "Text me a sign-in code" in page.text

    plain = web_app(passwordless_pool(["PASSWORD"]), AllowedOAuthScopes=OIDC_SCOPES)
    assert "sign-in code" not in _login(Browser(url), plain).text


def test_an_email_code_signs_in_to_the_app(
    url: str, web: AppClient, alice: PoolUser, mailoutbox: list[EmailMessage]
) -> None:
    browser = Browser(url)
    page = browser.submit(_login(browser, web), username="alice", method="EMAIL_OTP")

    assert page.status_code == 200, page.text
    assert "Sign in with a code" in page.text
    assert "the code we sent by email" in page.text
    assert "a***@e***" in page.text
    [email] = mailoutbox
    assert email.to == ["alice@example.com"]

    reached_the_app(browser.submit(page, code=sent_code(str(email.body))))


def test_an_sms_code_signs_in_and_a_wrong_one_is_the_page_again(
    url: str, web: AppClient, alice: PoolUser, sms_outbox: list[SmsMessage]
) -> None:
    browser = Browser(url)
    page = browser.submit(_login(browser, web), username="alice", method="SMS_OTP")
    assert "the code we sent by text message" in page.text
    [message] = sms_outbox
    code = sent_code(message.body)

    again = browser.submit(page, code=f"{(int(code) + 1) % 1_000_000:06d}")
    assert again.status_code == 400
    assert "Invalid code" in again.text
    assert len(sms_outbox) == 1

    reached_the_app(browser.submit(again, code=code))


def test_a_user_without_the_factor_is_told_to_use_the_password(
    url: str, web: AppClient, pool: UserPool, mailoutbox: list[EmailMessage]
) -> None:
    make_user(pool=pool, username="bob", password=PASSWORD, email="bob@example.com")
    browser = Browser(url)
    page = browser.submit(_login(browser, web), username="bob", method="EMAIL_OTP")

    assert page.status_code == 400
    assert "not set up for your account" in page.text
    assert mailoutbox == []
    # The password still signs in from the same page.
    _target = browser.submit(page, username="bob", password=PASSWORD)
    assert _target.status_code == 302


def test_a_user_with_mfa_is_not_sent_a_code_and_signs_in_with_the_password_and_mfa(
    url: str, web: AppClient, alice: PoolUser, pool: UserPool, sms_outbox: list[SmsMessage]
) -> None:
    alice.pool = user_pool_set_mfa_config(
        pool=pool,
        settings={
            "MfaConfiguration": "OPTIONAL",
            "SmsMfaConfiguration": {"SmsConfiguration": SMS_CONFIGURATION},
        },
    )
    mfa_preference_set(user=alice, preferences={"SMSMfaSettings": {"Enabled": True}})
    browser = Browser(url)
    page = browser.submit(_login(browser, web), username="alice", method="EMAIL_OTP")
    assert "not set up for your account" in page.text

    mfa = browser.submit(page, username="alice", password=PASSWORD)
    assert "Multi-factor authentication" in mfa.text
    reached_the_app(browser.submit(mfa, code=sent_code(sms_outbox[-1].body)))


def test_a_method_the_pool_does_not_allow_is_the_password_form(
    url: str, alice: PoolUser, mailoutbox: list[EmailMessage]
) -> None:
    client = web_app(passwordless_pool(["PASSWORD"]), AllowedOAuthScopes=OIDC_SCOPES)
    make_user(
        pool=client.pool,
        username="alice",
        password=PASSWORD,
        email="alice@example.com",
        email_verified="true",
    )
    browser = Browser(url)
    page = browser.submit(_login(browser, client), username="alice", method="EMAIL_OTP")

    assert page.status_code == 400
    assert "Enter your password." in page.text
    assert mailoutbox == []
    assert not RefreshToken.objects.exists()
