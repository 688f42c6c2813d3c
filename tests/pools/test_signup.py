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
    AliasExistsException,
    CodeMismatchException,
    ExpiredCodeException,
    InvalidParameterException,
    InvalidPasswordException,
    LimitExceededException,
    NotAuthorizedException,
    UsernameExistsException,
    UserNotFoundException,
)
from pools.models import AppClient, CodePurpose, PoolUser, UserPool, UserStatus, VerificationCode
from pools.services.clients import app_client_secret
from pools.services.codes import code_send
from pools.services.passwords import password_check
from pools.services.signup import confirmation_code_resend, sign_up, sign_up_confirm
from pools.services.sms import SmsMessage
from tests.builders import make_app_client, make_user, make_user_pool, sent_code
from tests.conftest import Clock

# Committed transactions, as in a request: codes go out on commit, and a wrong code's count
# must survive the failed request.
pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Passw0rd!"


@pytest.fixture
def email_pool() -> UserPool:
    return make_user_pool(AutoVerifiedAttributes=["email"])


@pytest.fixture
def client(email_pool: UserPool) -> AppClient:
    return make_app_client(pool=email_pool)


def _sign_up(client: AppClient, username: str = "dora", **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("password", PASSWORD)
    kwargs.setdefault("attributes", {"email": "dora@example.com"})
    return sign_up(client=client, username=username, **kwargs)


def _user(pool: UserPool, username: str = "dora") -> PoolUser:
    return PoolUser.objects.get(pool=pool, username_key=username.lower())


def _refused(error: type[ServiceError], message: str | None, call: Any, **kwargs: Any) -> None:
    with pytest.raises(error) as caught:
        call(**kwargs)
    if message is not None:
        assert caught.value.message == message


def _nothing_signed_up(pool: UserPool, mailoutbox: list[EmailMessage]) -> None:
    assert not PoolUser.objects.filter(pool=pool).exists()
    assert not VerificationCode.objects.exists()
    assert mailoutbox == []
    assert UserPool.objects.get(pk=pool.pk).estimated_number_of_users == 0


def _hash(secret: str, username: str, client: AppClient) -> str:
    mac = hmac.new(secret.encode(), (username + client.client_id).encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


# --- SignUp ----------------------------------------------------------------------------------


def test_sign_up_makes_an_unconfirmed_user_and_sends_a_code(
    client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    result = _sign_up(client, attributes={"email": "dora@example.com", "name": "Dora"})
    user = _user(client.pool)
    assert result == {
        "UserConfirmed": False,
        "UserSub": str(user.sub),
        "CodeDeliveryDetails": {
            "Destination": "d***@e***",
            "DeliveryMedium": "EMAIL",
            "AttributeName": "email",
        },
    }
    assert user.status == UserStatus.UNCONFIRMED
    assert (user.email, user.name, user.email_verified) == ("dora@example.com", "Dora", None)
    assert password_check(user=user, password=PASSWORD)
    assert user.srp_verifier_sealed
    assert UserPool.objects.get(pk=client.pool.pk).estimated_number_of_users == 1
    [message] = mailoutbox
    assert message.to == ["dora@example.com"]
    assert message.subject == "Your verification code"
    assert VerificationCode.objects.get(user=user).purpose == CodePurpose.SIGN_UP


def test_without_auto_verified_attributes_no_code_is_sent(
    pool: UserPool, app_client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    result = _sign_up(app_client)
    assert set(result) == {"UserConfirmed", "UserSub"}
    assert _user(pool).status == UserStatus.UNCONFIRMED
    assert mailoutbox == []
    assert not VerificationCode.objects.exists()


def test_a_pool_verifying_phone_numbers_sends_the_code_by_sms(
    sms_outbox: list[SmsMessage], mailoutbox: list[EmailMessage]
) -> None:
    pool = make_user_pool(AutoVerifiedAttributes=["email", "phone_number"])
    result = _sign_up(
        make_app_client(pool=pool),
        attributes={"email": "dora@example.com", "phone_number": "+14325551212"},
    )
    assert result["CodeDeliveryDetails"]["DeliveryMedium"] == "SMS"
    [sms] = sms_outbox
    assert sms.destination == "+14325551212"
    assert mailoutbox == []


def test_admin_create_user_only_pools_refuse_sign_up(mailoutbox: list[EmailMessage]) -> None:
    pool = make_user_pool(AdminCreateUserConfig={"AllowAdminCreateUserOnly": True})
    _refused(
        NotAuthorizedException,
        "SignUp is not permitted for this user pool",
        _sign_up,
        client=make_app_client(pool=pool),
    )
    _nothing_signed_up(pool, mailoutbox)


def test_a_client_with_a_secret_must_prove_it(mailoutbox: list[EmailMessage]) -> None:
    pool = make_user_pool(AutoVerifiedAttributes=["email"])
    client = make_app_client(pool=pool, GenerateSecret=True)
    secret = app_client_secret(client=client)
    assert secret is not None
    _refused(
        NotAuthorizedException,
        f"Client {client.client_id} is configured for secret but secret was not received",
        _sign_up,
        client=client,
    )
    _refused(
        NotAuthorizedException,
        f"Unable to verify secret hash for client {client.client_id}",
        _sign_up,
        client=client,
        secret_hash=_hash(secret, "someone-else", client),
    )
    _nothing_signed_up(pool, mailoutbox)
    _sign_up(client, secret_hash=_hash(secret, "dora", client))
    assert _user(pool).status == UserStatus.UNCONFIRMED


def test_a_client_without_a_secret_must_not_send_a_hash(
    client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    _refused(
        InvalidParameterException,
        f"App client {client.client_id} is not configured for secret but secret hash was received",
        _sign_up,
        client=client,
        secret_hash="c2VjcmV0",
    )
    _nothing_signed_up(client.pool, mailoutbox)


def test_only_the_clients_write_attributes_may_be_given(
    email_pool: UserPool, mailoutbox: list[EmailMessage]
) -> None:
    client = make_app_client(pool=email_pool, WriteAttributes=["email", "name"])
    _refused(
        NotAuthorizedException,
        "A client attempted to write unauthorized attribute",
        _sign_up,
        client=client,
        attributes={"email": "dora@example.com", "nickname": "D"},
    )
    _nothing_signed_up(email_pool, mailoutbox)
    _sign_up(client, attributes={"email": "dora@example.com", "name": "Dora"})


def test_users_cannot_declare_their_own_addresses_verified(
    client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    _refused(
        NotAuthorizedException,
        "A client attempted to write unauthorized attribute",
        _sign_up,
        client=client,
        attributes={"email": "dora@example.com", "email_verified": "true"},
    )
    _nothing_signed_up(client.pool, mailoutbox)


def test_required_attributes_must_be_given(mailoutbox: list[EmailMessage]) -> None:
    pool = make_user_pool(
        Schema=[{"Name": "name", "AttributeDataType": "String", "Required": True}]
    )
    _refused(
        InvalidParameterException,
        "Attributes did not conform to the schema: name: The attribute is required",
        _sign_up,
        client=make_app_client(pool=pool),
    )
    _nothing_signed_up(pool, mailoutbox)


def test_the_password_must_meet_the_pools_policy(
    client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    _refused(
        InvalidPasswordException,
        "Password did not conform with policy: Password must have symbol characters",
        _sign_up,
        client=client,
        password="Passw0rdd",
    )
    _refused(InvalidParameterException, None, _sign_up, client=client, password="x" * 257)
    _nothing_signed_up(client.pool, mailoutbox)


def test_the_request_is_checked_against_the_model(
    client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    _refused(InvalidParameterException, None, _sign_up, client=client, username="has space")
    _refused(InvalidParameterException, None, _sign_up, client=client, username="x" * 129)
    _refused(
        InvalidParameterException,
        None,
        _sign_up,
        client=client,
        validation_data={"x" * 33: "too long a name"},
    )
    _nothing_signed_up(client.pool, mailoutbox)


def test_a_taken_username_is_refused_whatever_its_case(
    client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    make_user(pool=client.pool, username="dora")
    _refused(
        UsernameExistsException, "User already exists", _sign_up, client=client, username="DORA"
    )
    assert PoolUser.objects.filter(pool=client.pool).count() == 1
    assert mailoutbox == []


def test_email_sign_in_pools_take_the_email_as_username() -> None:
    pool = make_user_pool(UsernameAttributes=["email"], AutoVerifiedAttributes=["email"])
    client = make_app_client(pool=pool)
    result = sign_up(client=client, username="zoe@example.com", password=PASSWORD, attributes={})
    user = PoolUser.objects.get(pool=pool)
    assert user.username == result["UserSub"] == str(user.sub)
    assert user.email == "zoe@example.com"
    _refused(
        UsernameExistsException,
        "An account with the given email already exists.",
        sign_up,
        client=client,
        username="zoe@example.com",
        password=PASSWORD,
        attributes={},
    )
    _refused(
        InvalidParameterException,
        "Username should be an email.",
        sign_up,
        client=client,
        username="zoe",
        password=PASSWORD,
        attributes={},
    )
    assert PoolUser.objects.filter(pool=pool).count() == 1


def test_alias_pools_refuse_usernames_shaped_like_an_alias_and_taken_aliases() -> None:
    pool = make_user_pool(AliasAttributes=["email", "preferred_username"])
    client = make_app_client(pool=pool)
    make_user(pool=pool, username="taken", preferred_username="dee")
    _refused(
        InvalidParameterException,
        "Username cannot be of email format, since user pool is configured for email alias.",
        _sign_up,
        client=client,
        username="dora@example.com",
    )
    _refused(
        AliasExistsException,
        "An account with the given preferred_username already exists.",
        _sign_up,
        client=client,
        attributes={"preferred_username": "dee"},
    )
    assert PoolUser.objects.filter(pool=pool).count() == 1


# --- ConfirmSignUp ---------------------------------------------------------------------------


def _new_sign_up_code(client: AppClient, mailoutbox: list[EmailMessage]) -> str:
    """A new sign-up code, as ResendConfirmationCode sends it, without spending its allowance."""
    code_send(user=_user(client.pool), purpose=CodePurpose.SIGN_UP, medium="EMAIL", client=client)
    return sent_code(str(mailoutbox[-1].body))


def _signed_up(client: AppClient, mailoutbox: list[EmailMessage], **kwargs: Any) -> str:
    _sign_up(client, **kwargs)
    return sent_code(str(mailoutbox[-1].body))


def test_the_code_confirms_the_user_and_verifies_the_email(
    client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    code = _signed_up(client, mailoutbox)
    sign_up_confirm(client=client, username="dora", code=code)
    user = _user(client.pool)
    assert (user.status, user.email_verified) == (UserStatus.CONFIRMED, True)
    assert VerificationCode.objects.get(user=user).used_at is not None


def test_a_phone_code_verifies_the_phone_number(sms_outbox: list[SmsMessage]) -> None:
    pool = make_user_pool(AutoVerifiedAttributes=["phone_number"])
    client = make_app_client(pool=pool)
    _sign_up(client, attributes={"email": "d@example.com", "phone_number": "+14325551212"})
    sign_up_confirm(client=client, username="dora", code=sent_code(sms_outbox[0].body))
    user = _user(pool)
    assert (user.status, user.phone_number_verified, user.email_verified) == (
        UserStatus.CONFIRMED,
        True,
        None,
    )


def test_a_wrong_code_changes_nothing_but_its_count(
    client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    code = _signed_up(client, mailoutbox)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    _refused(
        CodeMismatchException,
        "Invalid verification code provided, please try again.",
        sign_up_confirm,
        client=client,
        username="dora",
        code=wrong,
    )
    user = _user(client.pool)
    assert (user.status, user.email_verified) == (UserStatus.UNCONFIRMED, None)
    row = VerificationCode.objects.get(user=user)
    assert (row.failed_attempts, row.used_at) == (1, None)
    sign_up_confirm(client=client, username="dora", code=code)


def test_an_expired_code_is_refused(
    clock: Clock, client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    code = _signed_up(client, mailoutbox)
    clock.advance(hours=24)
    _refused(ExpiredCodeException, None, sign_up_confirm, client=client, username="dora", code=code)
    assert _user(client.pool).status == UserStatus.UNCONFIRMED


def test_a_confirmed_user_cannot_be_confirmed_again(
    client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    code = _signed_up(client, mailoutbox)
    sign_up_confirm(client=client, username="dora", code=code)
    _refused(
        NotAuthorizedException,
        "User cannot be confirmed. Current status is CONFIRMED",
        sign_up_confirm,
        client=client,
        username="dora",
        code=code,
    )


def test_confirming_needs_the_secret_hash_too(mailoutbox: list[EmailMessage]) -> None:
    pool = make_user_pool(AutoVerifiedAttributes=["email"])
    client = make_app_client(pool=pool, GenerateSecret=True)
    secret = app_client_secret(client=client)
    assert secret is not None
    code = _signed_up(client, mailoutbox, secret_hash=_hash(secret, "dora", client))
    _refused(
        NotAuthorizedException, None, sign_up_confirm, client=client, username="dora", code=code
    )
    assert _user(pool).status == UserStatus.UNCONFIRMED
    sign_up_confirm(
        client=client, username="dora", code=code, secret_hash=_hash(secret, "dora", client)
    )
    assert _user(pool).status == UserStatus.CONFIRMED


def test_email_sign_in_users_confirm_with_their_email(mailoutbox: list[EmailMessage]) -> None:
    pool = make_user_pool(UsernameAttributes=["email"], AutoVerifiedAttributes=["email"])
    client = make_app_client(pool=pool)
    sign_up(client=client, username="zoe@example.com", password=PASSWORD, attributes={})
    code = sent_code(str(mailoutbox[0].body))
    sign_up_confirm(client=client, username="zoe@example.com", code=code)
    assert PoolUser.objects.get(pool=pool).status == UserStatus.CONFIRMED


def test_unknown_users_are_reported_to_legacy_clients(client: AppClient) -> None:
    _refused(
        UserNotFoundException,
        "Username/client id combination not found.",
        sign_up_confirm,
        client=client,
        username="ghost",
        code="123456",
    )


def test_unknown_users_get_a_code_mismatch_when_existence_is_hidden(
    email_pool: UserPool,
) -> None:
    client = make_app_client(pool=email_pool, PreventUserExistenceErrors="ENABLED")
    _refused(
        CodeMismatchException,
        "Invalid verification code provided, please try again.",
        sign_up_confirm,
        client=client,
        username="ghost",
        code="123456",
    )
    assert not PoolUser.objects.filter(pool=email_pool).exists()


def test_confirmation_attempts_are_limited_per_hour(
    clock: Clock, client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    code = _signed_up(client, mailoutbox)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for attempt in range(15):
        # Fresh codes, so that the per-code count is not what stops the attempts.
        if attempt % 4 == 0:
            _new_sign_up_code(client, mailoutbox)
        with pytest.raises(CodeMismatchException):
            sign_up_confirm(client=client, username="dora", code=wrong)
    code = _new_sign_up_code(client, mailoutbox)
    _refused(
        LimitExceededException,
        "Attempt limit exceeded, please try after some time.",
        sign_up_confirm,
        client=client,
        username="dora",
        code=code,
    )
    assert _user(client.pool).status == UserStatus.UNCONFIRMED
    clock.advance(hours=2)
    sign_up_confirm(client=client, username="dora", code=code)
    assert _user(client.pool).status == UserStatus.CONFIRMED


def test_a_taken_alias_is_refused_at_confirmation_unless_forced(
    mailoutbox: list[EmailMessage],
) -> None:
    pool = make_user_pool(AliasAttributes=["email"], AutoVerifiedAttributes=["email"])
    client = make_app_client(pool=pool)
    holder = make_user(
        pool=pool, username="holder", email="dora@example.com", email_verified="true"
    )
    code = _signed_up(client, mailoutbox)
    _refused(
        AliasExistsException,
        "An account with the given email already exists.",
        sign_up_confirm,
        client=client,
        username="dora",
        code=code,
    )
    user = _user(pool)
    assert (user.status, user.email_verified) == (UserStatus.UNCONFIRMED, None)
    assert VerificationCode.objects.get(user=user).used_at is None
    holder.refresh_from_db()
    assert holder.email_verified is True

    sign_up_confirm(client=client, username="dora", code=code, force_alias_creation=True)
    user.refresh_from_db()
    holder.refresh_from_db()
    assert (user.status, user.email_verified) == (UserStatus.CONFIRMED, True)
    assert (holder.email, holder.email_verified) == ("dora@example.com", False)


def test_the_link_in_a_confirm_with_link_email_confirms(mailoutbox: list[EmailMessage]) -> None:
    pool = make_user_pool(
        AutoVerifiedAttributes=["email"],
        VerificationMessageTemplate={"DefaultEmailOption": "CONFIRM_WITH_LINK"},
    )
    client = make_app_client(pool=pool)
    _sign_up(client)
    # The plain-text part writes the link as `Verify Email (<address>)`.
    body = str(mailoutbox[0].body)
    code = body.split("confirmation_code=", 1)[1].split(")", 1)[0]
    sign_up_confirm(client=client, username="dora", code=code)
    assert _user(pool).status == UserStatus.CONFIRMED


# --- ResendConfirmationCode ------------------------------------------------------------------


def test_resending_replaces_the_code(client: AppClient, mailoutbox: list[EmailMessage]) -> None:
    _signed_up(client, mailoutbox)
    first = VerificationCode.objects.get()
    result = confirmation_code_resend(client=client, username="dora")
    assert result == {
        "CodeDeliveryDetails": {
            "Destination": "d***@e***",
            "DeliveryMedium": "EMAIL",
            "AttributeName": "email",
        }
    }
    second = sent_code(str(mailoutbox[1].body))
    assert VerificationCode.objects.get().pk > first.pk
    sign_up_confirm(client=client, username="dora", code=second)
    assert _user(client.pool).status == UserStatus.CONFIRMED


def test_resending_needs_a_pool_that_verifies_automatically(
    pool: UserPool, app_client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    _sign_up(app_client)
    _refused(
        InvalidParameterException,
        "Cannot resend codes. Auto verification not turned on.",
        confirmation_code_resend,
        client=app_client,
        username="dora",
    )
    assert mailoutbox == []
    assert not VerificationCode.objects.exists()


def test_resending_needs_an_address_to_verify(
    client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    _sign_up(client, attributes={})
    _refused(
        InvalidParameterException, None, confirmation_code_resend, client=client, username="dora"
    )
    assert mailoutbox == []


def test_confirmed_users_get_no_new_code(client: AppClient, mailoutbox: list[EmailMessage]) -> None:
    make_user(pool=client.pool, username="dora", email="dora@example.com")
    _refused(
        InvalidParameterException,
        "User is already confirmed.",
        confirmation_code_resend,
        client=client,
        username="dora",
    )
    assert mailoutbox == []
    assert not VerificationCode.objects.exists()


def test_resending_to_unknown_users(email_pool: UserPool, mailoutbox: list[EmailMessage]) -> None:
    legacy = make_app_client(pool=email_pool)
    _refused(
        UserNotFoundException,
        "Username/client id combination not found.",
        confirmation_code_resend,
        client=legacy,
        username="ghost",
    )
    hiding = make_app_client(pool=email_pool, PreventUserExistenceErrors="ENABLED")
    result = confirmation_code_resend(client=hiding, username="ghost")
    assert result["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    assert result == confirmation_code_resend(client=hiding, username="ghost")
    assert mailoutbox == []
    assert not VerificationCode.objects.exists()


def test_resending_is_limited_to_five_an_hour(
    clock: Clock, client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    _sign_up(client)
    for _ in range(5):
        confirmation_code_resend(client=client, username="dora")
    _refused(
        LimitExceededException,
        "Attempt limit exceeded, please try after some time.",
        confirmation_code_resend,
        client=client,
        username="dora",
    )
    assert len(mailoutbox) == 6
    clock.advance(hours=2)
    confirmation_code_resend(client=client, username="dora")
    assert len(mailoutbox) == 7


def test_sign_up_codes_never_reach_the_logs(
    caplog: pytest.LogCaptureFixture, client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    caplog.set_level(logging.DEBUG)
    code = _signed_up(client, mailoutbox)
    confirmation_code_resend(client=client, username="dora")
    resent = sent_code(str(mailoutbox[-1].body))
    sign_up_confirm(client=client, username="dora", code=resent)
    assert all(c not in record.getMessage() for record in caplog.records for c in (code, resent))
