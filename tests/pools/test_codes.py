from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives
from pytest_django import DjangoCaptureOnCommitCallbacks

from cognitoadmin.crypto import digest
from pools.errors import CodeMismatchException, ExpiredCodeException, InvalidParameterException
from pools.models import AppClient, CodePurpose, PoolUser, UserPool, VerificationCode
from pools.services.codes import (
    DIGEST_PURPOSE,
    MAX_FAILED_ATTEMPTS,
    code_check,
    code_delivery_simulated,
    code_issue,
    code_medium_for_recovery,
    code_medium_for_sign_up,
    code_send,
)
from pools.services.sms import SmsMessage
from tests.builders import make_app_client, make_user, make_user_pool, sent_code
from tests.conftest import Clock

pytestmark = pytest.mark.django_db


def _use(user: PoolUser, purpose: CodePurpose, code: str) -> None:
    with code_check(user=user, purpose=purpose, code=code):
        pass


def _row(user: PoolUser, purpose: CodePurpose = CodePurpose.SIGN_UP) -> VerificationCode:
    return VerificationCode.objects.get(user=user, purpose=purpose)


# --- issuing ---------------------------------------------------------------------------------


def test_a_code_is_six_digits_stored_only_as_a_digest(user: PoolUser) -> None:
    codes = {code_issue(user=user, purpose=CodePurpose.SIGN_UP) for _ in range(20)}
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    assert len(codes) > 1
    [row] = VerificationCode.objects.filter(user=user)
    assert row.pool_id == user.pool_id
    assert len(row.code_digest) == 64
    assert not any(code in row.code_digest for code in codes)
    assert row.code_digest != digest(codes.pop(), purpose=DIGEST_PURPOSE)


@pytest.mark.parametrize(
    ("purpose", "validity"),
    [
        (CodePurpose.SIGN_UP, dt.timedelta(hours=24)),
        (CodePurpose.VERIFY_EMAIL, dt.timedelta(hours=24)),
        (CodePurpose.VERIFY_PHONE_NUMBER, dt.timedelta(hours=24)),
        (CodePurpose.FORGOT_PASSWORD, dt.timedelta(hours=1)),
    ],
)
def test_codes_are_valid_as_long_as_cognitos(
    clock: Clock, pool: UserPool, purpose: CodePurpose, validity: dt.timedelta
) -> None:
    user = make_user(pool=pool, email="u@example.com", phone_number="+14325551212")
    code = code_issue(user=user, purpose=purpose)
    assert _row(user, purpose).expires_at == clock.now + validity
    clock.advance(seconds=validity.total_seconds() - 1)
    _use(user, purpose, code)

    code = code_issue(user=user, purpose=purpose)
    clock.advance(seconds=validity.total_seconds())
    with pytest.raises(ExpiredCodeException):
        _use(user, purpose, code)
    assert _row(user, purpose).used_at is None


def test_a_new_code_replaces_the_older_one_of_its_purpose(user: PoolUser) -> None:
    old = code_issue(user=user, purpose=CodePurpose.SIGN_UP)
    reset = code_issue(user=user, purpose=CodePurpose.FORGOT_PASSWORD)
    new = old
    while new == old:  # one chance in a million that a new code repeats the old one
        new = code_issue(user=user, purpose=CodePurpose.SIGN_UP)
    assert VerificationCode.objects.filter(user=user, purpose=CodePurpose.SIGN_UP).count() == 1
    with pytest.raises(CodeMismatchException):
        _use(user, CodePurpose.SIGN_UP, old)
    _use(user, CodePurpose.SIGN_UP, new)
    _use(user, CodePurpose.FORGOT_PASSWORD, reset)


# --- checking --------------------------------------------------------------------------------


