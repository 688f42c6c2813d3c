"""Changes to datasets: UpdateRecords and DeleteDataset, with Cognito Sync's rules.

- A patch carries the sync count its device last saw for the record (0 for a key it has never
  seen). A count below the server's is a conflict: the whole update is refused
  (ResourceConflictException) and nothing is applied; the device lists again and retries.
- Each update is one change of the dataset: its sync count grows by exactly one and every record
  the update changes takes that count. Updates of one dataset are serialised by a lock on its row,
  so none is lost and no sync count repeats.
- Cognito's limits: 20 datasets per identity, 1,024 records and 1 MB (keys and values, UTF-8)
  per dataset. An update beyond one is refused whole (LimitExceededException).
- The first write makes the dataset; a write to a deleted one brings it back. A session that
  began before the dataset was deleted may not write to it: its device holds the deleted data.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from django.db import IntegrityError, transaction
from django.utils import timezone

from cognitoadmin.awsmodel import model_validate
from cognitoadmin.errors import (
    InvalidParameterException,
    LimitExceededException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from identities.models import Identity
from sync.models import Dataset, Record
from sync.selectors.datasets import SERVICE
from sync.services.sessions import sync_session_open

MAX_DATASETS_PER_IDENTITY = 20
MAX_RECORDS_PER_DATASET = 1024
MAX_DATASET_STORAGE = 1024 * 1024


@dataclass(frozen=True)
class RecordPatch:
    op: Literal["replace", "remove"]
    key: str
    sync_count: int
    value: str | None = None
    device_last_modified_at: dt.datetime | None = None

    def as_member(self) -> dict[str, object]:
        """The patch as UpdateRecords' RecordPatches member carries it, for validation."""
        member: dict[str, object] = {"Op": self.op, "Key": self.key, "SyncCount": self.sync_count}
        if self.value is not None:
            member["Value"] = self.value
        if self.device_last_modified_at is not None:
            member["DeviceLastModifiedDate"] = self.device_last_modified_at.timestamp()
        return member


def _encodable(text: str) -> bool:
    # JSON may carry lone surrogates, which no database column stores.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _patches_check(patches: Sequence[RecordPatch]) -> None:
    seen: set[str] = set()
    for patch in patches:
        if patch.key in seen:
            raise InvalidParameterException(f"Record '{patch.key}' is patched more than once.")
        seen.add(patch.key)
        if patch.sync_count < 0:
            raise InvalidParameterException("A record patch's SyncCount cannot be negative.")
        if patch.op == "replace" and patch.value is None:
            raise InvalidParameterException(f"The replace patch of '{patch.key}' has no Value.")
        if not _encodable(patch.key) or not _encodable(patch.value or ""):
            raise InvalidParameterException("Record keys and values must be valid Unicode.")


def _dataset_for_write(*, identity: Identity, name: str) -> tuple[Dataset, bool]:
    """`identity`'s dataset `name` locked for this transaction, made if it never existed, and
    whether it is new or revived (so it counts against the identity's datasets now)."""
    now = timezone.now()
    try:
        # A savepoint: a concurrent first write of the same dataset makes this insert fail on
        # the unique constraint, and the lock below then waits for that writer.
        with transaction.atomic():
            Dataset.objects.create(
                identity=identity, name=name, created_at=now, last_modified_at=now
            )
        created = True
    except IntegrityError:
        created = False
    dataset = Dataset.objects.select_for_update().get(identity=identity, name=name)
    return dataset, created or dataset.deleted


def _datasets_limit_check(*, identity: Identity, dataset: Dataset) -> None:
    # The identity's row lock keeps two new datasets from both taking the last place.
    Identity.objects.select_for_update().filter(pk=identity.pk).first()
    others = Dataset.objects.filter(identity=identity, deleted=False).exclude(pk=dataset.pk)
    if others.count() >= MAX_DATASETS_PER_IDENTITY:
        raise LimitExceededException(
            f"An identity can have at most {MAX_DATASETS_PER_IDENTITY} datasets."
        )


