from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.hashers import check_password
from django.core import mail
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from pools.errors import (
    AliasExistsException,
    InvalidParameterException,
    InvalidPasswordException,
    LimitExceededException,
    NotAuthorizedException,
    ResourceNotFoundException,
    UnsupportedUserStateException,
    UsernameExistsException,
    UserNotFoundException,
)
from pools.models import GroupMembership, PoolUser, UserPool, UserStatus
from pools.services.passwords import password_replace
from pools.services.sms import SmsMessage
from pools.services.users import (
    MAX_GROUPS_PER_USER,
    user_add_to_group,
    user_confirm_sign_up,
    user_create,
    user_delete,
    user_delete_attributes,
    user_disable,
    user_enable,
    user_remove_from_group,
    user_reset_password,
    user_update_attributes,
)
from pools.shapes.users import admin_get_user_shape, user_attributes_shape, user_shape
from tests.builders import make_group, make_user, make_user_pool

pytestmark = pytest.mark.django_db


def _count(pool: UserPool) -> int:
    return UserPool.objects.get(pk=pool.pk).estimated_number_of_users


def _snapshot(user: PoolUser) -> dict[str, Any]:
    """Every stored field of `user`, to show that a refused call changed nothing."""
    stored = PoolUser.objects.get(pk=user.pk)
    return {f.attname: getattr(stored, f.attname) for f in PoolUser._meta.concrete_fields}


# AdminCreateUser ------------------------------------------------------------------------------


def test_create_makes_a_force_change_password_user(pool: UserPool) -> None:
    before = timezone.now()
    user = user_create(
        pool=pool,
        username="Bob",
        attributes={"email": "bob@example.com", "name": "Bob"},
        temporary_password="Temp0rary!",
        message_action="SUPPRESS",
    )
    stored = PoolUser.objects.get(pk=user.pk)
    assert stored.username == "Bob"
    assert stored.username_key == "bob"
    assert stored.status == UserStatus.FORCE_CHANGE_PASSWORD
    assert stored.enabled is True
    assert stored.email == "bob@example.com"
    assert stored.name == "Bob"
    assert check_password("Temp0rary!", stored.password)
    assert stored.temporary_password_expires_at is not None
    expected = before + dt.timedelta(days=pool.temporary_password_validity_days)
    assert abs(stored.temporary_password_expires_at - expected) < dt.timedelta(seconds=5)
    assert _count(pool) == 1