def test_a_code_works_once(user: PoolUser) -> None:
    code = code_issue(user=user, purpose=CodePurpose.SIGN_UP)
    _use(user, CodePurpose.SIGN_UP, code)
    assert _row(user).used_at is not None
    with pytest.raises(ExpiredCodeException) as caught:
        _use(user, CodePurpose.SIGN_UP, code)
    assert caught.value.message == "Invalid code provided, please request a code again."


def test_without_a_code_the_answer_is_to_request_one(user: PoolUser) -> None:
    with pytest.raises(ExpiredCodeException):
        _use(user, CodePurpose.FORGOT_PASSWORD, "123456")
    assert not VerificationCode.objects.filter(user=user).exists()


def test_a_wrong_code_is_a_mismatch_and_is_counted(user: PoolUser) -> None:
    code = code_issue(user=user, purpose=CodePurpose.SIGN_UP)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with pytest.raises(CodeMismatchException) as caught:
        _use(user, CodePurpose.SIGN_UP, wrong)
    assert caught.value.message == "Invalid verification code provided, please try again."
    row = _row(user)
    assert (row.failed_attempts, row.used_at) == (1, None)
    _use(user, CodePurpose.SIGN_UP, code)


def test_a_code_mistyped_too_often_stops_working(user: PoolUser) -> None:
    code = code_issue(user=user, purpose=CodePurpose.SIGN_UP)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(MAX_FAILED_ATTEMPTS):
        with pytest.raises(CodeMismatchException):
            _use(user, CodePurpose.SIGN_UP, wrong)
    with pytest.raises(ExpiredCodeException):
        _use(user, CodePurpose.SIGN_UP, code)
    row = _row(user)
    assert (row.failed_attempts, row.used_at) == (MAX_FAILED_ATTEMPTS, None)
    # A new code works again.
    _use(user, CodePurpose.SIGN_UP, code_issue(user=user, purpose=CodePurpose.SIGN_UP))


def test_a_code_is_the_users_own_and_for_its_purpose_only(pool: UserPool) -> None:
    alice = make_user(pool=pool, username="alice")
    bob = make_user(pool=pool, username="bob")
    code = code_issue(user=alice, purpose=CodePurpose.SIGN_UP)
    code_issue(user=bob, purpose=CodePurpose.SIGN_UP)
    code_issue(user=alice, purpose=CodePurpose.FORGOT_PASSWORD)
    with pytest.raises(CodeMismatchException):
        _use(bob, CodePurpose.SIGN_UP, code)
    with pytest.raises(CodeMismatchException):
        _use(alice, CodePurpose.FORGOT_PASSWORD, code)
    _use(alice, CodePurpose.SIGN_UP, code)


def test_an_attribute_code_verifies_only_the_address_it_was_sent_to(user: PoolUser) -> None:
    code = code_issue(user=user, purpose=CodePurpose.VERIFY_EMAIL)
    user.email = "other@example.com"
    with pytest.raises(CodeMismatchException):
        _use(user, CodePurpose.VERIFY_EMAIL, code)
    user.email = "alice@example.com"
    _use(user, CodePurpose.VERIFY_EMAIL, code)


def test_the_code_stays_unused_when_what_it_was_for_fails(user: PoolUser) -> None:
    code = code_issue(user=user, purpose=CodePurpose.SIGN_UP)
    with (
        pytest.raises(InvalidParameterException),
        code_check(user=user, purpose=CodePurpose.SIGN_UP, code=code),
    ):
        PoolUser.objects.filter(pk=user.pk).update(name="changed")
        raise InvalidParameterException("what the code was for failed")
    assert _row(user).used_at is None
    assert PoolUser.objects.get(pk=user.pk).name == ""
    _use(user, CodePurpose.SIGN_UP, code)


