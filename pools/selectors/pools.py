"""User pools (by id, by ARN, locked for a change, in pages) and their attribute schema."""

from __future__ import annotations

import re

from django.db.models import QuerySet

from cognitoadmin.awsmodel import model_validate
from cognitoadmin.regions import region_visible
from pools.errors import (
    InvalidParameterException,
    ResourceNotFoundException,
)
from pools.models import (
    SchemaAttribute,
    UserPool,
)
from pools.selectors.pages import keyset_page

_USER_POOL_ARN = re.compile(
    r"arn:aws[\w-]*:cognito-idp:[a-z0-9-]+:\d{12}:userpool/(?P<pool_id>[\w-]+_[0-9a-zA-Z]+)"
)


def user_pool_get(*, pool_id: str) -> UserPool:
    """The pool `pool_id`; within a signed call, only if it is of the call's region."""
    pool = UserPool.objects.filter(pool_id=pool_id).first() if region_visible(pool_id) else None
    if pool is None:
        raise ResourceNotFoundException(f"User pool {pool_id} does not exist.")
    return pool


def user_pool_get_by_arn(*, arn: str) -> UserPool:
    """The pool a tagging call names by ARN. An ARN that is not a user pool's is a bad parameter;
    a user pool ARN of another region or account, or of no pool, is not found."""
    match = _USER_POOL_ARN.fullmatch(arn)
    if match is None:
        raise InvalidParameterException(f"{arn} is not a valid user pool ARN.")
    pool = (
        UserPool.objects.filter(pool_id=match["pool_id"]).first()
        if region_visible(match["pool_id"])
        else None
    )
    if pool is None or pool.arn != arn:
        raise ResourceNotFoundException(f"User pool {match['pool_id']} does not exist.")
    return pool


def user_pool_locked(*, pool: UserPool) -> UserPool:
    """`pool` re-read under a row lock (inside a transaction): serialises the changes that check a
    per-pool limit or invariant, so two concurrent requests cannot both pass the check."""
    return UserPool.objects.select_for_update().get(pk=pool.pk)


USER_POOLS_PAGE_SCOPE = "user_pools"


def user_pools_of_region(pools: QuerySet[UserPool], *, region: str) -> QuerySet[UserPool]:
    """Those of `pools` made in `region`, which their ids begin with."""
    return pools.filter(pool_id__startswith=f"{region}_")


def user_pools_page(
    *, max_results: int, next_token: str | None, region: str | None = None
) -> tuple[list[UserPool], str | None]:
    """A page of the pools, of `region` only when given."""
    model_validate("ListUserPools", {"MaxResults": max_results, "NextToken": next_token})
    pools = UserPool.objects.all()
    if region is not None:
        pools = user_pools_of_region(pools, region=region)
    return keyset_page(
        pools,
        limit=max_results,
        next_token=next_token,
        scope=USER_POOLS_PAGE_SCOPE,
    )


def schema_attributes(*, pool: UserPool) -> dict[str, SchemaAttribute]:
    """The pool's schema keyed by full attribute name (`email`, `custom:tier`, `dev:custom:x`)."""
    return {row.full_name: row for row in SchemaAttribute.objects.filter(pool=pool)}


def schema_attribute_definitions(*, pool: UserPool) -> list[SchemaAttribute]:
    """The pool's schema as DescribeUserPool lists it: standard attributes, then custom ones."""
    return list(SchemaAttribute.objects.filter(pool=pool).order_by("id"))


# The columns a user-import CSV always has after the pool's attributes.
CSV_HEADER_TRAILER = ("cognito:mfa_enabled", "cognito:username")


def user_pool_csv_header(*, pool: UserPool) -> list[str]:
    """GetCSVHeader: every attribute an import may set (the standard ones but `sub`, which Cognito
    assigns, then the custom ones), then the MFA flag and the username, in Cognito's order."""
    names = [
        row.full_name
        for row in schema_attribute_definitions(pool=pool)
        if row.name != "sub" or row.is_custom
    ]
    return [*names, *CSV_HEADER_TRAILER]
