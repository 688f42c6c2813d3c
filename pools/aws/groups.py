"""Groups of a user pool and their members, over the AWS JSON protocol."""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsjson import AwsCall, operation
from pools.aws.resources import pool_arn
from pools.aws.users import request_user
from pools.models import Group, PoolUser
from pools.selectors.groups import group_get, groups_for_user_page, groups_page
from pools.selectors.pools import user_pool_get
from pools.selectors.users import user_get, users_in_group_page
from pools.services.groups import group_create, group_delete, group_update
from pools.services.users import user_add_to_group, user_remove_from_group
from pools.shapes.groups import group_shape
from pools.shapes.users import user_shape, users_identities_prefetch


def _group(params: dict[str, Any]) -> Group:
    pool = user_pool_get(pool_id=params["UserPoolId"])
    return group_get(pool=pool, name=params["GroupName"])


def _page(member: str, items: list[dict[str, Any]], next_token: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {member: items}
    if next_token is not None:
        result["NextToken"] = next_token
    return result


@operation("CreateGroup", permission="pools.add_group", resource=pool_arn)
def create_group(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    group = group_create(
        pool=user_pool_get(pool_id=params["UserPoolId"]),
        name=params["GroupName"],
        description=params.get("Description", ""),
        precedence=params.get("Precedence"),
        role_arn=params.get("RoleArn", ""),
    )
    return {"Group": group_shape(group)}


@operation("GetGroup", permission="pools.view_group", resource=pool_arn)
def get_group(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return {"Group": group_shape(_group(params))}


@operation("UpdateGroup", permission="pools.change_group", resource=pool_arn)
def update_group(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    group = group_update(
        group=_group(params),
        description=params.get("Description"),
        precedence=params.get("Precedence"),
        role_arn=params.get("RoleArn"),
    )
    return {"Group": group_shape(group)}


@operation("DeleteGroup", permission="pools.delete_group", resource=pool_arn)
def delete_group(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    group_delete(group=_group(params))
    return {}


@operation("ListGroups", permission="pools.view_group", resource=pool_arn)
def list_groups(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    groups, next_token = groups_page(
        pool=user_pool_get(pool_id=params["UserPoolId"]),
        limit=params.get("Limit", 0),
        next_token=params.get("NextToken"),
    )
    return _page("Groups", [group_shape(g) for g in groups], next_token)


@operation("ListUsersInGroup", permission="pools.view_groupmembership", resource=pool_arn)
def list_users_in_group(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    users, next_token = users_in_group_page(
        group=_group(params), limit=params.get("Limit"), next_token=params.get("NextToken")
    )
    return _page("Users", [user_shape(u) for u in users_identities_prefetch(users)], next_token)


def _membership(params: dict[str, Any]) -> tuple[PoolUser, Group]:
    pool = user_pool_get(pool_id=params["UserPoolId"])
    group = group_get(pool=pool, name=params["GroupName"])
    return user_get(pool=pool, username=params["Username"]), group


@operation("AdminAddUserToGroup", permission="pools.add_groupmembership", resource=pool_arn)
def admin_add_user_to_group(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    user, group = _membership(params)
    user_add_to_group(user=user, group=group)
    return {}


@operation("AdminRemoveUserFromGroup", permission="pools.delete_groupmembership", resource=pool_arn)
def admin_remove_user_from_group(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    user, group = _membership(params)
    user_remove_from_group(user=user, group=group)
    return {}


@operation("AdminListGroupsForUser", permission="pools.view_groupmembership", resource=pool_arn)
def admin_list_groups_for_user(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    groups, next_token = groups_for_user_page(
        user=request_user(params), limit=params.get("Limit"), next_token=params.get("NextToken")
    )
    return _page("Groups", [group_shape(g) for g in groups], next_token)