# --- where codes go --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("auto_verified", "attributes", "medium"),
    [
        (["email"], {"email": "e@example.com", "phone_number": "+14325551212"}, "EMAIL"),
        (["phone_number"], {"email": "e@example.com", "phone_number": "+14325551212"}, "SMS"),
        (["email", "phone_number"], {"email": "e@ex.com", "phone_number": "+14325551212"}, "SMS"),
        (["email", "phone_number"], {"email": "e@example.com"}, "EMAIL"),
        (["phone_number"], {"email": "e@example.com"}, None),
        ([], {"email": "e@example.com", "phone_number": "+14325551212"}, None),
    ],
)
def test_sign_up_codes_go_to_the_auto_verified_attribute(
    auto_verified: list[str], attributes: dict[str, str], medium: str | None
) -> None:
    pool = make_user_pool(AutoVerifiedAttributes=auto_verified)
    user = make_user(pool=pool, **attributes)
    assert code_medium_for_sign_up(user=user) == medium


def _recovery_pool(*names: str) -> UserPool:
    mechanisms = [{"Name": name, "Priority": index} for index, name in enumerate(names, start=1)]
    settings: dict[str, Any] = (
        {"AccountRecoverySetting": {"RecoveryMechanisms": mechanisms}} if names else {}
    )
    return make_user_pool(**settings)


@pytest.mark.parametrize(
    ("mechanisms", "verified", "medium"),
    [
        (("verified_email", "verified_phone_number"), ("email", "phone_number"), "EMAIL"),
        (("verified_phone_number", "verified_email"), ("email", "phone_number"), "SMS"),
        (("verified_email", "verified_phone_number"), ("phone_number",), "SMS"),
        (("verified_email",), ("phone_number",), None),
        (("admin_only",), ("email", "phone_number"), None),
        ((), ("email", "phone_number"), "SMS"),
        ((), ("email",), "EMAIL"),
        ((), (), None),
    ],
)
def test_reset_codes_go_to_the_first_verified_recovery_address(
    mechanisms: tuple[str, ...], verified: tuple[str, ...], medium: str | None
) -> None:
    pool = _recovery_pool(*mechanisms)
    user = make_user(
        pool=pool,
        email="e@example.com",
        phone_number="+14325551212",
        **{f"{attribute}_verified": "true" for attribute in verified},
    )
    if medium is None:
        with pytest.raises(InvalidParameterException) as caught:
            code_medium_for_recovery(user=user)
        assert caught.value.message == (
            "Cannot reset password for the user as there is no registered/verified email or "
            "phone_number"
        )
    else:
        assert code_medium_for_recovery(user=user) == medium


# --- messages --------------------------------------------------------------------------------


def _send(
    user: PoolUser,
    capture: Callable[..., Any],
    purpose: CodePurpose = CodePurpose.SIGN_UP,
    medium: Any = "EMAIL",
    client: AppClient | None = None,
) -> dict[str, Any]:
    with capture(execute=True):
        return code_send(user=user, purpose=purpose, medium=medium, client=client)


