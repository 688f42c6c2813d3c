"""Groups of a user pool: CreateGroup, UpdateGroup and DeleteGroup (lists are selectors)."""

from __future__ import annotations

from django.db import transaction

from cognitoadmin.awsmodel import model_validate
from pools.errors import GroupExistsException
from pools.models import Group, UserPool
from pools.selectors.pools import user_pool_locked
from pools.services.limits import pool_quota_check

MAX_GROUPS_PER_POOL = 10_000


@transaction.atomic
def group_create(
    *,
    pool: UserPool,
    name: str,
    description: str = "",
    precedence: int | None = None,
    role_arn: str = "",
) -> Group:
    model_validate(
        "CreateGroup",
        {
            "UserPoolId": pool.pool_id,
            "GroupName": name,
            "Description": description or None,
            "Precedence": precedence,
            "RoleArn": role_arn or None,
        },
    )

    user_pool_locked(pool=pool)
    if Group.objects.filter(pool=pool, name=name).exists():
        raise GroupExistsException("A group with the name already exists.")
    pool_quota_check(
        pool=pool, rows=Group.objects.filter(pool=pool), limit=MAX_GROUPS_PER_POOL, noun="groups"
    )
    return Group.objects.create(
        pool=pool,
        name=name,
        description=description,
        precedence=precedence,
        role_arn=role_arn,
    )


@transaction.atomic
def group_update(
    *,
    group: Group,
    description: str | None = None,
    precedence: int | None = None,
    role_arn: str | None = None,
) -> Group:
    """Change only the members given; an empty `role_arn` removes the group's role."""
    model_validate(
        "UpdateGroup",
        {
            "UserPoolId": group.pool.pool_id,
            "GroupName": group.name,
            "Description": description or None,
            "Precedence": precedence,
            "RoleArn": role_arn or None,
        },
    )

    fields = ["updated_at"]
    if description is not None:
        group.description = description
        fields.append("description")
    if precedence is not None:
        group.precedence = precedence
        fields.append("precedence")
    if role_arn is not None:
        group.role_arn = role_arn
        fields.append("role_arn")
    group.save(update_fields=fields)
    return group


@transaction.atomic
def group_delete(*, group: Group) -> None:
    # Memberships go with the group (cascade); tokens already issued keep their claims until expiry.
    group.delete()
