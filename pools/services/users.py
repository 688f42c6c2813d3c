"""Pool users as administrators manage them: AdminCreateUser and the other Admin* user operations.

Sign-in names follow the pool: with UsernameAttributes the email or phone number a user signs in
with is stored as that attribute and the real username is the user's `sub` (as Cognito does); with
AliasAttributes a verified email or phone number (and any preferred_username) identifies one user
only. The uniqueness checks run while the pool's row is locked, so concurrent requests cannot both
pass them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from cognitoadmin.awsmodel import model_validate
from pools.errors import (
    AliasExistsException,
    InvalidParameterException,
    LimitExceededException,
    NotAuthorizedException,
    ResourceNotFoundException,
    UnsupportedUserStateException,
    UsernameExistsException,
)
from pools.models import CodePurpose, Group, GroupMembership, PoolUser, UserPool, UserStatus
from pools.selectors.pools import user_pool_locked
from pools.selectors.users import user_get
from pools.services.attributes import (
    VERIFIED_FLAGS,
    attributes_apply,
    attributes_known_check,
    attributes_validate,
    is_email,
    is_phone_number,
)
from pools.services.codes import code_medium_for_recovery, code_recovery_allowed_check, code_send
from pools.services.delivery import Medium, invitation_queue
from pools.services.passwords import (
    password_assign,
    password_generate,
    password_history_record,
    password_replace,
    password_validate,
    temporary_password_expiry,
)
from pools.services.revocation import user_tokens_revoke

MAX_GROUPS_PER_USER = 100
# What the sign-in uniqueness rules read.
_SIGN_IN_COLUMNS = (
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
    "preferred_username",
)
_VERIFY_WITHOUT_VALUE = {
    "email_verified": "Email is required to verify/un-verify an email",
    "phone_number_verified": "Phone Number is required to verify/un-verify a phone number",
}


def _sign_in_attribute(*, pool: UserPool, name: str) -> str | None:
    """Which of the pool's UsernameAttributes `name` is written as, if any."""
    if "email" in pool.username_attributes and is_email(name):
        return "email"
    if "phone_number" in pool.username_attributes and is_phone_number(name):
        return "phone_number"
    return None


def _username_check(*, pool: UserPool, username: str) -> str | None:
    """Cognito's rules for the Username of a new user; returns the attribute it is stored as."""
    kinds = set(pool.username_attributes)
    if kinds:
        attribute = _sign_in_attribute(pool=pool, name=username)
        if attribute is None:
            if kinds == {"email"}:
                raise InvalidParameterException("Username should be an email.")
            if kinds == {"phone_number"}:
                raise InvalidParameterException("Username should be a phone number.")
            raise InvalidParameterException("Username should be either an email or a phone number.")
        return attribute
    if "email" in pool.alias_attributes and is_email(username):
        raise InvalidParameterException(
            "Username cannot be of email format, since user pool is configured for email alias."
        )
    if "phone_number" in pool.alias_attributes and is_phone_number(username):
        raise InvalidParameterException(
            "Username cannot be of phone number format, since user pool is configured for "
            "phone number alias."
        )
    return None


def _state_after(user: PoolUser, values: Mapping[str, Any]) -> dict[str, Any]:
    """The sign-in columns `user` will have once `values` are applied (checked before applying, so
    a refused change leaves the caller's instance as it was)."""
    return {c: values[c] if c in values else getattr(user, c) for c in _SIGN_IN_COLUMNS}


def _verified_flags_check(*, state: Mapping[str, Any], values: Mapping[str, Any]) -> None:
    for flag, attribute in VERIFIED_FLAGS.items():
        if values.get(flag) is not None and not state[attribute]:
            raise InvalidParameterException(_VERIFY_WITHOUT_VALUE[flag])


