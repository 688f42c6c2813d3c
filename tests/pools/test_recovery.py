from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from typing import Any

import pytest
from django.core.mail import EmailMessage

from cognitoadmin.errors import ServiceError
from pools.errors import (
    CodeMismatchException,
    ExpiredCodeException,
    InvalidParameterException,
    InvalidPasswordException,
    LimitExceededException,
    NotAuthorizedException,
    UserNotFoundException,
)
from pools.models import (
    AppClient,
    CodePurpose,
    PoolUser,
    RefreshToken,
    UserPool,
    UserStatus,
    VerificationCode,
)
from pools.services.clients import app_client_secret
from pools.services.passwords import password_check
from pools.services.recovery import password_forgot, password_forgot_confirm
from pools.services.sms import SmsMessage
from pools.services.tokens import tokens_issue
from pools.services.users import user_disable, user_reset_password
from pools.services.verification import access_token_verify
from tests.builders import make_app_client, make_user, make_user_pool, sent_code
from tests.conftest import Clock

# Committed transactions, as in a request: codes go out on commit, and a wrong code's count
# must survive the failed request.
pytestmark = pytest.mark.django_db(transaction=True)

OLD = "Passw0rd!"
NEW = "N3w-passw0rd"
NO_DESTINATION = (
    "Cannot reset password for the user as there is no registered/verified email or phone_number"
)


def _refused(error: type[ServiceError], message: str | None, call: Any, **kwargs: Any) -> None:
    with pytest.raises(error) as caught:
        call(**kwargs)
    if message is not None:
        assert caught.value.message == message


def _unchanged(user: PoolUser) -> None:
    stored = PoolUser.objects.get(pk=user.pk)
    assert (stored.password, stored.status, stored.tokens_valid_after) == (
        user.password,
        user.status,
        user.tokens_valid_after,
    )


def _forgot(client: AppClient, mailoutbox: list[EmailMessage], username: str = "alice") -> str:
    password_forgot(client=client, username=username)
    return sent_code(str(mailoutbox[-1].body))


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# --- ForgotPassword --------------------------------------------------------------------------