def test_create_generates_a_temporary_password_when_none_is_given(
    pool: UserPool,
    sms_outbox: list[SmsMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        user = user_create(pool=pool, username="bob", attributes={"phone_number": "+15551234567"})
    [sms] = sms_outbox
    password = sms.body.removeprefix("Your username is bob and temporary password is ")[:-1]
    assert check_password(password, PoolUser.objects.get(pk=user.pk).password)


def test_temporary_validity_follows_the_pool() -> None:
    pool = make_user_pool(Policies={"PasswordPolicy": {"TemporaryPasswordValidityDays": 2}})
    user = make_user(pool=pool)
    assert user.temporary_password_expires_at is not None
    remaining = user.temporary_password_expires_at - timezone.now()
    assert dt.timedelta(days=1, hours=23) < remaining <= dt.timedelta(days=2)


@pytest.mark.parametrize(
    ("username", "constraint"),
    [
        ("", "Member must have length greater than or equal to 1"),
        ("x" * 129, "Member must have length less than or equal to 128"),
        ("two words", "Member must satisfy regular expression pattern"),
        ("tab\there", "Member must satisfy regular expression pattern"),
    ],
)
def test_create_refuses_usernames_outside_cognitos_pattern(
    pool: UserPool, username: str, constraint: str
) -> None:
    with pytest.raises(InvalidParameterException, match=constraint):
        user_create(pool=pool, username=username, message_action="SUPPRESS")
    assert not PoolUser.objects.exists()
    assert _count(pool) == 0


def test_create_accepts_unicode_letters_marks_symbols_and_punctuation(pool: UserPool) -> None:
    user = make_user(pool=pool, username="zoë.ñ+€_1")
    assert PoolUser.objects.get(pk=user.pk).username == "zoë.ñ+€_1"


def test_create_refuses_an_existing_username(pool: UserPool) -> None:
    existing = make_user(pool=pool, username="alice")
    before = _snapshot(existing)
    with pytest.raises(UsernameExistsException) as error:
        user_create(pool=pool, username="ALICE", message_action="SUPPRESS")
    assert error.value.message == "User account already exists"
    assert PoolUser.objects.count() == 1
    assert _snapshot(existing) == before
    assert _count(pool) == 1


def test_case_sensitive_pools_keep_usernames_apart() -> None:
    pool = make_user_pool(UsernameConfiguration={"CaseSensitive": True})
    make_user(pool=pool, username="alice")
    make_user(pool=pool, username="Alice")
    assert PoolUser.objects.filter(pool=pool).count() == 2


def test_usernames_are_per_pool(pool: UserPool) -> None:
    other = make_user_pool(name="other")
    make_user(pool=pool, username="alice")
    make_user(pool=other, username="alice")
    assert PoolUser.objects.count() == 2


def test_create_checks_the_temporary_password_against_the_policy(pool: UserPool) -> None:
    with pytest.raises(InvalidPasswordException, match="Password not long enough"):
        user_create(pool=pool, username="bob", temporary_password="Ab1!", message_action="SUPPRESS")
    assert not PoolUser.objects.exists()
    assert _count(pool) == 0


def test_create_refuses_an_unknown_message_action(pool: UserPool) -> None:
    with pytest.raises(InvalidParameterException, match=r"enum value set: \[RESEND, SUPPRESS\]"):
        user_create(pool=pool, username="bob", message_action="SHOUT")
    assert not PoolUser.objects.exists()


def test_create_refuses_an_unknown_delivery_medium(pool: UserPool) -> None:
    with pytest.raises(InvalidParameterException, match=r"enum value set: \[SMS, EMAIL\]"):
        user_create(pool=pool, username="bob", desired_delivery_mediums=["PIGEON"])
    assert not PoolUser.objects.exists()


def test_create_refuses_attributes_outside_the_schema(pool: UserPool) -> None:
    with pytest.raises(InvalidParameterException, match="could not be determined"):
        user_create(
            pool=pool, username="bob", attributes={"custom:x": "1"}, message_action="SUPPRESS"
        )
    assert not PoolUser.objects.exists()
    assert _count(pool) == 0


def test_create_lets_administrators_skip_required_attributes() -> None:
    pool = make_user_pool(Schema=[{"Name": "name", "Required": True}])
    assert make_user(pool=pool).name == ""


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("email_verified", "Email is required to verify/un-verify an email"),
        ("phone_number_verified", "Phone Number is required to verify/un-verify a phone number"),
    ],
)
def test_a_verified_flag_needs_its_value(pool: UserPool, flag: str, message: str) -> None:
    with pytest.raises(InvalidParameterException) as error:
        user_create(pool=pool, username="bob", attributes={flag: "true"}, message_action="SUPPRESS")
    assert error.value.message == message
    assert not PoolUser.objects.exists()


def test_create_stores_custom_attributes() -> None:
    pool = make_user_pool(Schema=[{"Name": "tier", "AttributeDataType": "String"}])
    user = make_user(pool=pool, **{"custom:tier": "gold"})
    assert PoolUser.objects.get(pk=user.pk).custom_attributes == {"custom:tier": "gold"}


# UsernameAttributes pools ---------------------------------------------------------------------


def test_email_username_pool_stores_the_email_and_uses_sub_as_username() -> None:
    pool = make_user_pool(UsernameAttributes=["email"])
    user = make_user(pool=pool, username="Jo@Example.com")
    stored = PoolUser.objects.get(pk=user.pk)
    assert stored.username == str(stored.sub)
    assert stored.email == "Jo@Example.com"