def _sign_in_values_claim(
    *, pool: UserPool, user: PoolUser, state: Mapping[str, Any], force: bool, creating: bool
) -> None:
    """Keep sign-in names unique: UsernameAttributes values and alias values among the pool's users.

    Email and phone aliases count only when verified; with `force` (ForceAliasCreation) a verified
    alias moves to `user` and the previous holder keeps the value, unverified.
    """
    if user.status == UserStatus.EXTERNAL_PROVIDER:
        # Signed in through their provider only: their email or phone names nobody here.
        return
    others = PoolUser.objects.filter(pool=pool).exclude(status=UserStatus.EXTERNAL_PROVIDER)
    if user.pk is not None:
        others = others.exclude(pk=user.pk)
    for attribute in pool.username_attributes:
        value = state[attribute]
        if value and others.filter(**{attribute: value}).exists():
            error = UsernameExistsException if creating else AliasExistsException
            raise error(f"An account with the given {attribute} already exists.")
    for attribute in pool.alias_attributes:
        value = state[attribute]
        if not value:
            continue
        if attribute == "preferred_username":
            holders = others.filter(preferred_username=value)
        elif state[f"{attribute}_verified"]:
            holders = others.filter(**{attribute: value, f"{attribute}_verified": True})
        else:
            continue
        if force and attribute != "preferred_username":
            holders.update(**{f"{attribute}_verified": False, "updated_at": timezone.now()})
        elif holders.exists():
            raise AliasExistsException(f"An account with the given {attribute} already exists.")


def _invitation_resend(
    *,
    pool: UserPool,
    username: str,
    temporary_password: str | None,
    desired: Sequence[Medium],
) -> PoolUser:
    """MessageAction=RESEND: a new temporary password, a new expiry, and the invitation again."""
    user = user_get(pool=pool, username=username)
    if user.status != UserStatus.FORCE_CHANGE_PASSWORD:
        raise UnsupportedUserStateException(
            f"Resend not possible. {user.username} status is not FORCE_CHANGE_PASSWORD"
        )
    password = temporary_password or password_generate(pool=pool)
    password_replace(user=user, password=password, temporary=True, sign_out=False)
    invitation_queue(user=user, username=username, temporary_password=password, desired=desired)
    return user


@transaction.atomic
def user_insert(
    *,
    pool: UserPool,
    username: str,
    values: dict[str, Any],
    password: str,
    status: UserStatus,
    force_alias_creation: bool = False,
    taken_message: str = "User account already exists",
) -> PoolUser:
    """Save a new user: the step AdminCreateUser and SignUp share.

    Applies the pool's username rules (with UsernameAttributes the name is stored as that
    attribute and the username is the `sub`), the verified flags' rule, and the uniqueness of the
    username and of sign-in names. `values` come from `attributes_validate` and the caller has
    checked the password ("" for none); a FORCE_CHANGE_PASSWORD user's password expires as the
    pool says.
    """
    # A provider's user keeps Cognito's `<ProviderName>_<subject>`, whatever the pool signs its
    # own users in with.
    external = status == UserStatus.EXTERNAL_PROVIDER
    sign_in_attribute = None if external else _username_check(pool=pool, username=username)
    user = PoolUser(pool=pool, status=status)
    if sign_in_attribute is not None:
        given = values.get(sign_in_attribute)
        if given and given != username:
            raise InvalidParameterException(
                f"The {sign_in_attribute} attribute must match the Username when the user pool "
                f"signs users in with {sign_in_attribute}."
            )
        values[sign_in_attribute] = username
        user.username = str(user.sub)
    else:
        user.username = username
    user.username_key = pool.normalize_username(user.username)
    state = _state_after(user, values)
    _verified_flags_check(state=state, values=values)

    # First write of the transaction: the pool row stays locked until commit, which serialises
    # user creation in the pool and so makes the uniqueness checks below race-free.
    UserPool.objects.filter(pk=pool.pk).update(
        estimated_number_of_users=F("estimated_number_of_users") + 1
    )
    if PoolUser.objects.filter(pool=pool, username_key=user.username_key).exists():
        raise UsernameExistsException(taken_message)
    _sign_in_values_claim(
        pool=pool, user=user, state=state, force=force_alias_creation, creating=True
    )

    attributes_apply(user=user, values=values)
    if password:  # a passwordless user (SignUp without one) has no password to check at all
        password_assign(user=user, password=password)
    user.status = status
    if status == UserStatus.FORCE_CHANGE_PASSWORD:
        user.temporary_password_expires_at = temporary_password_expiry(pool=pool)
    try:
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError:
        raise UsernameExistsException(taken_message) from None
    if password:
        password_history_record(user=user)
    return user