def test_a_reset_code_goes_to_the_verified_email(
    user: PoolUser, app_client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    result = password_forgot(client=app_client, username="alice")
    assert result == {
        "CodeDeliveryDetails": {
            "Destination": "a***@e***",
            "DeliveryMedium": "EMAIL",
            "AttributeName": "email",
        }
    }
    [message] = mailoutbox
    assert message.to == ["alice@example.com"]
    assert message.subject == "Your verification code"
    assert VerificationCode.objects.get(user=user).purpose == CodePurpose.FORGOT_PASSWORD
    _unchanged(user)


def test_the_pools_recovery_priority_picks_the_medium(
    sms_outbox: list[SmsMessage], mailoutbox: list[EmailMessage]
) -> None:
    pool = make_user_pool(
        AccountRecoverySetting={
            "RecoveryMechanisms": [
                {"Name": "verified_phone_number", "Priority": 1},
                {"Name": "verified_email", "Priority": 2},
            ]
        }
    )
    make_user(
        pool=pool,
        username="pat",
        password=OLD,
        email="pat@example.com",
        email_verified="true",
        phone_number="+14325551212",
        phone_number_verified="true",
    )
    result = password_forgot(client=make_app_client(pool=pool), username="pat")
    assert result["CodeDeliveryDetails"]["DeliveryMedium"] == "SMS"
    [sms] = sms_outbox
    assert sms.destination == "+14325551212"
    assert mailoutbox == []


def _recovery(*names: str) -> dict[str, Any]:
    mechanisms = [{"Name": name, "Priority": index} for index, name in enumerate(names, start=1)]
    return {"AccountRecoverySetting": {"RecoveryMechanisms": mechanisms}}


@pytest.mark.parametrize(
    ("settings", "attributes"),
    [
        ({}, {"email": "u@example.com"}),
        ({}, {}),
        (_recovery("admin_only"), {"email": "u@example.com", "email_verified": "true"}),
        (_recovery("verified_phone_number"), {"email": "u@example.com", "email_verified": "true"}),
    ],
)
def test_without_a_usable_verified_address_there_is_no_reset(
    settings: dict[str, Any], attributes: dict[str, str], mailoutbox: list[EmailMessage]
) -> None:
    pool = make_user_pool(**settings)
    user = make_user(pool=pool, username="u", password=OLD, **attributes)
    _refused(
        InvalidParameterException,
        NO_DESTINATION,
        password_forgot,
        client=make_app_client(pool=pool),
        username="u",
    )
    assert mailoutbox == []
    assert not VerificationCode.objects.exists()
    _unchanged(user)


def test_a_disabled_user_cannot_reset(
    user: PoolUser, app_client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    user = user_disable(user=user)
    _refused(
        NotAuthorizedException,
        "User is disabled.",
        password_forgot,
        client=app_client,
        username="alice",
    )
    assert mailoutbox == []
    assert not VerificationCode.objects.exists()


def test_a_user_who_never_chose_a_password_cannot_reset(
    pool: UserPool, app_client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    user = make_user(pool=pool, username="fresh", email="f@example.com", email_verified="true")
    assert user.status == UserStatus.FORCE_CHANGE_PASSWORD
    _refused(
        NotAuthorizedException,
        "User password cannot be reset in the current state.",
        password_forgot,
        client=app_client,
        username="fresh",
    )
    assert mailoutbox == []
    _unchanged(user)


def test_a_verified_alias_names_the_user(mailoutbox: list[EmailMessage]) -> None:
    pool = make_user_pool(AliasAttributes=["email"])
    make_user(
        pool=pool, username="alice", password=OLD, email="alice@example.com", email_verified="true"
    )
    client = make_app_client(pool=pool)
    code = _forgot(client, mailoutbox, username="alice@example.com")
    password_forgot_confirm(client=client, username="alice@example.com", code=code, password=NEW)
    assert password_check(user=PoolUser.objects.get(pool=pool), password=NEW)


def test_unknown_users_when_existence_is_reported_or_hidden(
    pool: UserPool, mailoutbox: list[EmailMessage]
) -> None:
    _refused(
        UserNotFoundException,
        "Username/client id combination not found.",
        password_forgot,
        client=make_app_client(pool=pool),
        username="ghost",
    )
    hiding = make_app_client(pool=pool, PreventUserExistenceErrors="ENABLED")
    result = password_forgot(client=hiding, username="ghost")
    assert result["CodeDeliveryDetails"]["AttributeName"] in {"email", "phone_number"}
    assert result == password_forgot(client=hiding, username="ghost")
    assert mailoutbox == []
    assert not VerificationCode.objects.exists()


def test_forgot_password_needs_the_secret_hash(
    user: PoolUser, pool: UserPool, mailoutbox: list[EmailMessage]
) -> None:
    client = make_app_client(pool=pool, GenerateSecret=True)
    secret = app_client_secret(client=client)
    assert secret is not None
    _refused(NotAuthorizedException, None, password_forgot, client=client, username="alice")
    assert mailoutbox == []
    mac = hmac.new(secret.encode(), ("alice" + client.client_id).encode(), hashlib.sha256)
    password_forgot(
        client=client, username="alice", secret_hash=base64.b64encode(mac.digest()).decode()
    )
    assert len(mailoutbox) == 1


def test_forgot_password_is_limited_to_five_an_hour(
    clock: Clock, user: PoolUser, app_client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    for _ in range(5):
        password_forgot(client=app_client, username="alice")
    _refused(
        LimitExceededException,
        "Attempt limit exceeded, please try after some time.",
        password_forgot,
        client=app_client,
        username="alice",
    )
    assert len(mailoutbox) == 5
    clock.advance(hours=2)
    password_forgot(client=app_client, username="alice")


# --- ConfirmForgotPassword -------------------------------------------------------------------


def test_the_code_and_a_new_password_reset_the_password_and_sign_out(
    user: PoolUser, app_client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    tokens = tokens_issue(user=user, client=app_client)
    code = _forgot(app_client, mailoutbox)
    password_forgot_confirm(client=app_client, username="alice", code=code, password=NEW)
    stored = PoolUser.objects.get(pk=user.pk)
    assert password_check(user=stored, password=NEW)
    assert not password_check(user=stored, password=OLD)
    assert stored.status == UserStatus.CONFIRMED
    assert not RefreshToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    with pytest.raises(NotAuthorizedException):
        access_token_verify(token=tokens["AccessToken"])
    _refused(
        ExpiredCodeException,
        None,
        password_forgot_confirm,
        client=app_client,
        username="alice",
        code=code,
        password="An0ther-passw0rd",
    )
    assert password_check(user=PoolUser.objects.get(pk=user.pk), password=NEW)


def test_an_administrators_reset_sends_the_code_that_finishes_it(
    user: PoolUser, app_client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    user_reset_password(user=user)
    assert PoolUser.objects.get(pk=user.pk).status == UserStatus.RESET_REQUIRED
    [message] = mailoutbox
    password_forgot_confirm(
        client=app_client, username="alice", code=sent_code(str(message.body)), password=NEW
    )
    stored = PoolUser.objects.get(pk=user.pk)
    assert stored.status == UserStatus.CONFIRMED
    assert password_check(user=stored, password=NEW)


def test_a_reset_required_user_may_ask_for_another_code(
    user: PoolUser, app_client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    user_reset_password(user=user)
    code = _forgot(app_client, mailoutbox)
    password_forgot_confirm(client=app_client, username="alice", code=code, password=NEW)
    assert PoolUser.objects.get(pk=user.pk).status == UserStatus.CONFIRMED


def test_a_wrong_code_changes_nothing_but_its_count(
    user: PoolUser, app_client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    code = _forgot(app_client, mailoutbox)
    user.refresh_from_db()
    _refused(
        CodeMismatchException,
        "Invalid verification code provided, please try again.",
        password_forgot_confirm,
        client=app_client,
        username="alice",
        code=_wrong(code),
        password=NEW,
    )
    _unchanged(user)
    assert VerificationCode.objects.get(user=user).failed_attempts == 1


def test_a_reset_code_lasts_an_hour(
    clock: Clock, user: PoolUser, app_client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    code = _forgot(app_client, mailoutbox)
    user.refresh_from_db()
    clock.advance(hours=1)
    _refused(
        ExpiredCodeException,
        "Invalid code provided, please request a code again.",
        password_forgot_confirm,
        client=app_client,
        username="alice",
        code=code,
        password=NEW,
    )
    _unchanged(user)


def test_the_new_password_must_meet_the_policy_and_the_code_survives(
    user: PoolUser, app_client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    code = _forgot(app_client, mailoutbox)
    user.refresh_from_db()
    _refused(
        InvalidPasswordException,
        "Password did not conform with policy: Password not long enough",
        password_forgot_confirm,
        client=app_client,
        username="alice",
        code=code,
        password="Sh0rt!",
    )
    _unchanged(user)
    password_forgot_confirm(client=app_client, username="alice", code=code, password=NEW)


def test_confirming_for_unknown_users(pool: UserPool) -> None:
    _refused(
        UserNotFoundException,
        "Username/client id combination not found.",
        password_forgot_confirm,
        client=make_app_client(pool=pool),
        username="ghost",
        code="123456",
        password=NEW,
    )
    _refused(
        CodeMismatchException,
        "Invalid verification code provided, please try again.",
        password_forgot_confirm,
        client=make_app_client(pool=pool, PreventUserExistenceErrors="ENABLED"),
        username="ghost",
        code="123456",
        password=NEW,
    )


def test_a_user_disabled_meanwhile_cannot_finish(
    user: PoolUser, app_client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    code = _forgot(app_client, mailoutbox)
    user = user_disable(user=user)
    user.refresh_from_db()
    _refused(
        NotAuthorizedException,
        "User is disabled.",
        password_forgot_confirm,
        client=app_client,
        username="alice",
        code=code,
        password=NEW,
    )
    _unchanged(user)
    assert VerificationCode.objects.get(user=user).used_at is None


def test_confirmations_are_limited_per_hour(
    clock: Clock, user: PoolUser, app_client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    for attempt in range(15):
        if attempt % 5 == 0:
            code = _forgot(app_client, mailoutbox)
        with pytest.raises(CodeMismatchException):
            password_forgot_confirm(
                client=app_client, username="alice", code=_wrong(code), password=NEW
            )
    code = _forgot(app_client, mailoutbox)
    user.refresh_from_db()
    _refused(
        LimitExceededException,
        "Attempt limit exceeded, please try after some time.",
        password_forgot_confirm,
        client=app_client,
        username="alice",
        code=code,
        password=NEW,
    )
    _unchanged(user)
    clock.advance(hours=2)
    code = _forgot(app_client, mailoutbox)
    password_forgot_confirm(client=app_client, username="alice", code=code, password=NEW)


def test_reset_codes_never_reach_the_logs(
    caplog: pytest.LogCaptureFixture,
    user: PoolUser,
    app_client: AppClient,
    mailoutbox: list[EmailMessage],
) -> None:
    caplog.set_level(logging.DEBUG)
    code = _forgot(app_client, mailoutbox)
    with pytest.raises(CodeMismatchException):
        password_forgot_confirm(
            client=app_client, username="alice", code=_wrong(code), password=NEW
        )
    password_forgot_confirm(client=app_client, username="alice", code=code, password=NEW)
    assert all(code not in record.getMessage() for record in caplog.records)
