from __future__ import annotations

import itertools
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
)
from pools.models import AppClient, CodePurpose, PoolUser, UserPool, VerificationCode
from pools.selectors.users import profile_readable_attributes
from pools.services.passwords import password_check
from pools.services.profile import (
    attribute_verification_code_send,
    attribute_verify,
    password_change,
    profile_delete,
    profile_delete_attributes,
    profile_update_attributes,
)
from pools.services.sms import SmsMessage
from pools.services.tokens import tokens_issue
from pools.services.verification import access_token_verify
from tests.builders import make_app_client, make_user, make_user_pool, sent_code
from tests.conftest import Clock

# Committed transactions, as in a request: codes go out on commit, and a wrong code's count
# must survive the failed request.
pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Passw0rd!"
NEW = "N3w-passw0rd"


def _refused(error: type[ServiceError], message: str | None, call: Any, **kwargs: Any) -> None:
    with pytest.raises(error) as caught:
        call(**kwargs)
    if message is not None:
        assert caught.value.message == message


def _stored(user: PoolUser) -> PoolUser:
    return PoolUser.objects.get(pk=user.pk)


def _same_row(user: PoolUser) -> None:
    """Nothing about the user changed in the database."""
    stored = _stored(user)
    assert {f.attname: getattr(stored, f.attname) for f in PoolUser._meta.concrete_fields} == {
        f.attname: getattr(user, f.attname) for f in PoolUser._meta.concrete_fields
    }


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.fixture
def email_pool() -> UserPool:
    return make_user_pool(AutoVerifiedAttributes=["email"])


@pytest.fixture
def member(email_pool: UserPool) -> PoolUser:
    """A CONFIRMED user of `email_pool` with a verified email."""
    return make_user(
        pool=email_pool,
        username="mia",
        password=PASSWORD,
        email="mia@example.com",
        email_verified="true",
    )


@pytest.fixture
def client(email_pool: UserPool) -> AppClient:
    return make_app_client(pool=email_pool)


# --- GetUser ---------------------------------------------------------------------------------


def test_get_user_shows_sub_and_what_the_client_may_read() -> None:
    pool = make_user_pool(
        Schema=[
            {"Name": "tier", "AttributeDataType": "String"},
            {"Name": "score", "AttributeDataType": "Number", "DeveloperOnlyAttribute": True},
        ]
    )
    user = make_user(pool=pool, **{"email": "kim@example.com", "custom:tier": "gold"})
    user.custom_attributes["dev:custom:score"] = "7"
    narrow = make_app_client(pool=pool, ReadAttributes=["email", "custom:tier"])

    # `identities` is always readable, and shown only to a user who has linked identities.
    assert profile_readable_attributes(user=user, client=narrow) == [
        "sub",
        "email",
        "custom:tier",
        "identities",
    ]
    everything = profile_readable_attributes(user=user, client=make_app_client(pool=pool))
    assert everything[:3] == ["sub", "address", "birthdate"]
    assert "custom:tier" in everything
    assert "dev:custom:score" not in everything


# --- ChangePassword --------------------------------------------------------------------------


def test_changing_the_password(member: PoolUser) -> None:
    password_change(user=member, previous=PASSWORD, proposed=NEW)
    stored = _stored(member)
    assert password_check(user=stored, password=NEW)
    assert not password_check(user=stored, password=PASSWORD)


def test_a_wrong_current_password_changes_nothing(member: PoolUser) -> None:
    _refused(
        NotAuthorizedException,
        "Incorrect username or password.",
        password_change,
        user=member,
        previous="Wr0ng-password",
        proposed=NEW,
    )
    _same_row(member)


def test_the_new_password_must_meet_the_policy(member: PoolUser) -> None:
    _refused(
        InvalidPasswordException,
        "Password did not conform with policy: Password must have uppercase characters",
        password_change,
        user=member,
        previous=PASSWORD,
        proposed="all-lower-1",
    )
    _same_row(member)


