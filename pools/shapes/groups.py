"""GroupType, as CreateGroup, GetGroup, UpdateGroup and ListGroups return it."""

from __future__ import annotations

from typing import Any

from pools.models import Group


def group_shape(group: Group) -> dict[str, Any]:
    # Cognito leaves out the members a group does not have rather than sending them empty.
    shape: dict[str, Any] = {"GroupName": group.name, "UserPoolId": group.pool.pool_id}
    if group.description:
        shape["Description"] = group.description
    if group.role_arn:
        shape["RoleArn"] = group.role_arn
    if group.precedence is not None:
        shape["Precedence"] = group.precedence
    shape["LastModifiedDate"] = group.updated_at
    shape["CreationDate"] = group.created_at
    return shape
