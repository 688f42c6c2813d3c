"""User pools, their MFA settings, tags and CSV header, over the AWS JSON protocol."""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsjson import AwsCall, operation
from cognitoadmin.regions import call_region
from pools.aws.resources import ACCOUNT, pool_arn, tagged_arn
from pools.selectors.pools import (
    user_pool_csv_header,
    user_pool_get,
    user_pool_get_by_arn,
    user_pools_page,
)
from pools.services.pools import (
    user_pool_add_custom_attributes,
    user_pool_create,
    user_pool_delete,
    user_pool_set_mfa_config,
    user_pool_tag,
    user_pool_untag,
    user_pool_update,
)
from pools.shapes.pools import (
    user_pool_description_shape,
    user_pool_mfa_config_shape,
    user_pool_shape,
)


def _settings(params: dict[str, Any]) -> dict[str, Any]:
    """The request's settings: every member but the pool's id."""
    return {key: value for key, value in params.items() if key != "UserPoolId"}


@operation("CreateUserPool", permission="pools.add_userpool", resource=ACCOUNT)
def create_user_pool(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    settings = dict(params)
    pool = user_pool_create(name=settings.pop("PoolName"), settings=settings)
    return {"UserPool": user_pool_shape(pool)}


@operation("DescribeUserPool", permission="pools.view_userpool", resource=pool_arn)
def describe_user_pool(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return {"UserPool": user_pool_shape(user_pool_get(pool_id=params["UserPoolId"]))}


@operation("UpdateUserPool", permission="pools.change_userpool", resource=pool_arn)
def update_user_pool(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    pool = user_pool_get(pool_id=params["UserPoolId"])
    user_pool_update(pool=pool, settings=_settings(params))
    return {}


@operation("DeleteUserPool", permission="pools.delete_userpool", resource=pool_arn)
def delete_user_pool(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    user_pool_delete(pool=user_pool_get(pool_id=params["UserPoolId"]))
    return {}


@operation("ListUserPools", permission="pools.view_userpool", resource=ACCOUNT)
def list_user_pools(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    pools, next_token = user_pools_page(
        max_results=params["MaxResults"],
        next_token=params.get("NextToken"),
        region=call_region(),
    )
    result: dict[str, Any] = {"UserPools": [user_pool_description_shape(p) for p in pools]}
    if next_token is not None:
        result["NextToken"] = next_token
    return result


@operation("AddCustomAttributes", permission="pools.change_userpool", resource=pool_arn)
def add_custom_attributes(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    pool = user_pool_get(pool_id=params["UserPoolId"])
    user_pool_add_custom_attributes(pool=pool, attributes=params["CustomAttributes"])
    return {}


@operation("GetUserPoolMfaConfig", permission="pools.view_userpool", resource=pool_arn)
def get_user_pool_mfa_config(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return user_pool_mfa_config_shape(user_pool_get(pool_id=params["UserPoolId"]))


@operation("SetUserPoolMfaConfig", permission="pools.change_userpool", resource=pool_arn)
def set_user_pool_mfa_config(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    pool = user_pool_get(pool_id=params["UserPoolId"])
    pool = user_pool_set_mfa_config(pool=pool, settings=_settings(params))
    return user_pool_mfa_config_shape(pool)


@operation("TagResource", permission="pools.change_userpool", resource=tagged_arn)
def tag_resource(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    user_pool_tag(pool=user_pool_get_by_arn(arn=params["ResourceArn"]), tags=params["Tags"])
    return {}


@operation("UntagResource", permission="pools.change_userpool", resource=tagged_arn)
def untag_resource(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    user_pool_untag(pool=user_pool_get_by_arn(arn=params["ResourceArn"]), keys=params["TagKeys"])
    return {}


@operation("ListTagsForResource", permission="pools.view_userpool", resource=tagged_arn)
def list_tags_for_resource(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return {"Tags": dict(user_pool_get_by_arn(arn=params["ResourceArn"]).tags)}


@operation("GetCSVHeader", permission="pools.view_userpool", resource=pool_arn)
def get_csv_header(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    pool = user_pool_get(pool_id=params["UserPoolId"])
    return {"UserPoolId": pool.pool_id, "CSVHeader": user_pool_csv_header(pool=pool)}