def test_password_changes_are_limited_to_five_an_hour(clock: Clock, member: PoolUser) -> None:
    passwords = [PASSWORD, "Passw0rd!1", "Passw0rd!2", "Passw0rd!3", "Passw0rd!4", "Passw0rd!5"]
    for previous, proposed in itertools.pairwise(passwords):
        password_change(user=member, previous=previous, proposed=proposed)
    member.refresh_from_db()
    _refused(
        LimitExceededException,
        "Attempt limit exceeded, please try after some time.",
        password_change,
        user=member,
        previous=passwords[-1],
        proposed=NEW,
    )
    _same_row(member)
    clock.advance(hours=2)
    password_change(user=member, previous=passwords[-1], proposed=NEW)


# --- UpdateUserAttributes --------------------------------------------------------------------


def test_through_an_access_token_as_the_handler_calls_it(
    member: PoolUser, client: AppClient
) -> None:
    token = tokens_issue(user=member, client=client)["AccessToken"]
    context = access_token_verify(token=token)
    assert (
        profile_update_attributes(
            user=context.user, client=context.client, attributes={"name": "Mia"}
        )
        == []
    )
    assert _stored(member).name == "Mia"


def test_a_new_email_is_unverified_and_gets_a_code(
    member: PoolUser, client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    details = profile_update_attributes(
        user=member, client=client, attributes={"email": "new@example.org", "name": "Mia"}
    )
    assert details == [
        {"Destination": "n***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    ]
    stored = _stored(member)
    assert (stored.email, stored.email_verified, stored.name) == ("new@example.org", False, "Mia")
    [message] = mailoutbox
    assert message.to == ["new@example.org"]
    attribute_verify(user=stored, attribute="email", code=sent_code(str(message.body)))
    assert _stored(member).email_verified is True


def test_a_new_phone_number_gets_its_code_by_sms(sms_outbox: list[SmsMessage]) -> None:
    pool = make_user_pool(AutoVerifiedAttributes=["phone_number"])
    user = make_user(pool=pool, password=PASSWORD)
    details = profile_update_attributes(
        user=user, client=make_app_client(pool=pool), attributes={"phone_number": "+14325551212"}
    )
    assert [d["DeliveryMedium"] for d in details] == ["SMS"]
    [sms] = sms_outbox
    attribute_verify(user=_stored(user), attribute="phone_number", code=sent_code(sms.body))
    assert _stored(user).phone_number_verified is True


def test_no_code_for_an_unchanged_email_or_one_the_pool_does_not_verify(
    pool: UserPool, member: PoolUser, client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    assert (
        profile_update_attributes(
            user=member, client=client, attributes={"email": "mia@example.com"}
        )
        == []
    )
    assert _stored(member).email_verified is True
    plain = make_user(pool=pool, password=PASSWORD, email="p@example.com", email_verified="true")
    assert (
        profile_update_attributes(
            user=plain, client=make_app_client(pool=pool), attributes={"email": "q@example.com"}
        )
        == []
    )
    assert (_stored(plain).email, _stored(plain).email_verified) == ("q@example.com", False)
    assert mailoutbox == []


def test_a_code_sent_to_the_old_address_cannot_verify_the_new_one(
    pool: UserPool, mailoutbox: list[EmailMessage]
) -> None:
    user = make_user(pool=pool, password=PASSWORD, email="old@example.com")
    attribute_verification_code_send(user=user, attribute="email")
    code = sent_code(str(mailoutbox[0].body))
    profile_update_attributes(
        user=user, client=make_app_client(pool=pool), attributes={"email": "new@example.com"}
    )
    _refused(CodeMismatchException, None, attribute_verify, user=user, attribute="email", code=code)
    assert _stored(user).email_verified is False


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"email_verified": "true"}, (NotAuthorizedException, None)),
        ({"sub": "x"}, (InvalidParameterException, None)),
        ({"custom:nope": "x"}, (InvalidParameterException, None)),
        ({"email": "not-an-email"}, (InvalidParameterException, "Invalid email address format.")),
    ],
)
def test_refused_updates_change_nothing(
    member: PoolUser,
    client: AppClient,
    mailoutbox: list[EmailMessage],
    attributes: dict[str, str],
    expected: tuple[type[ServiceError], str | None],
) -> None:
    error, message = expected
    _refused(
        error,
        message,
        profile_update_attributes,
        user=member,
        client=client,
        attributes={"name": "Changed", **attributes},
    )
    _same_row(member)
    assert mailoutbox == []


