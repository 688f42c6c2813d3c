"""What a signed-in user does to their own account: ChangePassword, UpdateUserAttributes,
GetUserAttributeVerificationCode, VerifyUserAttribute, DeleteUser and DeleteUserAttributes (what
GetUser shows is a selector's).

The handler has already verified the access token (its scope, revocation, the user's state) and
checked the request against botocore's model; these services take the user and, where the app
client's permissions matter, the client the token was issued to.

A changed email or phone number is stored at once, unverified, and a code is sent to it when the
pool verifies that attribute automatically. Cognito can instead keep the old, verified value in
force until the new one is verified (UserAttributeUpdateSettings
.AttributesRequireVerificationBeforeUpdate); that needs the pending value stored beside the user,
which the model has no place for yet, so here such pools behave like the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from pools.errors import InvalidParameterException, NotAuthorizedException
from pools.models import AppClient, CodePurpose, PoolUser
from pools.services.clients import app_client_check_write_attributes
from pools.services.codes import (
    MEDIUM_FOR_ATTRIBUTE,
    VERIFY_PURPOSE_FOR_ATTRIBUTE,
    code_check,
    code_send,
)
from pools.services.limits import LimitedAction, attempt_record
from pools.services.passwords import password_check, password_replace
from pools.services.users import (
    user_delete,
    user_delete_attributes,
    user_update_attributes,
    user_verify_attribute,
)


def password_change(*, user: PoolUser, previous: str, proposed: str) -> None:
    """ChangePassword: the current password proves the change; the new one meets the policy. A
    user who has none (signed up passwordless) sets their first with the access token alone."""
    attempt_record(action=LimitedAction.CHANGE_PASSWORD, pool=user.pool, user=user)
    if user.password and not password_check(user=user, password=previous):
        raise NotAuthorizedException("Incorrect username or password.")
    # Cognito's ChangePassword leaves the user's sessions signed in.
    password_replace(user=user, password=proposed, sign_out=False)


@transaction.atomic
def profile_update_attributes(
    *, user: PoolUser, client: AppClient, attributes: Mapping[str, str]
) -> list[dict[str, Any]]:
    """UpdateUserAttributes within the client's WriteAttributes. Returns the
    CodeDeliveryDetailsList: one entry per changed email or phone number that the pool verifies
    automatically, to which a verification code was sent."""
    app_client_check_write_attributes(client=client, names=attributes.keys())
    before = {name: getattr(user, name) for name in VERIFY_PURPOSE_FOR_ATTRIBUTE}
    user_update_attributes(user=user, attributes=attributes, admin=False)
    return [
        code_send(
            user=user,
            purpose=VERIFY_PURPOSE_FOR_ATTRIBUTE[name],
            medium=MEDIUM_FOR_ATTRIBUTE[name],
            client=client,
        )
        for name in attributes
        if name in VERIFY_PURPOSE_FOR_ATTRIBUTE
        and name in user.pool.auto_verified_attributes
        and getattr(user, name)
        and getattr(user, name) != before[name]
    ]


def _verify_purpose(*, user: PoolUser, attribute: str) -> CodePurpose:
    purpose = VERIFY_PURPOSE_FOR_ATTRIBUTE.get(attribute)
    if purpose is None:
        raise InvalidParameterException(
            f"Only email and phone_number can be verified, not {attribute}."
        )
    if not getattr(user, attribute):
        raise InvalidParameterException(f"User has no {attribute} to verify.")
    return purpose


@transaction.atomic
def attribute_verification_code_send(*, user: PoolUser, attribute: str) -> dict[str, Any]:
    """GetUserAttributeVerificationCode: a code to the user's email or phone number; returns
    its CodeDeliveryDetails. A new code replaces the previous one."""
    purpose = _verify_purpose(user=user, attribute=attribute)
    attempt_record(
        action=LimitedAction.GET_USER_ATTRIBUTE_VERIFICATION_CODE, pool=user.pool, user=user
    )
    return code_send(
        user=user, purpose=purpose, medium=MEDIUM_FOR_ATTRIBUTE[attribute], client=None
    )


def attribute_verify(*, user: PoolUser, attribute: str, code: str) -> None:
    """VerifyUserAttribute: the code sent to the email or phone number marks it verified. A
    verified value that is another user's verified alias is refused (AliasExistsException).

    Not one transaction: a wrong code must count even though the request fails (`code_check`).
    """
    purpose = _verify_purpose(user=user, attribute=attribute)
    attempt_record(action=LimitedAction.VERIFY_USER_ATTRIBUTE, pool=user.pool, user=user)
    with code_check(user=user, purpose=purpose, code=code):
        user_verify_attribute(user=user, attribute=attribute)


def profile_delete(*, user: PoolUser) -> None:
    """DeleteUser: the user deletes their own account (their tokens go with it)."""
    user_delete(user=user)


def profile_delete_attributes(*, user: PoolUser, client: AppClient, names: Sequence[str]) -> None:
    """DeleteUserAttributes within the client's WriteAttributes; required and immutable
    attributes cannot be deleted."""
    app_client_check_write_attributes(client=client, names=names)
    user_delete_attributes(user=user, names=names, admin=False)