@transaction.atomic
def user_create(
    *,
    pool: UserPool,
    username: str,
    attributes: Mapping[str, str] | None = None,
    temporary_password: str | None = None,
    message_action: str | None = None,
    desired_delivery_mediums: Sequence[str] = ("SMS",),
    force_alias_creation: bool = False,
) -> PoolUser:
    """AdminCreateUser: a user in FORCE_CHANGE_PASSWORD with a temporary password, invited unless
    `message_action` is SUPPRESS. Required attributes may be left out, as Cognito allows here."""
    params: dict[str, Any] = {
        "UserPoolId": pool.pool_id,
        "Username": username,
        "DesiredDeliveryMediums": list(desired_delivery_mediums),
        "MessageAction": message_action,
    }
    model_validate("AdminCreateUser", params)
    desired = cast(list[Medium], list(desired_delivery_mediums) or ["SMS"])
    if temporary_password:
        password_validate(pool=pool, password=temporary_password)
    if message_action == "RESEND":
        return _invitation_resend(
            pool=pool, username=username, temporary_password=temporary_password, desired=desired
        )

    values = attributes_validate(
        pool=pool, attributes=attributes or {}, creating=True, admin=True, check_required=False
    )
    password = temporary_password or password_generate(pool=pool)
    user = user_insert(
        pool=pool,
        username=username,
        values=values,
        password=password,
        status=UserStatus.FORCE_CHANGE_PASSWORD,
        force_alias_creation=force_alias_creation,
    )
    if message_action != "SUPPRESS":
        invitation_queue(user=user, username=username, temporary_password=password, desired=desired)
    return user


@transaction.atomic
def user_update_attributes(
    *, user: PoolUser, attributes: Mapping[str, str], admin: bool = True
) -> PoolUser:
    """AdminUpdateUserAttributes, or with `admin` false a user's own UpdateUserAttributes (which
    may not set verified flags or developer-only attributes). An empty value removes the
    attribute.

    A new email or phone number is unverified unless the same call says otherwise.
    """
    pool = user.pool
    values = attributes_validate(pool=pool, attributes=attributes, creating=False, admin=admin)
    for flag, attribute in VERIFIED_FLAGS.items():
        if (
            attribute in values
            and flag not in values
            and values[attribute] != getattr(user, attribute)
        ):
            values[flag] = False if values[attribute] else None
    state = _state_after(user, values)
    _verified_flags_check(state=state, values=values)
    sign_in_names = {*pool.username_attributes, *pool.alias_attributes}
    if sign_in_names and values.keys() & {*sign_in_names, *VERIFIED_FLAGS}:
        # Serialises with user creation and other such updates, as the uniqueness check needs.
        user_pool_locked(pool=pool)
    _sign_in_values_claim(pool=pool, user=user, state=state, force=False, creating=False)
    fields = attributes_apply(user=user, values=values)
    user.save(update_fields=[*fields, "updated_at"])
    return user


def user_delete_attributes(*, user: PoolUser, names: Sequence[str], admin: bool = True) -> PoolUser:
    """AdminDeleteUserAttributes (DeleteUserAttributes with `admin` false): the same rules as
    clearing each attribute in an update, once every name is known to the schema."""
    attributes_known_check(pool=user.pool, names=names)
    return user_update_attributes(user=user, attributes=dict.fromkeys(names, ""), admin=admin)


