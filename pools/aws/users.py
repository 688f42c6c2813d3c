"""Pool users as administrators manage them (AdminCreateUser, the other Admin* user operations and
ListUsers), over the AWS JSON protocol."""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsjson import AwsCall, operation
from pools.aws.resources import pool_arn
from pools.models import PoolUser
from pools.selectors.pools import user_pool_get
from pools.selectors.users import user_get, users_page
from pools.services.passwords import password_replace
from pools.services.users import (
    user_confirm_sign_up,
    user_create,
    user_delete,
    user_delete_attributes,
    user_disable,
    user_enable,
    user_reset_password,
    user_update_attributes,
)
from pools.shapes.users import (
    admin_get_user_shape,
    user_auth_factors_shape,
    user_shape,
    users_identities_prefetch,
)


def request_user(params: dict[str, Any]) -> PoolUser:
    """The user an Admin* request names by `Username`, in the pool its `UserPoolId` names."""
    pool = user_pool_get(pool_id=params["UserPoolId"])
    return user_get(pool=pool, username=params["Username"])


def _attributes(params: dict[str, Any]) -> dict[str, str]:
    """`UserAttributes` (`[{"Name", "Value"}]`) as a mapping; a missing Value is an empty one."""
    return {item["Name"]: item.get("Value", "") for item in params.get("UserAttributes", [])}


@operation("AdminCreateUser", permission="pools.add_pooluser", resource=pool_arn)
def admin_create_user(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {
        "temporary_password": params.get("TemporaryPassword"),
        "message_action": params.get("MessageAction"),
        "force_alias_creation": params.get("ForceAliasCreation", False),
    }
    if "DesiredDeliveryMediums" in params:
        options["desired_delivery_mediums"] = params["DesiredDeliveryMediums"]
    user = user_create(
        pool=user_pool_get(pool_id=params["UserPoolId"]),
        username=params["Username"],
        attributes=_attributes(params),
        **options,
    )
    return {"User": user_shape(user)}


@operation("AdminGetUser", permission="pools.view_pooluser", resource=pool_arn)
def admin_get_user(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return admin_get_user_shape(request_user(params))


@operation("AdminGetUserAuthFactors", permission="pools.view_pooluser", resource=pool_arn)
def admin_get_user_auth_factors(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return user_auth_factors_shape(request_user(params))


@operation("AdminUpdateUserAttributes", permission="pools.change_pooluser", resource=pool_arn)
def admin_update_user_attributes(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    user_update_attributes(user=request_user(params), attributes=_attributes(params))
    return {}


@operation("AdminDeleteUserAttributes", permission="pools.change_pooluser", resource=pool_arn)
def admin_delete_user_attributes(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    user_delete_attributes(user=request_user(params), names=params["UserAttributeNames"])
    return {}


@operation("AdminDeleteUser", permission="pools.delete_pooluser", resource=pool_arn)
def admin_delete_user(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    user_delete(user=request_user(params))
    return {}


@operation("AdminEnableUser", permission="pools.change_pooluser", resource=pool_arn)
def admin_enable_user(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    user_enable(user=request_user(params))
    return {}


@operation("AdminDisableUser", permission="pools.change_pooluser", resource=pool_arn)
def admin_disable_user(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    user_disable(user=request_user(params))
    return {}


@operation("AdminSetUserPassword", permission="pools.change_pooluser", resource=pool_arn)
def admin_set_user_password(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    password_replace(
        user=request_user(params),
        password=params["Password"],
        temporary=not params.get("Permanent", False),
    )
    return {}


@operation("AdminResetUserPassword", permission="pools.change_pooluser", resource=pool_arn)
def admin_reset_user_password(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    user_reset_password(user=request_user(params))
    return {}


@operation("AdminConfirmSignUp", permission="pools.change_pooluser", resource=pool_arn)
def admin_confirm_sign_up(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    user_confirm_sign_up(user=request_user(params))
    return {}


@operation("ListUsers", permission="pools.view_pooluser", resource=pool_arn)
def list_users(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    names = params.get("AttributesToGet")
    users, token = users_page(
        pool=user_pool_get(pool_id=params["UserPoolId"]),
        filter=params.get("Filter", ""),
        limit=params.get("Limit"),
        pagination_token=params.get("PaginationToken"),
        attributes_to_get=names,
    )
    shapes = [user_shape(u, attributes_to_get=names) for u in users_identities_prefetch(users)]
    result: dict[str, Any] = {"Users": shapes}
    if token is not None:
        result["PaginationToken"] = token
    return result
