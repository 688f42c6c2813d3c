"""Self-service password recovery: ForgotPassword and ConfirmForgotPassword.

A reset code (valid one hour) goes to the first verified email or phone number the pool's
AccountRecoverySetting allows; the code and a new password that meets the policy make the user
CONFIRMED and end every session signed in with the old password. Users whose password an
administrator reset (RESET_REQUIRED) finish here too.

The hosted pages (`/forgotPassword`, `/confirmForgotPassword`) call the same services with
`hosted=True`: no secret hash is asked there, as for the hosted sign-in.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from pools.models import AppClient, CodePurpose
from pools.selectors.users import user_for_client_request
from pools.services.client_requests import (
    client_request_validate,
    unknown_user_check,
    unknown_user_write,
)
from pools.services.codes import (
    code_check,
    code_check_simulated,
    code_delivery_simulated,
    code_medium_for_recovery,
    code_recovery_allowed_check,
    code_send,
)
from pools.services.limits import LimitedAction, attempt_record
from pools.services.passwords import password_replace, password_validate


@transaction.atomic
def password_forgot(
    *, client: AppClient, username: str, secret_hash: str | None = None, hosted: bool = False
) -> dict[str, Any]:
    """ForgotPassword: a reset code to the user's recovery address; returns its
    CodeDeliveryDetails. Without a verified address the pool's recovery may use,
    InvalidParameterException."""
    client_request_validate(
        "ForgotPassword", client=client, username=username, secret_hash=secret_hash, hosted=hosted
    )
    pool = client.pool
    user = user_for_client_request(client=client, username=username)
    attempt_record(action=LimitedAction.FORGOT_PASSWORD, pool=pool, user=user, username=username)
    if user is None:
        unknown_user_check(client=client)
        return {
            "CodeDeliveryDetails": code_delivery_simulated(
                client=client, username=username, purpose=CodePurpose.FORGOT_PASSWORD
            )
        }
    code_recovery_allowed_check(user=user)
    medium = code_medium_for_recovery(user=user)
    return {
        "CodeDeliveryDetails": code_send(
            user=user, purpose=CodePurpose.FORGOT_PASSWORD, medium=medium, client=client
        )
    }


def password_forgot_confirm(
    *,
    client: AppClient,
    username: str,
    code: str,
    password: str,
    secret_hash: str | None = None,
    hosted: bool = False,
) -> None:
    """ConfirmForgotPassword: the reset code and a new password. The user becomes CONFIRMED and
    their refresh and access tokens are revoked.

    Not one transaction: a wrong code must count even though the request fails (`code_check`).
    """
    client_request_validate(
        "ConfirmForgotPassword",
        client=client,
        username=username,
        secret_hash=secret_hash,
        hosted=hosted,
        ConfirmationCode=code,
        Password=password,
    )
    pool = client.pool
    # The policy does not depend on the user, so checking it first reveals nothing.
    password_validate(pool=pool, password=password)
    user = user_for_client_request(client=client, username=username)
    attempt_record(
        action=LimitedAction.CONFIRM_FORGOT_PASSWORD, pool=pool, user=user, username=username
    )
    if user is None:
        unknown_user_check(client=client)
        unknown_user_write(client=client)
        code_check_simulated(
            pool=pool, username=username, purpose=CodePurpose.FORGOT_PASSWORD, code=code
        )
    code_recovery_allowed_check(user=user)
    with code_check(user=user, purpose=CodePurpose.FORGOT_PASSWORD, code=code):
        password_replace(user=user, password=password)