@transaction.atomic
def user_verify_attribute(
    *, user: PoolUser, attribute: str, force_alias_creation: bool = False
) -> PoolUser:
    """Mark the user's email or phone_number verified, once a code sent to it came back.

    A verified email or phone number becomes a sign-in alias, so it must not be another user's
    verified alias (AliasExistsException); with `force_alias_creation` it moves to this user and
    the other keeps the value, unverified.
    """
    pool = user.pool
    values = {f"{attribute}_verified": True}
    state = _state_after(user, values)
    _verified_flags_check(state=state, values=values)
    user_pool_locked(pool=pool)
    _sign_in_values_claim(
        pool=pool, user=user, state=state, force=force_alias_creation, creating=False
    )
    fields = attributes_apply(user=user, values=values)
    user.save(update_fields=[*fields, "updated_at"])
    return user


def user_enable(*, user: PoolUser) -> PoolUser:
    if user.enabled:
        return user  # idempotent: any interface may retry
    user.enabled = True
    user.save(update_fields=["enabled", "updated_at"])
    return user


@transaction.atomic
def user_disable(*, user: PoolUser) -> PoolUser:
    """AdminDisableUser. As in Cognito it also signs the user out everywhere: tokens issued until
    now stay refused after the user is enabled again."""
    if not user.enabled:
        return user  # idempotent: any interface may retry
    user.enabled = False
    user.save(update_fields=["enabled", "updated_at"])
    user_tokens_revoke(user=user)
    return user


@transaction.atomic
def user_delete(*, user: PoolUser) -> None:
    """AdminDeleteUser. The username can be used again afterwards, as in Cognito."""
    user.delete()
    UserPool.objects.filter(pk=user.pool_id, estimated_number_of_users__gt=0).update(
        estimated_number_of_users=F("estimated_number_of_users") - 1
    )


@transaction.atomic
def user_reset_password(*, user: PoolUser) -> PoolUser:
    """AdminResetUserPassword: RESET_REQUIRED, so the next sign-in must go through the reset, and
    the user's tokens are revoked.

    The user needs a verified email or phone number that the pool's account recovery may use
    (`admin_only` recovery gives them none); a forgot-password code is sent there, as Cognito
    does, for ConfirmForgotPassword. Disabled users, and users who never chose a password, are
    refused first (NotAuthorizedException), as Cognito refuses them.
    """
    code_recovery_allowed_check(user=user)
    medium = code_medium_for_recovery(user=user)
    user.status = UserStatus.RESET_REQUIRED
    user.save(update_fields=["status", "updated_at"])
    user_tokens_revoke(user=user)
    code_send(user=user, purpose=CodePurpose.FORGOT_PASSWORD, medium=medium, client=None)
    return user


def user_check_confirmable(*, user: PoolUser) -> None:
    """Only an UNCONFIRMED user can be confirmed, by an administrator or with a code."""
    if user.status != UserStatus.UNCONFIRMED:
        raise NotAuthorizedException(f"User cannot be confirmed. Current status is {user.status}")


def user_confirm_sign_up(*, user: PoolUser) -> PoolUser:
    """AdminConfirmSignUp, and ConfirmSignUp once its code is checked."""
    user_check_confirmable(user=user)
    user.status = UserStatus.CONFIRMED
    user.save(update_fields=["status", "updated_at"])
    return user


def _memberships(*, user: PoolUser, group: Group) -> QuerySet[GroupMembership]:
    if user.pool_id != group.pool_id:
        # Another pool's group is invisible from this user's pool.
        raise ResourceNotFoundException("Group not found.")
    return GroupMembership.objects.filter(user=user, group=group)


@transaction.atomic
def user_add_to_group(*, user: PoolUser, group: Group) -> None:
    """AdminAddUserToGroup; adding a member again changes nothing."""
    membership = _memberships(user=user, group=group)
    # Serialises this user's additions, so two concurrent ones cannot pass the limit together.
    PoolUser.objects.select_for_update().only("pk").get(pk=user.pk)
    if membership.exists():
        return
    if GroupMembership.objects.filter(user=user).count() >= MAX_GROUPS_PER_USER:
        raise LimitExceededException(f"A user can belong to at most {MAX_GROUPS_PER_USER} groups.")
    GroupMembership.objects.create(user=user, group=group)


def user_remove_from_group(*, user: PoolUser, group: Group) -> None:
    """AdminRemoveUserFromGroup; removing a non-member changes nothing."""
    _memberships(user=user, group=group).delete()
