"""Self-service sign-up: SignUp, ConfirmSignUp and ResendConfirmationCode.

These operations are unsigned: the app client (and, when it has one, its secret hash) is the only
credential. A signed-up user is UNCONFIRMED until the code sent to the attribute the pool verifies
automatically comes back; confirming verifies that attribute too. A pool that verifies nothing
automatically sends no code, and its users wait for AdminConfirmSignUp, as in Cognito.

With PreventUserExistenceErrors ENABLED on the client, a name that names nobody gets the answers a
real user could get (a plausible delivery, a wrong code), after the same checks and limits
(`client_requests.py`).

The hosted pages (`/signup`, `/confirm`) call the same services with `hosted=True`: no secret
hash is asked there, as for the hosted sign-in; every other rule is the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from cognitoadmin.awsmodel import model_validate
from pools.errors import (
    InvalidParameterException,
    NotAuthorizedException,
)
from pools.models import AppClient, CodePurpose, PoolUser, UserPool, UserStatus
from pools.selectors.clients import app_client_get_by_id
from pools.selectors.users import user_for_client_request
from pools.services.attributes import attributes_validate
from pools.services.auth import auth_sign_up_session
from pools.services.client_requests import (
    client_request_validate,
    unknown_user_check,
    unknown_user_write,
)
from pools.services.clients import app_client_check_write_attributes
from pools.services.codes import (
    code_check,
    code_check_simulated,
    code_delivery_simulated,
    code_medium_for_sign_up,
    code_send,
)
from pools.services.delivery import ATTRIBUTE_FOR_MEDIUM, Medium
from pools.services.limits import LimitedAction, attempt_record
from pools.services.passwords import password_validate
from pools.services.users import (
    user_check_confirmable,
    user_confirm_sign_up,
    user_insert,
    user_verify_attribute,
)

# The first factors that sign in a user who has no password.
PASSWORDLESS_FACTORS = frozenset({"EMAIL_OTP", "SMS_OTP"})


def _attribute_list(attributes: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Name": name, "Value": value} for name, value in attributes.items()]


@transaction.atomic
def sign_up(
    *,
    client: AppClient,
    username: str,
    password: str,
    attributes: Mapping[str, str],
    validation_data: Mapping[str, str] | None = None,
    secret_hash: str | None = None,
    hosted: bool = False,
) -> dict[str, Any]:
    """SignUp: an UNCONFIRMED user, and a code sent to the attribute the pool verifies
    automatically. Returns SignUp's output (UserConfirmed, CodeDeliveryDetails, UserSub).

    Where the pool signs users in with a code by email or SMS, `password` may be empty: the user
    has none, and signs in with codes (`auth.py`'s USER_AUTH) until they set one.

    `validation_data` is checked for shape only: it exists for a PreSignUp Lambda trigger, which
    this server does not run.
    """
    members: dict[str, Any] = {"Password": password, "UserAttributes": _attribute_list(attributes)}
    if validation_data is not None:
        members["ValidationData"] = _attribute_list(validation_data)
    client_request_validate(
        "SignUp",
        client=client,
        username=username,
        secret_hash=secret_hash,
        hosted=hosted,
        **members,
    )
    pool = client.pool
    if pool.allow_admin_create_user_only:
        raise NotAuthorizedException("SignUp is not permitted for this user pool")
    app_client_check_write_attributes(client=client, names=attributes.keys())
    values = attributes_validate(pool=pool, attributes=attributes, creating=True, admin=False)
    if password or not PASSWORDLESS_FACTORS & set(pool.allowed_first_auth_factors):
        password_validate(pool=pool, password=password)
    user = user_insert(
        pool=pool,
        username=username,
        values=values,
        password=password,
        status=UserStatus.UNCONFIRMED,
        # SignUp words a taken username differently from AdminCreateUser.
        taken_message="User already exists",
    )
    result: dict[str, Any] = {"UserConfirmed": False, "UserSub": str(user.sub)}
    medium = code_medium_for_sign_up(user=user)
    if medium is not None:
        result["CodeDeliveryDetails"] = code_send(
            user=user, purpose=CodePurpose.SIGN_UP, medium=medium, client=client
        )
    return result


def sign_up_confirm(
    *,
    client: AppClient,
    username: str,
    code: str,
    secret_hash: str | None = None,
    hosted: bool = False,
    force_alias_creation: bool = False,
) -> str | None:
    """ConfirmSignUp: the code from SignUp (or ResendConfirmationCode) makes the user CONFIRMED
    and verifies the attribute it was sent to. If that attribute is another user's verified
    alias, AliasExistsException, unless `force_alias_creation` moves the alias to this user.
    Returns the Session that signs the user in with USER_AUTH, the code being the first factor
    (none when the pool no longer sends sign-up codes anywhere).

    Not one transaction: a wrong code must count even though the request fails (`code_check`).
    """
    client_request_validate(
        "ConfirmSignUp",
        client=client,
        username=username,
        secret_hash=secret_hash,
        hosted=hosted,
        ConfirmationCode=code,
        ForceAliasCreation=force_alias_creation,
    )
    user, medium = _sign_up_code_check(
        client=client, username=username, code=code, force_alias_creation=force_alias_creation
    )
    # A code the pool no longer says where it went proves no channel: no sign-in from it.
    return auth_sign_up_session(client=client, user=user, medium=medium) if medium else None


def sign_up_confirm_by_link(
    *, client_id: str, username: str, code: str, pool: UserPool | None = None
) -> AppClient:
    """The confirmation link of a CONFIRM_WITH_LINK pool (`/confirmUser`): ConfirmSignUp without
    a secret hash, which a mail client cannot compute; the code it carries is the proof, checked
    and limited as ConfirmSignUp's is. Returns the app client the link names (through a pool's
    domain, `pool` is the only one whose clients exist)."""
    model_validate(
        "ConfirmSignUp", {"ClientId": client_id, "Username": username, "ConfirmationCode": code}
    )
    client = app_client_get_by_id(client_id=client_id, pool=pool)
    _sign_up_code_check(client=client, username=username, code=code, force_alias_creation=False)
    return client


def _sign_up_code_check(
    *, client: AppClient, username: str, code: str, force_alias_creation: bool
) -> tuple[PoolUser, Medium | None]:
    """The sign-up's code checked and the user confirmed: the user, and where the code went."""
    user = user_for_client_request(client=client, username=username)
    attempt_record(
        action=LimitedAction.CONFIRM_SIGN_UP, pool=client.pool, user=user, username=username
    )
    if user is None:
        unknown_user_check(client=client)
        unknown_user_write(client=client)
        code_check_simulated(
            pool=client.pool, username=username, purpose=CodePurpose.SIGN_UP, code=code
        )
    user_check_confirmable(user=user)
    with code_check(user=user, purpose=CodePurpose.SIGN_UP, code=code):
        user_confirm_sign_up(user=user)
        # The code went where the sign-up rule sends it, and it came back from there.
        medium = code_medium_for_sign_up(user=user)
        if medium is not None:
            user_verify_attribute(
                user=user,
                attribute=ATTRIBUTE_FOR_MEDIUM[medium],
                force_alias_creation=force_alias_creation,
            )
    return user, medium