@transaction.atomic
def dataset_records_update(
    *,
    identity: Identity,
    dataset_name: str,
    patches: Sequence[RecordPatch],
    sync_session_token: str,
    modified_by: str,
    device_id: str | None = None,
) -> list[Record]:
    """Apply `patches` to `identity`'s dataset as one change; return the records it changed.

    `modified_by` names who changes them (LastModifiedBy). `device_id` is checked as Cognito
    checks it; like Cognito, nothing here reads it back.
    """
    model_validate(
        "UpdateRecords",
        {
            "IdentityPoolId": identity.pool.identity_pool_id,
            "IdentityId": identity.identity_id,
            "DatasetName": dataset_name,
            "DeviceId": device_id,
            "RecordPatches": [patch.as_member() for patch in patches],
            "SyncSessionToken": sync_session_token,
        },
        service=SERVICE,
    )
    _patches_check(patches)
    session = sync_session_open(
        token=sync_session_token, identity=identity, dataset_name=dataset_name
    )
    dataset, counts_now = _dataset_for_write(identity=identity, name=dataset_name)
    if dataset.deleted_sync_count is not None and session.sync_count < dataset.deleted_sync_count:
        raise ResourceConflictException(
            f"Dataset '{dataset_name}' was deleted after this sync session began."
        )
    if counts_now:
        _datasets_limit_check(identity=identity, dataset=dataset)

    digests = [Record.digest_of(p.key) for p in patches]
    current = {r.key: r for r in dataset.records.filter(key_digest__in=digests)}
    stale = next(
        (p for p in patches if p.key in current and p.sync_count < current[p.key].sync_count),
        None,
    )
    if stale is not None:
        raise ResourceConflictException(
            f"Current SyncCount for: {stale.key} is: {current[stale.key].sync_count} not: "
            f"{stale.sync_count}"
        )

    now = timezone.now()
    sync_count = dataset.sync_count + 1
    storage, num_records = dataset.data_storage, dataset.num_records
    changed: list[Record] = []
    for patch in patches:
        record = current.get(patch.key)
        if patch.op == "remove" and (record is None or record.value is None):
            continue  # nothing to remove, and no device holds it from here
        if record is None:
            record = Record(dataset=dataset, key=patch.key, key_digest=Record.digest_of(patch.key))
        else:
            storage -= record.storage
            num_records -= record.value is not None
        record.value = patch.value if patch.op == "replace" else None
        record.sync_count = sync_count
        record.last_modified_at = now
        record.last_modified_by = modified_by
        record.device_last_modified_at = patch.device_last_modified_at
        storage += record.storage
        num_records += record.value is not None
        changed.append(record)
    if num_records > MAX_RECORDS_PER_DATASET:
        raise LimitExceededException(
            f"A dataset can have at most {MAX_RECORDS_PER_DATASET} records."
        )
    if storage > MAX_DATASET_STORAGE:
        raise LimitExceededException(f"A dataset can hold at most {MAX_DATASET_STORAGE} bytes.")

    Record.objects.bulk_create([r for r in changed if r.pk is None])
    Record.objects.bulk_update(
        [r for r in changed if r.pk is not None],
        ["value", "sync_count", "last_modified_at", "last_modified_by", "device_last_modified_at"],
    )
    if dataset.deleted:
        dataset.deleted = False
        dataset.created_at = now
    dataset.sync_count = sync_count
    dataset.data_storage = storage
    dataset.num_records = num_records
    dataset.last_modified_at = now
    dataset.last_modified_by = modified_by
    dataset.save()
    return changed


@transaction.atomic
def dataset_delete(*, identity: Identity, dataset_name: str, modified_by: str) -> Dataset:
    """Delete `identity`'s dataset for good; return it as it was.

    The deletion is one more change of the dataset, with its own sync count, so a device that
    synced before it is told to drop its copy (ListRecords' DatasetDeletedAfterRequestedSyncCount).
    """
    model_validate(
        "DeleteDataset",
        {
            "IdentityPoolId": identity.pool.identity_pool_id,
            "IdentityId": identity.identity_id,
            "DatasetName": dataset_name,
        },
        service=SERVICE,
    )
    dataset = (
        Dataset.objects.select_for_update()
        .filter(identity=identity, name=dataset_name, deleted=False)
        .first()
    )
    if dataset is None:
        raise ResourceNotFoundException(f"Dataset '{dataset_name}' not found.")
    before = copy.copy(dataset)
    dataset.records.all().delete()
    dataset.sync_count += 1
    dataset.deleted = True
    dataset.deleted_sync_count = dataset.sync_count
    dataset.data_storage = 0
    dataset.num_records = 0
    dataset.last_modified_at = timezone.now()
    dataset.last_modified_by = modified_by
    dataset.save()
    return before