def test_the_clients_write_attributes_bound_the_update(
    email_pool: UserPool, member: PoolUser
) -> None:
    client = make_app_client(pool=email_pool, WriteAttributes=["email"])
    _refused(
        NotAuthorizedException,
        "A client attempted to write unauthorized attribute",
        profile_update_attributes,
        user=member,
        client=client,
        attributes={"name": "Mia"},
    )
    _same_row(member)


def test_developer_only_attributes_are_the_administrators() -> None:
    pool = make_user_pool(
        Schema=[{"Name": "score", "AttributeDataType": "Number", "DeveloperOnlyAttribute": True}]
    )
    user = make_user(pool=pool, password=PASSWORD)
    _refused(
        NotAuthorizedException,
        "A client attempted to write unauthorized attribute",
        profile_update_attributes,
        user=user,
        client=make_app_client(pool=pool),
        attributes={"dev:custom:score": "10"},
    )
    _same_row(user)


def test_a_taken_alias_is_refused(mailoutbox: list[EmailMessage]) -> None:
    pool = make_user_pool(AliasAttributes=["preferred_username"])
    make_user(pool=pool, username="first", preferred_username="star")
    user = make_user(pool=pool, username="second", password=PASSWORD)
    _refused(
        AliasExistsException,
        "An account with the given preferred_username already exists.",
        profile_update_attributes,
        user=user,
        client=make_app_client(pool=pool),
        attributes={"preferred_username": "star"},
    )
    _same_row(user)


# --- GetUserAttributeVerificationCode and VerifyUserAttribute ---------------------------------


