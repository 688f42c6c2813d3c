"""Groups of a pool, and the groups of a user, in pages."""

from __future__ import annotations

from cognitoadmin.awsmodel import model_validate
from pools.errors import ResourceNotFoundException
from pools.models import (
    Group,
    PoolUser,
    UserPool,
)
from pools.selectors.pages import MAX_PAGE_SIZE, keyset_page


def group_get(*, pool: UserPool, name: str) -> Group:
    try:
        return Group.objects.get(pool=pool, name=name)
    except Group.DoesNotExist:
        raise ResourceNotFoundException("Group not found.") from None


def groups_for_user_page(
    *, user: PoolUser, limit: int | None = MAX_PAGE_SIZE, next_token: str | None = None
) -> tuple[list[Group], str | None]:
    """AdminListGroupsForUser, in the order groups were created."""
    model_validate(
        "AdminListGroupsForUser",
        {
            "UserPoolId": user.pool.pool_id,
            "Username": user.username,
            "Limit": limit,
            "NextToken": next_token,
        },
    )
    return keyset_page(
        Group.objects.filter(pool_id=user.pool_id, memberships__user=user).select_related("pool"),
        limit=limit or MAX_PAGE_SIZE,
        next_token=next_token,
        scope=f"groups-for-user:{user.pool.pool_id}:{user.pk}",
    )


def groups_page(
    *, pool: UserPool, limit: int, next_token: str | None
) -> tuple[list[Group], str | None]:
    model_validate(
        "ListGroups", {"UserPoolId": pool.pool_id, "Limit": limit, "NextToken": next_token}
    )
    return keyset_page(
        Group.objects.filter(pool=pool).select_related("pool"),
        limit=limit or MAX_PAGE_SIZE,
        next_token=next_token,
        scope=f"groups:{pool.pool_id}",
    )