@pytest.mark.parametrize(
    ("kinds", "message"),
    [
        (["email"], "Username should be an email."),
        (["phone_number"], "Username should be a phone number."),
        (["email", "phone_number"], "Username should be either an email or a phone number."),
    ],
)
def test_username_attribute_pools_need_an_email_or_phone(kinds: list[str], message: str) -> None:
    pool = make_user_pool(UsernameAttributes=kinds)
    with pytest.raises(InvalidParameterException) as error:
        user_create(pool=pool, username="jo", message_action="SUPPRESS")
    assert error.value.message == message
    assert not PoolUser.objects.exists()


def test_phone_username_pool_stores_the_phone_number() -> None:
    pool = make_user_pool(UsernameAttributes=["email", "phone_number"])
    user = make_user(pool=pool, username="+15551234567")
    assert PoolUser.objects.get(pk=user.pk).phone_number == "+15551234567"


def test_email_username_must_be_unique_verified_or_not() -> None:
    pool = make_user_pool(UsernameAttributes=["email"])
    make_user(pool=pool, username="jo@example.com")
    with pytest.raises(UsernameExistsException) as error:
        user_create(pool=pool, username="jo@example.com", message_action="SUPPRESS")
    assert error.value.message == "An account with the given email already exists."
    assert PoolUser.objects.count() == 1
    assert _count(pool) == 1


def test_email_attribute_must_match_the_email_username() -> None:
    pool = make_user_pool(UsernameAttributes=["email"])
    with pytest.raises(InvalidParameterException, match="must match the Username"):
        user_create(
            pool=pool,
            username="jo@example.com",
            attributes={"email": "other@example.com"},
            message_action="SUPPRESS",
        )
    assert not PoolUser.objects.exists()


def test_a_second_sign_in_attribute_must_be_unique_too() -> None:
    pool = make_user_pool(UsernameAttributes=["email", "phone_number"])
    make_user(pool=pool, username="a@example.com", phone_number="+15550000001")
    with pytest.raises(UsernameExistsException, match="given phone_number already exists"):
        user_create(
            pool=pool,
            username="b@example.com",
            attributes={"phone_number": "+15550000001"},
            message_action="SUPPRESS",
        )
    assert PoolUser.objects.count() == 1


# AliasAttributes pools ------------------------------------------------------------------------


def test_alias_pool_refuses_usernames_shaped_like_an_alias() -> None:
    pool = make_user_pool(AliasAttributes=["email", "phone_number"])
    with pytest.raises(InvalidParameterException) as error:
        user_create(pool=pool, username="jo@example.com", message_action="SUPPRESS")
    assert error.value.message == (
        "Username cannot be of email format, since user pool is configured for email alias."
    )
    with pytest.raises(InvalidParameterException, match="cannot be of phone number format"):
        user_create(pool=pool, username="+15551234567", message_action="SUPPRESS")
    assert not PoolUser.objects.exists()


def test_pools_without_aliases_accept_email_shaped_usernames(pool: UserPool) -> None:
    assert make_user(pool=pool, username="jo@example.com").username == "jo@example.com"


def test_verified_alias_values_are_unique() -> None:
    pool = make_user_pool(AliasAttributes=["email"])
    first = make_user(pool=pool, email="jo@example.com", email_verified="true")
    before = _snapshot(first)
    with pytest.raises(AliasExistsException) as error:
        user_create(
            pool=pool,
            username="second",
            attributes={"email": "jo@example.com", "email_verified": "true"},
            message_action="SUPPRESS",
        )
    assert error.value.message == "An account with the given email already exists."
    assert PoolUser.objects.count() == 1
    assert _snapshot(first) == before
    assert _count(pool) == 1


def test_unverified_alias_values_may_repeat() -> None:
    pool = make_user_pool(AliasAttributes=["email"])
    make_user(pool=pool, email="jo@example.com", email_verified="true")
    make_user(pool=pool, email="jo@example.com")
    assert PoolUser.objects.filter(email="jo@example.com").count() == 2


