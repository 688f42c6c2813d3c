"""What end users call themselves, unsigned, over the AWS JSON protocol.

Sign-up and password recovery name their app client by ClientId (with SecretHash when it has a
secret); the other operations are authorised by the user's access token alone.
"""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsjson import AwsCall, operation
from pools.selectors.clients import app_client_get_by_id
from pools.selectors.users import profile_readable_attributes
from pools.services import signup
from pools.services.mfa import mfa_settings_shape
from pools.services.profile import (
    attribute_verification_code_send,
    attribute_verify,
    password_change,
    profile_delete,
    profile_delete_attributes,
    profile_update_attributes,
)
from pools.services.recovery import password_forgot, password_forgot_confirm
from pools.services.signup import confirmation_code_resend, sign_up_confirm
from pools.services.verification import AccessTokenContext, access_token_verify
from pools.shapes.users import user_attributes_shape, user_auth_factors_shape


def _named(items: list[dict[str, str]]) -> dict[str, str]:
    """`[{"Name", "Value"}]` as a mapping; a missing Value is an empty one."""
    return {item["Name"]: item.get("Value", "") for item in items}


def _signed_in(params: dict[str, Any]) -> AccessTokenContext:
    return access_token_verify(token=params["AccessToken"])


# --- sign-up and recovery, addressed to an app client ----------------------------------------


@operation("SignUp")
def sign_up(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    validation_data = params.get("ValidationData")
    return signup.sign_up(
        client=app_client_get_by_id(client_id=params["ClientId"]),
        username=params["Username"],
        password=params.get("Password", ""),
        attributes=_named(params.get("UserAttributes", [])),
        validation_data=None if validation_data is None else _named(validation_data),
        secret_hash=params.get("SecretHash"),
    )


@operation("ConfirmSignUp")
def confirm_sign_up(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    session = sign_up_confirm(
        client=app_client_get_by_id(client_id=params["ClientId"]),
        username=params["Username"],
        code=params["ConfirmationCode"],
        secret_hash=params.get("SecretHash"),
        force_alias_creation=params.get("ForceAliasCreation", False),
    )
    return {"Session": session} if session else {}


@operation("ResendConfirmationCode")
def resend_confirmation_code(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return confirmation_code_resend(
        client=app_client_get_by_id(client_id=params["ClientId"]),
        username=params["Username"],
        secret_hash=params.get("SecretHash"),
    )


@operation("ForgotPassword")
def forgot_password(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return password_forgot(
        client=app_client_get_by_id(client_id=params["ClientId"]),
        username=params["Username"],
        secret_hash=params.get("SecretHash"),
    )


@operation("ConfirmForgotPassword")
def confirm_forgot_password(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    password_forgot_confirm(
        client=app_client_get_by_id(client_id=params["ClientId"]),
        username=params["Username"],
        code=params["ConfirmationCode"],
        password=params["Password"],
        secret_hash=params.get("SecretHash"),
    )
    return {}


# --- the signed-in user's own account, authorised by the access token -----------------------


@operation("GetUser")
def get_user(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    context = _signed_in(params)
    names = profile_readable_attributes(user=context.user, client=context.client)
    return {
        "Username": context.user.username,
        "UserAttributes": user_attributes_shape(context.user, names=names),
        **mfa_settings_shape(context.user),
    }


@operation("GetUserAuthFactors")
def get_user_auth_factors(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return user_auth_factors_shape(_signed_in(params).user)


@operation("ChangePassword")
def change_password(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    password_change(
        user=_signed_in(params).user,
        previous=params.get("PreviousPassword", ""),
        proposed=params["ProposedPassword"],
    )
    return {}


@operation("UpdateUserAttributes")
def update_user_attributes(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    context = _signed_in(params)
    sent = profile_update_attributes(
        user=context.user, client=context.client, attributes=_named(params["UserAttributes"])
    )
    return {"CodeDeliveryDetailsList": sent}


@operation("GetUserAttributeVerificationCode")
def get_user_attribute_verification_code(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    details = attribute_verification_code_send(
        user=_signed_in(params).user, attribute=params["AttributeName"]
    )
    return {"CodeDeliveryDetails": details}


@operation("VerifyUserAttribute")
def verify_user_attribute(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    attribute_verify(
        user=_signed_in(params).user, attribute=params["AttributeName"], code=params["Code"]
    )
    return {}


@operation("DeleteUser")
def delete_user(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    profile_delete(user=_signed_in(params).user)
    return {}


@operation("DeleteUserAttributes")
def delete_user_attributes(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    context = _signed_in(params)
    profile_delete_attributes(
        user=context.user, client=context.client, names=params["UserAttributeNames"]
    )
    return {}
