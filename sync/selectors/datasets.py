"""An identity's datasets and records as Cognito Sync reads them, and whose they are to read.

With Cognito Identity's credentials each identity reaches only its own data: `sync_identity_get`
refuses any other (NotAuthorizedException, whatever the role allows), and the pool-wide reads
are for developer credentials only (`sync_identity_pool_get`).
"""

from __future__ import annotations

from dataclasses import dataclass

from cognitoadmin.awsmodel import model_validate
from cognitoadmin.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    ResourceNotFoundException,
)
from cognitoadmin.pagination import decode_token, encode_token
from identities.models import Identity, IdentityPool
from identities.selectors.identity_pools import identity_get, identity_pool_get
from pools.selectors.pages import MAX_PAGE_SIZE, keyset_page
from sync.models import Dataset, Record

SERVICE = "cognito-sync"
# A dataset holds at most 1,024 live records, so one default page holds them all.
RECORDS_PAGE_SIZE = 1024


def sync_identity_get(
    *, identity_pool_id: str, identity_id: str, caller_identity_id: str | None
) -> Identity:
    """The identity whose data a call names, which must be of the pool named with it.

    `caller_identity_id`: the identity whose credentials signed the call, if any; it may name
    no other identity, and is told so before anything is looked up.
    """
    if caller_identity_id is not None and caller_identity_id != identity_id:
        raise NotAuthorizedException("Access to the requested identity's data is not allowed.")
    pool = identity_pool_get(identity_pool_id=identity_pool_id)
    return identity_get(identity_id=identity_id, pool=pool)


def sync_identity_pool_get(
    *, identity_pool_id: str, caller_identity_id: str | None
) -> IdentityPool:
    """The pool a pool-wide read names; Cognito answers these for developer credentials only."""
    sync_developer_check(caller_identity_id=caller_identity_id)
    return identity_pool_get(identity_pool_id=identity_pool_id)


def sync_developer_check(*, caller_identity_id: str | None) -> None:
    if caller_identity_id is not None:
        raise NotAuthorizedException(
            "This operation can only be called with developer credentials."
        )


def page_size(max_results: int | None, largest: int) -> int:
    # No size, or none that makes a page, asks for the largest page, as Cognito's lists do.
    if max_results is None or max_results < 1:
        return largest
    return min(max_results, largest)


def dataset_get(*, identity: Identity, name: str) -> Dataset:
    """A live dataset of `identity` (a deleted one is not found, as Cognito answers)."""
    model_validate(
        "DescribeDataset",
        {
            "IdentityPoolId": identity.pool.identity_pool_id,
            "IdentityId": identity.identity_id,
            "DatasetName": name,
        },
        service=SERVICE,
    )
    dataset = Dataset.objects.filter(identity=identity, name=name, deleted=False).first()
    if dataset is None:
        raise ResourceNotFoundException(f"Dataset '{name}' not found.")
    return dataset


def datasets_page(
    *, identity: Identity, max_results: int | None, next_token: str | None
) -> tuple[list[Dataset], str | None]:
    model_validate(
        "ListDatasets",
        {
            "IdentityPoolId": identity.pool.identity_pool_id,
            "IdentityId": identity.identity_id,
            "MaxResults": max_results,
            "NextToken": next_token,
        },
        service=SERVICE,
    )
    return keyset_page(
        Dataset.objects.filter(identity=identity, deleted=False),
        limit=page_size(max_results, MAX_PAGE_SIZE),
        next_token=next_token,
        scope=f"datasets:{identity.identity_id}",
    )


@dataclass(frozen=True)
class RecordsListing:
    """ListRecords' answer, but for the sync session it begins."""

    records: list[Record]
    next_token: str | None
    # The dataset's sync count as this listing saw it: no record listed is newer.
    dataset_sync_count: int
    last_modified_by: str
    dataset_exists: bool
    deleted_after_requested_sync_count: bool
    # The datasets that identity merges brought in under another name (`Dataset.merged_from`).
    merged_dataset_names: list[str]


def _merged_names(identity: Identity, dataset_name: str) -> list[str]:
    merged = Dataset.objects.filter(identity=identity, merged_from=dataset_name, deleted=False)
    return list(merged.order_by("pk").values_list("name", flat=True))


def records_list(
    *,
    identity: Identity,
    dataset_name: str,
    last_sync_count: int | None,
    max_results: int | None,
    next_token: str | None,
) -> RecordsListing:
    """The records of `identity`'s dataset changed after `last_sync_count`, oldest change first.

    A device that has synced before (a positive `last_sync_count`) also gets tombstones, to learn
    of removals, and is told when the dataset was deleted since it synced.
    """
    model_validate(
        "ListRecords",
        {
            "IdentityPoolId": identity.pool.identity_pool_id,
            "IdentityId": identity.identity_id,
            "DatasetName": dataset_name,
            "LastSyncCount": last_sync_count,
            "MaxResults": max_results,
            "NextToken": next_token,
        },
        service=SERVICE,
    )
    dataset = Dataset.objects.filter(identity=identity, name=dataset_name).first()
    if dataset is None:
        return RecordsListing([], None, 0, "", False, False, _merged_names(identity, dataset_name))
    since = last_sync_count or 0
    records = Record.objects.filter(dataset=dataset, sync_count__gt=since)
    if since == 0:
        records = records.exclude(value=None)
    scope = f"records:{identity.identity_id}:{dataset_name}:{since}"
    if next_token is not None:
        after = decode_token(next_token, scope=scope)
        count, pk = after.get("c"), after.get("p")
        if not (isinstance(count, int) and isinstance(pk, int)):
            raise InvalidParameterException("Invalid pagination token.")
        # Keyset on (sync count, id): a record changed meanwhile moves to a later page, so no
        # change is missed (it may be listed twice, which a device applies twice harmlessly).
        records = records.filter(sync_count__gte=count).exclude(sync_count=count, pk__lte=pk)
    limit = page_size(max_results, RECORDS_PAGE_SIZE)
    rows = list(records.select_related("dataset").order_by("sync_count", "pk")[: limit + 1])
    if rows:
        # The records and their dataset come from one statement, so one snapshot: the sync count
        # told is the one these records were read at, whatever commits meanwhile. With no rows,
        # the dataset read first is right: what changed since left no record to list.
        dataset = rows[0].dataset
    token = None
    if len(rows) > limit:
        rows = rows[:limit]
        token = encode_token({"c": rows[-1].sync_count, "p": rows[-1].pk}, scope=scope)
    deleted_since = (
        since > 0 and dataset.deleted_sync_count is not None and since < dataset.deleted_sync_count
    )
    return RecordsListing(
        records=rows,
        next_token=token,
        dataset_sync_count=dataset.sync_count,
        last_modified_by=dataset.last_modified_by,
        dataset_exists=not dataset.deleted,
        deleted_after_requested_sync_count=deleted_since,
        merged_dataset_names=_merged_names(identity, dataset_name),
    )