@transaction.atomic
def confirmation_code_resend(
    *, client: AppClient, username: str, secret_hash: str | None = None, hosted: bool = False
) -> dict[str, Any]:
    """ResendConfirmationCode: a new sign-up code (the previous one stops working)."""
    client_request_validate(
        "ResendConfirmationCode",
        client=client,
        username=username,
        secret_hash=secret_hash,
        hosted=hosted,
    )
    pool = client.pool
    if not {"email", "phone_number"} & set(pool.auto_verified_attributes):
        raise InvalidParameterException("Cannot resend codes. Auto verification not turned on.")
    user = user_for_client_request(client=client, username=username)
    attempt_record(
        action=LimitedAction.RESEND_CONFIRMATION_CODE, pool=pool, user=user, username=username
    )
    if user is None:
        unknown_user_check(client=client)
        return {
            "CodeDeliveryDetails": code_delivery_simulated(
                client=client, username=username, purpose=CodePurpose.SIGN_UP
            )
        }
    if user.status != UserStatus.UNCONFIRMED:
        raise InvalidParameterException("User is already confirmed.")
    medium = code_medium_for_sign_up(user=user)
    if medium is None:
        raise InvalidParameterException(
            "Cannot resend codes. The user has no email or phone number that the user pool "
            "verifies automatically."
        )
    return {
        "CodeDeliveryDetails": code_send(
            user=user, purpose=CodePurpose.SIGN_UP, medium=medium, client=client
        )
    }