def test_force_alias_creation_moves_the_alias() -> None:
    pool = make_user_pool(AliasAttributes=["phone_number"])
    first = make_user(pool=pool, phone_number="+15551234567", phone_number_verified="true")
    second = user_create(
        pool=pool,
        username="second",
        attributes={"phone_number": "+15551234567", "phone_number_verified": "true"},
        message_action="SUPPRESS",
        force_alias_creation=True,
    )
    old = PoolUser.objects.get(pk=first.pk)
    assert old.phone_number == "+15551234567"
    assert old.phone_number_verified is False
    assert PoolUser.objects.get(pk=second.pk).phone_number_verified is True


def test_preferred_username_alias_is_unique() -> None:
    pool = make_user_pool(AliasAttributes=["preferred_username"])
    make_user(pool=pool, preferred_username="jo")
    with pytest.raises(AliasExistsException, match="given preferred_username already exists"):
        user_create(
            pool=pool,
            username="second",
            attributes={"preferred_username": "jo"},
            message_action="SUPPRESS",
            force_alias_creation=True,
        )
    assert PoolUser.objects.count() == 1


# Invitations ----------------------------------------------------------------------------------


def test_invitation_goes_by_sms_by_default(
    pool: UserPool,
    sms_outbox: list[SmsMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        user_create(
            pool=pool,
            username="bob",
            attributes={"phone_number": "+15551234567", "email": "bob@example.com"},
            temporary_password="Temp0rary!",
        )
    assert [(m.destination, m.body) for m in sms_outbox] == [
        ("+15551234567", "Your username is bob and temporary password is Temp0rary!.")
    ]
    assert mail.outbox == []


def test_invitation_is_sent_only_when_the_transaction_commits(
    pool: UserPool,
    sms_outbox: list[SmsMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        user_create(pool=pool, username="bob", attributes={"phone_number": "+15551234567"})
    assert len(callbacks) == 1
    assert sms_outbox == []


def test_invitation_falls_back_to_email_when_there_is_no_phone(
    pool: UserPool,
    sms_outbox: list[SmsMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        user_create(
            pool=pool,
            username="bob",
            attributes={"email": "bob@example.com"},
            temporary_password="Temp0rary!",
        )
    assert sms_outbox == []
    [message] = mail.outbox
    assert message.to == ["bob@example.com"]
    assert message.subject == "Your temporary password"
    assert message.body == "Your username is bob and temporary password is Temp0rary!."


def test_invitation_goes_by_every_desired_medium(
    pool: UserPool,
    sms_outbox: list[SmsMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        user_create(
            pool=pool,
            username="bob",
            attributes={"phone_number": "+15551234567", "email": "bob@example.com"},
            desired_delivery_mediums=["EMAIL", "SMS"],
        )
    assert len(sms_outbox) == 1
    assert len(mail.outbox) == 1


def test_invitation_uses_the_pools_template_and_sender(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    pool = make_user_pool(
        AdminCreateUserConfig={
            "InviteMessageTemplate": {
                "EmailSubject": "Welcome",
                "EmailMessage": "Hi {username}, use {####} ({username}).",
            }
        },
        EmailConfiguration={
            "EmailSendingAccount": "DEVELOPER",
            "SourceArn": "arn:aws:ses:us-east-1:000000000000:identity/example.com",
            "From": "Team <team@example.com>",
            "ReplyToEmailAddress": "help@example.com",
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        user_create(
            pool=pool,
            username="bob",
            attributes={"email": "bob@example.com"},
            temporary_password="Temp0rary!",
            desired_delivery_mediums=["EMAIL"],
        )
    [message] = mail.outbox
    assert message.subject == "Welcome"
    assert message.body == "Hi bob, use Temp0rary! (bob)."
    assert message.from_email == "Team <team@example.com>"
    assert message.reply_to == ["help@example.com"]


def test_suppressed_invitation_sends_nothing(
    pool: UserPool,
    sms_outbox: list[SmsMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        user_create(
            pool=pool,
            username="bob",
            attributes={"phone_number": "+15551234567", "email": "bob@example.com"},
            message_action="SUPPRESS",
        )
    assert callbacks == []
    assert sms_outbox == []
    assert mail.outbox == []


def test_a_user_without_email_or_phone_gets_no_invitation(
    pool: UserPool,
    sms_outbox: list[SmsMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        user = user_create(pool=pool, username="bob")
    assert sms_outbox == []
    assert mail.outbox == []
    assert PoolUser.objects.filter(pk=user.pk).exists()


def test_invitation_names_the_email_in_email_username_pools(
    sms_outbox: list[SmsMessage], django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    pool = make_user_pool(UsernameAttributes=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        user_create(pool=pool, username="jo@example.com", temporary_password="Temp0rary!")
    [message] = mail.outbox
    assert message.body == "Your username is jo@example.com and temporary password is Temp0rary!."


# MessageAction=RESEND -------------------------------------------------------------------------


def test_resend_issues_a_new_temporary_password_and_expiry(
    pool: UserPool,
    sms_outbox: list[SmsMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    user = make_user(pool=pool, username="bob", phone_number="+15551234567")
    PoolUser.objects.filter(pk=user.pk).update(
        temporary_password_expires_at=timezone.now() - dt.timedelta(days=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        resent = user_create(
            pool=pool, username="BOB", message_action="RESEND", temporary_password="N3w-temp!"
        )
    stored = PoolUser.objects.get(pk=user.pk)
    assert resent.pk == user.pk
    assert check_password("N3w-temp!", stored.password)
    assert stored.temporary_password_expires_at is not None
    assert stored.temporary_password_expires_at > timezone.now() + dt.timedelta(days=6)
    assert [m.body for m in sms_outbox] == [
        "Your username is BOB and temporary password is N3w-temp!."
    ]
    assert PoolUser.objects.count() == 1
    assert _count(pool) == 1


def test_resend_finds_the_user_by_email_in_email_username_pools(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    pool = make_user_pool(UsernameAttributes=["email"])
    user = make_user(pool=pool, username="jo@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        resent = user_create(pool=pool, username="jo@example.com", message_action="RESEND")
    assert resent.pk == user.pk
    assert len(mail.outbox) == 1


def test_resend_to_an_unknown_user(pool: UserPool) -> None:
    with pytest.raises(UserNotFoundException):
        user_create(pool=pool, username="nobody", message_action="RESEND")
    assert not PoolUser.objects.exists()


def test_resend_needs_force_change_password(user: PoolUser) -> None:
    before = _snapshot(user)
    with pytest.raises(UnsupportedUserStateException) as error:
        user_create(pool=user.pool, username="alice", message_action="RESEND")
    assert error.value.message == "Resend not possible. alice status is not FORCE_CHANGE_PASSWORD"
    assert _snapshot(user) == before


# AdminUpdateUserAttributes / AdminDeleteUserAttributes ------------------------------------------


def test_update_sets_attributes(user: PoolUser) -> None:
    before = PoolUser.objects.get(pk=user.pk).updated_at
    user_update_attributes(user=user, attributes={"name": "Alice", "locale": "fr"})
    stored = PoolUser.objects.get(pk=user.pk)
    assert (stored.name, stored.locale) == ("Alice", "fr")
    assert stored.updated_at > before


def test_a_new_email_is_unverified(user: PoolUser) -> None:
    user_update_attributes(user=user, attributes={"email": "new@example.com"})
    stored = PoolUser.objects.get(pk=user.pk)
    assert (stored.email, stored.email_verified) == ("new@example.com", False)


def test_a_new_email_stays_verified_when_the_call_says_so(user: PoolUser) -> None:
    user_update_attributes(
        user=user, attributes={"email": "new@example.com", "email_verified": "true"}
    )
    assert PoolUser.objects.get(pk=user.pk).email_verified is True


def test_the_same_email_keeps_its_verification(user: PoolUser) -> None:
    user_update_attributes(user=user, attributes={"email": "alice@example.com"})
    assert PoolUser.objects.get(pk=user.pk).email_verified is True


def test_an_update_can_verify_a_phone_number(user: PoolUser) -> None:
    user_update_attributes(
        user=user, attributes={"phone_number": "+15551234567", "phone_number_verified": "true"}
    )
    assert PoolUser.objects.get(pk=user.pk).phone_number_verified is True


def test_an_empty_value_removes_the_attribute_and_its_verification(user: PoolUser) -> None:
    user_update_attributes(user=user, attributes={"email": ""})
    stored = PoolUser.objects.get(pk=user.pk)
    assert (stored.email, stored.email_verified) == ("", None)


def test_update_refuses_an_alias_another_user_holds() -> None:
    pool = make_user_pool(AliasAttributes=["email"])
    make_user(pool=pool, email="taken@example.com", email_verified="true")
    user = make_user(pool=pool, email="mine@example.com", email_verified="true")
    before = _snapshot(user)
    with pytest.raises(AliasExistsException, match="given email already exists"):
        user_update_attributes(
            user=user, attributes={"email": "taken@example.com", "email_verified": "true"}
        )
    assert _snapshot(user) == before
    assert user.email == "mine@example.com"  # the caller's instance is untouched too


def test_update_refuses_another_users_email_in_email_username_pools() -> None:
    pool = make_user_pool(UsernameAttributes=["email"])
    make_user(pool=pool, username="a@example.com")
    user = make_user(pool=pool, username="b@example.com")
    before = _snapshot(user)
    with pytest.raises(AliasExistsException, match="given email already exists"):
        user_update_attributes(user=user, attributes={"email": "a@example.com"})
    assert _snapshot(user) == before


def test_update_refuses_immutable_attributes(user: PoolUser) -> None:
    before = _snapshot(user)
    with pytest.raises(InvalidParameterException, match="changing an immutable attribute"):
        user_update_attributes(user=user, attributes={"sub": "x", "name": "Alice"})
    assert _snapshot(user) == before


def test_update_refuses_a_verified_flag_without_a_value(user: PoolUser) -> None:
    before = _snapshot(user)
    with pytest.raises(InvalidParameterException, match="Phone Number is required"):
        user_update_attributes(user=user, attributes={"phone_number_verified": "false"})
    assert _snapshot(user) == before


def test_delete_attributes_removes_them() -> None:
    pool = make_user_pool(Schema=[{"Name": "tier", "AttributeDataType": "String"}])
    user = make_user(pool=pool, name="Jo", email="jo@example.com", **{"custom:tier": "gold"})
    user_delete_attributes(user=user, names=["name", "custom:tier", "email"])
    stored = PoolUser.objects.get(pk=user.pk)
    assert (stored.name, stored.email, stored.custom_attributes) == ("", "", {})


def test_delete_attributes_names_every_attribute_the_schema_lacks() -> None:
    # moto's test_admin_delete_user_attributes_non_existing_attribute: every unknown name, one
    # `user.<name>: Attribute does not exist in the schema.` line each, and nothing deleted.
    user = make_user(pool=make_user_pool(), name="Jo", nickname="Joe")
    before = _snapshot(user)
    with pytest.raises(InvalidParameterException) as error:
        user_delete_attributes(user=user, names=["nickname", "custom:foo", "custom:bar"])
    assert error.value.message == (
        "Invalid user attributes: "
        "user.custom:foo: Attribute does not exist in the schema.\n"
        "user.custom:bar: Attribute does not exist in the schema.\n"
    )
    assert _snapshot(user) == before


def test_delete_attributes_refuses_required_ones() -> None:
    pool = make_user_pool(Schema=[{"Name": "name", "Required": True}])
    user = make_user(pool=pool, name="Jo", locale="fr")
    before = _snapshot(user)
    with pytest.raises(InvalidParameterException) as error:
        user_delete_attributes(user=user, names=["locale", "name"])
    assert error.value.message == (
        "Attributes did not conform to the schema: name: The attribute is required"
    )
    assert _snapshot(user) == before


# Enable, disable, delete ----------------------------------------------------------------------


def test_disable_and_enable_are_idempotent(user: PoolUser) -> None:
    user_disable(user=user)
    user_disable(user=user)
    assert PoolUser.objects.get(pk=user.pk).enabled is False
    user_enable(user=user)
    user_enable(user=user)
    assert PoolUser.objects.get(pk=user.pk).enabled is True


def test_delete_removes_the_user_and_frees_the_username(pool: UserPool, user: PoolUser) -> None:
    group = make_group(pool=pool)
    user_add_to_group(user=user, group=group)
    assert _count(pool) == 1
    user_delete(user=user)
    assert not PoolUser.objects.exists()
    assert not GroupMembership.objects.exists()
    assert _count(pool) == 0
    make_user(pool=pool, username="alice")
    assert _count(pool) == 1


# AdminSetUserPassword / AdminResetUserPassword / AdminConfirmSignUp ---------------------------


def test_a_permanent_password_confirms_the_user(pool: UserPool) -> None:
    user = make_user(pool=pool)
    password_replace(user=user, password="Perm4nent!")
    stored = PoolUser.objects.get(pk=user.pk)
    assert stored.status == UserStatus.CONFIRMED
    assert stored.temporary_password_expires_at is None
    assert check_password("Perm4nent!", stored.password)


def test_a_temporary_password_forces_a_change_with_a_new_expiry(user: PoolUser) -> None:
    password_replace(user=user, password="Temp0rary!", temporary=True)
    stored = PoolUser.objects.get(pk=user.pk)
    assert stored.status == UserStatus.FORCE_CHANGE_PASSWORD
    assert stored.temporary_password_expires_at is not None
    assert stored.temporary_password_expires_at > timezone.now() + dt.timedelta(days=6)
    assert check_password("Temp0rary!", stored.password)


def test_set_password_checks_the_policy(user: PoolUser) -> None:
    before = _snapshot(user)
    with pytest.raises(InvalidPasswordException, match="must have numeric characters"):
        password_replace(user=user, password="Password!")
    assert _snapshot(user) == before


def test_reset_password_requires_reset(user: PoolUser) -> None:
    user_reset_password(user=user)
    assert PoolUser.objects.get(pk=user.pk).status == UserStatus.RESET_REQUIRED


_NO_RECOVERY = (
    "Cannot reset password for the user as there is no registered/verified email or phone_number"
)


def test_reset_password_needs_a_verified_contact(pool: UserPool) -> None:
    user = make_user(
        pool=pool, password="Passw0rd!", email="jo@example.com", phone_number="+15551234567"
    )
    before = _snapshot(user)
    with pytest.raises(InvalidParameterException) as error:
        user_reset_password(user=user)
    assert error.value.message == _NO_RECOVERY
    assert _snapshot(user) == before


def test_reset_password_uses_only_the_pools_recovery_mechanisms() -> None:
    pool = make_user_pool(
        AccountRecoverySetting={
            "RecoveryMechanisms": [{"Name": "verified_phone_number", "Priority": 1}]
        }
    )
    user = make_user(pool=pool, password="Passw0rd!", email="jo@example.com", email_verified="true")
    before = _snapshot(user)
    with pytest.raises(InvalidParameterException, match="no registered/verified"):
        user_reset_password(user=user)
    assert _snapshot(user) == before
    user_update_attributes(
        user=user, attributes={"phone_number": "+15551234567", "phone_number_verified": "true"}
    )
    user_reset_password(user=user)
    assert PoolUser.objects.get(pk=user.pk).status == UserStatus.RESET_REQUIRED


def test_admin_only_recovery_gives_no_way_to_reset() -> None:
    pool = make_user_pool(
        AccountRecoverySetting={"RecoveryMechanisms": [{"Name": "admin_only", "Priority": 1}]}
    )
    user = make_user(pool=pool, password="Passw0rd!", email="jo@example.com", email_verified="true")
    before = _snapshot(user)
    with pytest.raises(InvalidParameterException, match="no registered/verified"):
        user_reset_password(user=user)
    assert _snapshot(user) == before


def test_confirm_sign_up_confirms_an_unconfirmed_user(user: PoolUser) -> None:
    # Self sign-up is another issue; the state is set directly to reach this rule.
    PoolUser.objects.filter(pk=user.pk).update(status=UserStatus.UNCONFIRMED)
    user.refresh_from_db()
    user_confirm_sign_up(user=user)
    assert PoolUser.objects.get(pk=user.pk).status == UserStatus.CONFIRMED


def test_confirm_sign_up_refuses_other_statuses(user: PoolUser) -> None:
    before = _snapshot(user)
    with pytest.raises(NotAuthorizedException) as error:
        user_confirm_sign_up(user=user)
    assert error.value.message == "User cannot be confirmed. Current status is CONFIRMED"
    assert _snapshot(user) == before


# Groups -----------------------------------------------------------------------------------------


def test_add_to_group_is_idempotent(pool: UserPool, user: PoolUser) -> None:
    group = make_group(pool=pool)
    user_add_to_group(user=user, group=group)
    user_add_to_group(user=user, group=group)
    assert list(GroupMembership.objects.values_list("user", "group")) == [(user.pk, group.pk)]


def test_a_user_belongs_to_at_most_100_groups(pool: UserPool, user: PoolUser) -> None:
    for _ in range(MAX_GROUPS_PER_USER):
        user_add_to_group(user=user, group=make_group(pool=pool))
    one_more = make_group(pool=pool)
    with pytest.raises(LimitExceededException, match="at most 100 groups"):
        user_add_to_group(user=user, group=one_more)
    assert GroupMembership.objects.filter(user=user).count() == MAX_GROUPS_PER_USER
    assert not GroupMembership.objects.filter(group=one_more).exists()


def test_groups_of_another_pool_are_not_found(user: PoolUser) -> None:
    foreign = make_group(pool=make_user_pool(name="other"))
    with pytest.raises(ResourceNotFoundException):
        user_add_to_group(user=user, group=foreign)
    assert not GroupMembership.objects.exists()
    with pytest.raises(ResourceNotFoundException):
        user_remove_from_group(user=user, group=foreign)


def test_remove_from_group_is_idempotent(pool: UserPool, user: PoolUser) -> None:
    group = make_group(pool=pool)
    other = make_user(pool=pool)
    user_add_to_group(user=user, group=group)
    user_add_to_group(user=other, group=group)
    user_remove_from_group(user=user, group=group)
    user_remove_from_group(user=user, group=group)
    assert list(GroupMembership.objects.values_list("user", flat=True)) == [other.pk]


# Shapes ---------------------------------------------------------------------------------------


def test_attributes_shape_puts_sub_first_and_skips_unset_values() -> None:
    pool = make_user_pool(Schema=[{"Name": "tier", "AttributeDataType": "String"}])
    user = make_user(
        pool=pool,
        email="jo@example.com",
        email_verified="false",
        name="Jo",
        updated_at="1700000000",
        **{"custom:tier": "gold"},
    )
    assert user_attributes_shape(user) == [
        {"Name": "sub", "Value": str(user.sub)},
        {"Name": "email", "Value": "jo@example.com"},
        {"Name": "email_verified", "Value": "false"},
        {"Name": "name", "Value": "Jo"},
        {"Name": "updated_at", "Value": "1700000000"},
        {"Name": "custom:tier", "Value": "gold"},
    ]


def test_attributes_shape_keeps_only_the_names_asked_for(user: PoolUser) -> None:
    assert user_attributes_shape(user, names=["email", "phone_number"]) == [
        {"Name": "email", "Value": "alice@example.com"}
    ]


def test_user_shape_is_cognitos_user_type(user: PoolUser) -> None:
    stored = PoolUser.objects.get(pk=user.pk)
    assert user_shape(stored, attributes_to_get=["email"]) == {
        "Username": "alice",
        "Attributes": [{"Name": "email", "Value": "alice@example.com"}],
        "UserCreateDate": stored.created_at,
        "UserLastModifiedDate": stored.updated_at,
        "Enabled": True,
        "UserStatus": "CONFIRMED",
    }


def test_admin_get_user_shape_names_attributes_user_attributes(user: PoolUser) -> None:
    user_disable(user=user)
    shape = admin_get_user_shape(user)
    assert shape["UserAttributes"] == user_attributes_shape(user)
    assert shape["Enabled"] is False
    assert set(shape) == {
        "Username",
        "UserAttributes",
        "UserCreateDate",
        "UserLastModifiedDate",
        "Enabled",
        "UserStatus",
    }
