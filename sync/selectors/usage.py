"""What identities and identity pools keep in Cognito Sync (DescribeIdentityUsage,
DescribeIdentityPoolUsage, ListIdentityPoolUsage).

This server counts no sync sessions (their tokens are kept nowhere), so the usages say nothing
of SyncSessionsCount, which Cognito's shape allows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Q, Sum

from cognitoadmin.awsmodel import model_validate
from identities.models import Identity, IdentityPool
from pools.selectors.pages import MAX_PAGE_SIZE, keyset_page
from sync.models import Dataset
from sync.selectors.datasets import SERVICE, page_size


@dataclass(frozen=True)
class IdentityUsage:
    identity: Identity
    dataset_count: int
    data_storage: int
    # The last change to any of its datasets (a deletion included); None before the first.
    last_modified_at: dt.datetime | None


@dataclass(frozen=True)
class IdentityPoolUsage:
    pool: IdentityPool
    data_storage: int
    last_modified_at: dt.datetime | None


def identity_usage_get(*, identity: Identity) -> IdentityUsage:
    totals = Dataset.objects.filter(identity=identity).aggregate(
        count=Count("pk", filter=Q(deleted=False)),
        storage=Sum("data_storage"),
        modified=Max("last_modified_at"),
    )
    return IdentityUsage(
        identity=identity,
        dataset_count=totals["count"],
        data_storage=totals["storage"] or 0,
        last_modified_at=totals["modified"],
    )


def identity_pool_usage_get(*, pool: IdentityPool) -> IdentityPoolUsage:
    totals = Dataset.objects.filter(identity__pool=pool).aggregate(
        storage=Sum("data_storage"), modified=Max("last_modified_at")
    )
    return IdentityPoolUsage(
        pool=pool, data_storage=totals["storage"] or 0, last_modified_at=totals["modified"]
    )


def identity_pool_usages_page(
    *, max_results: int | None, next_token: str | None, region: str | None = None
) -> tuple[list[IdentityPoolUsage], int, str | None]:
    """One page of every identity pool's usage (of `region` only, when given), the page's size,
    and the next page's token."""
    model_validate(
        "ListIdentityPoolUsage",
        {"MaxResults": max_results, "NextToken": next_token},
        service=SERVICE,
    )
    limit = page_size(max_results, MAX_PAGE_SIZE)
    chosen = IdentityPool.objects.all()
    if region is not None:
        chosen = chosen.filter(region=region)
    pools, token = keyset_page(
        chosen.annotate(
            storage=Sum("identities__datasets__data_storage"),
            modified=Max("identities__datasets__last_modified_at"),
        ),
        limit=limit,
        next_token=next_token,
        scope="identity_pool_usages",
    )
    usages = [
        IdentityPoolUsage(
            pool=pool,
            data_storage=pool.storage or 0,  # type: ignore[attr-defined]
            last_modified_at=pool.modified,  # type: ignore[attr-defined]
        )
        for pool in pools
    ]
    return usages, limit, token