def test_a_verification_code_on_request(pool: UserPool, mailoutbox: list[EmailMessage]) -> None:
    user = make_user(pool=pool, password=PASSWORD, email="v@example.com")
    details = attribute_verification_code_send(user=user, attribute="email")
    assert details == {
        "Destination": "v***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    assert VerificationCode.objects.get(user=user).purpose == CodePurpose.VERIFY_EMAIL
    [message] = mailoutbox
    assert message.subject == "Your verification code"
    attribute_verify(user=user, attribute="email", code=sent_code(str(message.body)))
    assert _stored(user).email_verified is True


@pytest.mark.parametrize(
    ("attribute", "message"),
    [
        ("name", "Only email and phone_number can be verified, not name."),
        ("phone_number", "User has no phone_number to verify."),
    ],
)
def test_only_an_email_or_phone_number_the_user_has_can_be_verified(
    member: PoolUser, mailoutbox: list[EmailMessage], attribute: str, message: str
) -> None:
    _refused(
        InvalidParameterException,
        message,
        attribute_verification_code_send,
        user=member,
        attribute=attribute,
    )
    _refused(
        InvalidParameterException,
        message,
        attribute_verify,
        user=member,
        attribute=attribute,
        code="123456",
    )
    assert mailoutbox == []
    assert not VerificationCode.objects.exists()
    _same_row(member)


def test_verification_codes_are_limited_to_five_an_hour(
    clock: Clock, member: PoolUser, mailoutbox: list[EmailMessage]
) -> None:
    for _ in range(5):
        attribute_verification_code_send(user=member, attribute="email")
    _refused(
        LimitExceededException,
        None,
        attribute_verification_code_send,
        user=member,
        attribute="email",
    )
    assert len(mailoutbox) == 5
    clock.advance(hours=2)
    attribute_verification_code_send(user=member, attribute="email")


def test_a_wrong_or_used_code_verifies_nothing(
    pool: UserPool, mailoutbox: list[EmailMessage]
) -> None:
    user = make_user(pool=pool, password=PASSWORD, email="v@example.com")
    attribute_verification_code_send(user=user, attribute="email")
    code = sent_code(str(mailoutbox[0].body))
    _refused(
        CodeMismatchException,
        None,
        attribute_verify,
        user=user,
        attribute="email",
        code=_wrong(code),
    )
    _same_row(user)
    assert VerificationCode.objects.get(user=user).failed_attempts == 1
    attribute_verify(user=user, attribute="email", code=code)
    user.refresh_from_db()
    _refused(ExpiredCodeException, None, attribute_verify, user=user, attribute="email", code=code)


def test_verifying_an_address_another_user_verified_as_alias_is_refused(
    mailoutbox: list[EmailMessage],
) -> None:
    pool = make_user_pool(AliasAttributes=["email"])
    make_user(pool=pool, username="holder", email="same@example.com", email_verified="true")
    user = make_user(pool=pool, username="late", password=PASSWORD, email="same@example.com")
    attribute_verification_code_send(user=user, attribute="email")
    code = sent_code(str(mailoutbox[0].body))
    _refused(
        AliasExistsException,
        "An account with the given email already exists.",
        attribute_verify,
        user=user,
        attribute="email",
        code=code,
    )
    _same_row(user)
    assert VerificationCode.objects.get(user=user).used_at is None


def test_attribute_verifications_are_limited_per_hour(
    clock: Clock, member: PoolUser, mailoutbox: list[EmailMessage]
) -> None:
    for attempt in range(15):
        # A fresh code every four tries, so that the per-code count is not what stops them.
        if attempt % 4 == 0:
            attribute_verification_code_send(user=member, attribute="email")
            code = sent_code(str(mailoutbox[-1].body))
        with pytest.raises(CodeMismatchException):
            attribute_verify(user=member, attribute="email", code=_wrong(code))
    _refused(
        LimitExceededException,
        "Attempt limit exceeded, please try after some time.",
        attribute_verify,
        user=member,
        attribute="email",
        code=code,
    )
    clock.advance(hours=2)
    attribute_verify(user=member, attribute="email", code=code)


def test_attribute_codes_never_reach_the_logs(
    caplog: pytest.LogCaptureFixture,
    member: PoolUser,
    client: AppClient,
    mailoutbox: list[EmailMessage],
) -> None:
    caplog.set_level(logging.DEBUG)
    profile_update_attributes(user=member, client=client, attributes={"email": "n@example.com"})
    code = sent_code(str(mailoutbox[0].body))
    attribute_verify(user=_stored(member), attribute="email", code=code)
    assert all(code not in record.getMessage() for record in caplog.records)


# --- DeleteUser and DeleteUserAttributes ------------------------------------------------------


def test_a_user_deletes_their_account(member: PoolUser, email_pool: UserPool) -> None:
    before = UserPool.objects.get(pk=email_pool.pk).estimated_number_of_users
    profile_delete(user=member)
    assert not PoolUser.objects.filter(pk=member.pk).exists()
    assert UserPool.objects.get(pk=email_pool.pk).estimated_number_of_users == before - 1


def test_a_user_deletes_attributes(member: PoolUser, client: AppClient) -> None:
    profile_update_attributes(user=member, client=client, attributes={"name": "M"})
    profile_delete_attributes(user=member, client=client, names=["name", "email"])
    stored = _stored(member)
    assert (stored.name, stored.email, stored.email_verified) == ("", "", None)


def test_refused_deletions_change_nothing(email_pool: UserPool, member: PoolUser) -> None:
    _refused(
        NotAuthorizedException,
        "A client attempted to write unauthorized attribute",
        profile_delete_attributes,
        user=member,
        client=make_app_client(pool=email_pool, WriteAttributes=["name"]),
        names=["email"],
    )
    _refused(
        InvalidParameterException,
        None,
        profile_delete_attributes,
        user=member,
        client=make_app_client(pool=email_pool),
        names=["sub"],
    )
    _same_row(member)
    required = make_user_pool(
        Schema=[{"Name": "name", "AttributeDataType": "String", "Required": True}]
    )
    user = make_user(pool=required, password=PASSWORD, name="Req")
    _refused(
        InvalidParameterException,
        "Attributes did not conform to the schema: name: The attribute is required",
        profile_delete_attributes,
        user=user,
        client=make_app_client(pool=required),
        names=["name"],
    )
    _same_row(user)