def test_a_code_is_sent_only_when_the_transaction_commits(
    user: PoolUser,
    mailoutbox: list[EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        details = code_send(
            user=user, purpose=CodePurpose.VERIFY_EMAIL, medium="EMAIL", client=None
        )
    assert details == {
        "Destination": "a***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    assert mailoutbox == []
    [send] = callbacks
    send()
    [message] = mailoutbox
    assert message.to == ["alice@example.com"]
    _use(user, CodePurpose.VERIFY_EMAIL, sent_code(str(message.body)))


def test_cognitos_default_messages(
    pool: UserPool,
    mailoutbox: list[EmailMessage],
    sms_outbox: list[SmsMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    user = make_user(pool=pool, email="e@example.com", phone_number="+14325551212")
    _send(user, django_capture_on_commit_callbacks)
    details = _send(user, django_capture_on_commit_callbacks, medium="SMS")
    assert details == {
        "Destination": "+*******1212",
        "DeliveryMedium": "SMS",
        "AttributeName": "phone_number",
    }
    [email] = mailoutbox
    [sms] = sms_outbox
    assert email.subject == "Your verification code"
    assert email.body == f"Your verification code is {sent_code(str(email.body))}."
    assert sms.destination == "+14325551212"
    assert sms.body == f"Your verification code is {sent_code(sms.body)}."
    _use(user, CodePurpose.SIGN_UP, sent_code(sms.body))


def test_the_pools_templates_are_used_with_their_placeholders(
    mailoutbox: list[EmailMessage],
    sms_outbox: list[SmsMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    pool = make_user_pool(
        VerificationMessageTemplate={
            "SmsMessage": "Code {####} for {username}",
            "EmailMessage": "Hello {username}, your code: {####}",
            "EmailSubject": "Welcome to the shop",
        }
    )
    user = make_user(pool=pool, username="dora", email="d@example.com", phone_number="+14325551212")
    for purpose in (CodePurpose.SIGN_UP, CodePurpose.FORGOT_PASSWORD, CodePurpose.VERIFY_EMAIL):
        _send(user, django_capture_on_commit_callbacks, purpose=purpose)
    _send(user, django_capture_on_commit_callbacks, medium="SMS")
    for message in mailoutbox:
        assert message.subject == "Welcome to the shop"
        assert message.body == f"Hello dora, your code: {sent_code(str(message.body))}"
    [sms] = sms_outbox
    assert sms.body == f"Code {sent_code(sms.body)} for dora"


def _link_pool(**template: str) -> UserPool:
    return make_user_pool(
        VerificationMessageTemplate={"DefaultEmailOption": "CONFIRM_WITH_LINK", **template}
    )


def _html(message: EmailMessage) -> str:
    assert isinstance(message, EmailMultiAlternatives)
    [(markup, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return str(markup)


def _link(body: str) -> dict[str, list[str]]:
    href = body.split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    parts = urlsplit(href)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "http://testserver/confirmUser"
    return parse_qs(parts.query)


def test_confirm_with_link_sends_a_link_to_the_confirmation_page(
    mailoutbox: list[EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    pool = _link_pool()
    client = make_app_client(pool=pool)
    user = make_user(pool=pool, username="eve", email="e@example.com")
    _send(user, django_capture_on_commit_callbacks, client=client)
    [message] = mailoutbox
    assert message.subject == "Your verification link"
    markup = _html(message)
    assert markup.startswith("Please click the link below to verify your email address. <a href=")
    assert markup.endswith(">Verify Email</a>")
    query = _link(markup)
    # The plain-text part writes the link as its text and address.
    assert message.body == (
        "Please click the link below to verify your email address. Verify Email "
        f"(http://testserver/confirmUser?{urlencode({k: v[0] for k, v in query.items()})})"
    )
    assert query["client_id"] == [client.client_id]
    assert query["user_name"] == ["eve"]
    _use(user, CodePurpose.SIGN_UP, query["confirmation_code"][0])


def test_confirm_with_link_uses_the_pools_link_template(
    mailoutbox: list[EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    pool = _link_pool(
        EmailMessageByLink="Welcome! {##Click here##} to finish signing up.",
        EmailSubjectByLink="Confirm your account",
    )
    user = make_user(pool=pool, username="a&b", email="e@example.com")
    _send(user, django_capture_on_commit_callbacks, client=make_app_client(pool=pool))
    [message] = mailoutbox
    assert message.subject == "Confirm your account"
    markup = _html(message)
    assert markup.startswith('Welcome! <a href="http://testserver/confirmUser?')
    assert markup.endswith(">Click here</a> to finish signing up.")
    assert _link(markup)["user_name"] == ["a&b"]
    assert message.body.startswith("Welcome! Click here (http://testserver/confirmUser?")


def test_only_sign_up_emails_carry_a_link(
    mailoutbox: list[EmailMessage],
    sms_outbox: list[SmsMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    pool = _link_pool()
    client = make_app_client(pool=pool)
    user = make_user(pool=pool, email="e@example.com", phone_number="+14325551212")
    _send(user, django_capture_on_commit_callbacks, CodePurpose.FORGOT_PASSWORD, client=client)
    _send(user, django_capture_on_commit_callbacks, CodePurpose.SIGN_UP, "SMS", client=client)
    [email] = mailoutbox
    [sms] = sms_outbox
    assert email.subject == "Your verification code"
    assert "href" not in email.body
    assert "href" not in sms.body
    _use(user, CodePurpose.FORGOT_PASSWORD, sent_code(str(email.body)))


def test_codes_never_reach_the_logs(
    caplog: pytest.LogCaptureFixture,
    user: PoolUser,
    mailoutbox: list[EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    caplog.set_level(logging.DEBUG)
    _send(user, django_capture_on_commit_callbacks)
    code = sent_code(str(mailoutbox[0].body))
    with pytest.raises(CodeMismatchException):
        _use(user, CodePurpose.SIGN_UP, f"{(int(code) + 1) % 1_000_000:06d}")
    _use(user, CodePurpose.SIGN_UP, code)
    assert all(code not in record.getMessage() for record in caplog.records)


# --- simulated deliveries --------------------------------------------------------------------


def test_unknown_users_get_a_stable_plausible_delivery() -> None:
    pool = make_user_pool()
    first = code_delivery_simulated(
        client=make_app_client(pool=pool), username="ghost", purpose=CodePurpose.SIGN_UP
    )
    again = code_delivery_simulated(
        client=make_app_client(pool=pool), username="GHOST", purpose=CodePurpose.SIGN_UP
    )
    assert first == again
    assert first["DeliveryMedium"] == "EMAIL"
    assert first["AttributeName"] == "email"
    local, _, domain = first["Destination"].partition("@")
    assert len(local) == 4 and local.endswith("***")
    assert len(domain) == 4 and domain.endswith("***")


def test_an_unknown_email_or_phone_is_masked_as_itself() -> None:
    pool = make_user_pool(
        AccountRecoverySetting={"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]}
    )
    assert code_delivery_simulated(
        client=make_app_client(pool=pool),
        username="zed@mail.org",
        purpose=CodePurpose.FORGOT_PASSWORD,
    ) == {"Destination": "z***@m***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    phone_pool = make_user_pool(AutoVerifiedAttributes=["phone_number"])
    assert code_delivery_simulated(
        client=make_app_client(pool=phone_pool),
        username="+15550001234",
        purpose=CodePurpose.SIGN_UP,
    ) == {
        "Destination": "+*******1234",
        "DeliveryMedium": "SMS",
        "AttributeName": "phone_number",
    }


@pytest.mark.parametrize(
    ("settings", "medium"),
    [
        ({"AccountRecoverySetting": {"RecoveryMechanisms": [
            {"Name": "verified_phone_number", "Priority": 1},
            {"Name": "verified_email", "Priority": 2},
        ]}}, "SMS"),
        ({"AccountRecoverySetting": {"RecoveryMechanisms": [
            {"Name": "verified_email", "Priority": 1},
        ]}}, "EMAIL"),
        ({"AutoVerifiedAttributes": ["phone_number"]}, "SMS"),
        ({"AutoVerifiedAttributes": ["email"]}, "EMAIL"),
    ],
)  # fmt: skip
def test_an_unknown_users_reset_goes_where_the_pool_would_send_it(
    settings: dict[str, Any], medium: str
) -> None:
    pool = make_user_pool(**settings)
    details = code_delivery_simulated(
        client=make_app_client(pool=pool), username="ghost", purpose=CodePurpose.FORGOT_PASSWORD
    )
    assert details["DeliveryMedium"] == medium


def test_an_unknown_user_of_an_admin_only_pool_is_told_what_a_real_one_is() -> None:
    pool = _recovery_pool("admin_only")
    with pytest.raises(InvalidParameterException) as caught:
        code_delivery_simulated(
            client=make_app_client(pool=pool), username="ghost", purpose=CodePurpose.FORGOT_PASSWORD
        )
    assert caught.value.message.startswith("Cannot reset password for the user")
