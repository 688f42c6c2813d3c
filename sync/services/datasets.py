"""Changes to datasets: UpdateRecords and DeleteDataset, with Cognito Sync's rules.

- A patch carries the sync count its device last saw for the record (0 for a key it has never
  seen). A count below the server's is a conflict. Under the dataset's conflict strategy
  `reject` (Cognito's, and the default) the whole update is refused (ResourceConflictException)
  and nothing is applied; the device lists again and retries. Under any other strategy the
  server resolves each stale patch in the same transaction, and every value that loses, the
  patch's or the server's, is kept in the conflict log (`Conflict`) so that it can be restored.
- Each update is one change of the dataset: its sync count grows by exactly one and every record
  the update changes takes that count. Updates of one dataset are serialised by a lock on its row,
  so none is lost and no sync count repeats.
- Cognito's limits: 20 datasets per identity, 1,024 records and 1 MB (keys and values, UTF-8)
  per dataset. An update beyond one is refused whole (LimitExceededException).
- A call signed by the identity itself first goes through the pool's SyncTrigger function, if
  it has one (sync.services.events), which may change what is stored.
- The first write makes the dataset; a write to a deleted one brings it back. A session that
  began before the dataset was deleted may not write to it: its device holds the deleted data.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
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
from sync.errors import InvalidLambdaFunctionOutputException
from sync.models import Conflict, ConflictStrategy, Dataset, Record
from sync.selectors.conflicts import conflict_strategy_get
from sync.selectors.datasets import SERVICE
from sync.services.events import sync_trigger_apply
from sync.services.push import dataset_change_push
from sync.services.sessions import SyncSession, sync_session_open
from sync.services.streams import dataset_change_stream

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
    locked = Dataset.objects.select_for_update()
    dataset = locked.filter(identity=identity, name=name).first()
    if dataset is not None:
        return dataset, dataset.deleted
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
    dataset = locked.get(identity=identity, name=name)
    return dataset, created or dataset.deleted


def _datasets_limit_check(*, identity: Identity, dataset: Dataset) -> None:
    # The identity's row lock keeps two new datasets from both taking the last place.
    Identity.objects.select_for_update().filter(pk=identity.pk).first()
    others = Dataset.objects.filter(identity=identity, deleted=False).exclude(pk=dataset.pk)
    if others.count() >= MAX_DATASETS_PER_IDENTITY:
        raise LimitExceededException(
            f"An identity can have at most {MAX_DATASETS_PER_IDENTITY} datasets."
        )


def _update_check(
    *,
    identity: Identity,
    dataset_name: str,
    patches: Sequence[RecordPatch],
    sync_session_token: str,
    device_id: str | None,
) -> None:
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


def dataset_records_update(
    *,
    identity: Identity,
    dataset_name: str,
    patches: Sequence[RecordPatch],
    sync_session_token: str,
    modified_by: str,
    device_id: str | None = None,
    sync_trigger: bool = False,
) -> list[Record]:
    """Apply `patches` to `identity`'s dataset as one change; return the records it changed,
    and the server's record of each stale patch that the dataset's strategy settled for it.

    `modified_by` names who changes them (LastModifiedBy). `device_id` is checked as Cognito
    checks it; like Cognito, nothing here reads it back. With `sync_trigger` (a call signed by
    the identity itself) the pool's SyncTrigger function first changes the patches as it likes;
    it is called before the transaction, so that no row stays locked while it runs, and the
    sync counts it leaves alone still refuse what changed meanwhile.
    """
    checked = partial(
        _update_check,
        identity=identity,
        dataset_name=dataset_name,
        sync_session_token=sync_session_token,
        device_id=device_id,
    )
    checked(patches=patches)
    session = sync_session_open(
        token=sync_session_token, identity=identity, dataset_name=dataset_name
    )
    if sync_trigger:
        patches = sync_trigger_apply(identity=identity, dataset_name=dataset_name, patches=patches)
        try:
            checked(patches=patches)
        except InvalidParameterException as refused:
            raise InvalidLambdaFunctionOutputException(
                f"The SyncTrigger's answer cannot be stored: {refused.message}"
            ) from None
    return _records_update(
        identity=identity,
        dataset_name=dataset_name,
        patches=patches,
        session=session,
        modified_by=modified_by,
    )


@transaction.atomic
def _records_update(
    *,
    identity: Identity,
    dataset_name: str,
    patches: Sequence[RecordPatch],
    session: SyncSession,
    modified_by: str,
) -> list[Record]:
    dataset, counts_now = _dataset_for_write(identity=identity, name=dataset_name)
    if dataset.deleted_sync_count is not None and session.sync_count < dataset.deleted_sync_count:
        raise ResourceConflictException(
            f"Dataset '{dataset_name}' was deleted after this sync session began."
        )
    if counts_now:
        _datasets_limit_check(identity=identity, dataset=dataset)

    digests = [Record.digest_of(p.key) for p in patches]
    current = {r.key: r for r in dataset.records.filter(key_digest__in=digests)}
    stale = [p for p in patches if p.key in current and p.sync_count < current[p.key].sync_count]
    strategy = ConflictStrategy.REJECT
    if stale:
        strategy = conflict_strategy_get(identity_pool=identity.pool, dataset_name=dataset_name)
    if strategy == ConflictStrategy.REJECT:
        stale = [p for p in stale if not _unseen_removal(p, current[p.key])]
    if stale and strategy == ConflictStrategy.REJECT:
        first = stale[0]
        raise ResourceConflictException(
            f"Current SyncCount for: {first.key} is: {current[first.key].sync_count} not: "
            f"{first.sync_count}"
        )

    writes: list[RecordPatch] = []
    kept: list[Record] = []
    conflicts: list[Conflict] = []
    stale_keys = {p.key for p in stale}
    for patch in patches:
        if patch.key not in stale_keys:
            writes.append(patch)
            continue
        resolution = _resolve(
            strategy=strategy, patch=patch, record=current[patch.key], modified_by=modified_by
        )
        conflicts.extend(
            _conflict_of(identity=identity, dataset_name=dataset_name, key=patch.key, loss=loss)
            for loss in resolution.losses
        )
        if resolution.write is None:
            kept.append(current[patch.key])
        else:
            writes.append(resolution.write)
    changed = _records_apply(
        dataset=dataset, current=current, patches=writes, modified_by=modified_by
    )
    Conflict.objects.bulk_create(conflicts)
    # The device of a patch the server overruled learns the server's record, as it learns the
    # records it wrote: otherwise it would hold its own value while the server holds another.
    return changed + kept


def _unseen_removal(patch: RecordPatch, record: Record) -> bool:
    """A patch based on nothing (SyncCount 0) over a removal: a listing from 0 leaves tombstones
    out, so a device that first synced after the removal never learns its count, and to it the
    key does not exist. Under Cognito's rule (reject) it writes the key anew; a server-side
    strategy settles it as any other conflict, the removal logged if it loses."""
    return record.value is None and patch.sync_count == 0


@dataclass(frozen=True)
class _Side:
    """One side of a conflict: a value (None: a removal), its device time and who wrote it."""

    value: str | None
    device_time: dt.datetime | None
    by: str

    def is_later_than(self, other: _Side) -> bool:
        # A value without a device time cannot claim to be the later one; a tie keeps the
        # server's, so a device that merely repeats an old time changes nothing.
        if self.device_time is None:
            return False
        return other.device_time is None or self.device_time > other.device_time


@dataclass(frozen=True)
class _Resolution:
    # What to write instead of the stale patch; None keeps the server's record as it is.
    write: RecordPatch | None
    # Each value that lost, with the one that stayed and the strategy that decided.
    losses: list[tuple[_Side, _Side, ConflictStrategy]]


def _json_object(value: str | None) -> dict[str, object] | None:
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except (ValueError, RecursionError):  # a value may nest deeper than the parser recurses
        return None
    return parsed if isinstance(parsed, dict) else None


def _resolve(
    *, strategy: ConflictStrategy, patch: RecordPatch, record: Record, modified_by: str
) -> _Resolution:
    """How a stale `patch` of `record` is settled under `strategy` (not `reject`)."""
    server = _Side(record.value, record.device_last_modified_at, record.last_modified_by)
    client = _Side(
        patch.value if patch.op == "replace" else None, patch.device_last_modified_at, modified_by
    )
    if client.value == server.value:
        return _Resolution(write=None, losses=[])  # both sides agree: nothing is lost
    if strategy == ConflictStrategy.MERGE_JSON:
        ours, theirs = _json_object(server.value), _json_object(client.value)
        if ours is not None and theirs is not None:
            return _merge(patch=patch, server=server, client=client, ours=ours, theirs=theirs)
        # Not two objects: nothing to merge, so the later device time decides, and the log
        # says so.
        strategy = ConflictStrategy.LAST_WRITER_WINS
    if strategy == ConflictStrategy.LAST_WRITER_WINS:
        client_wins = client.is_later_than(server)
    else:
        client_wins = strategy == ConflictStrategy.CLIENT_WINS
    if client_wins:
        return _Resolution(write=patch, losses=[(server, client, strategy)])
    return _Resolution(write=None, losses=[(client, server, strategy)])


def _merge(
    *,
    patch: RecordPatch,
    server: _Side,
    client: _Side,
    ours: dict[str, object],
    theirs: dict[str, object],
) -> _Resolution:
    """Key by key: a key of one side only is kept; for a key of both, the later device time.
    A side any of whose keys lost is logged whole, as the value it was."""
    client_later = client.is_later_than(server)
    merged = dict(ours)
    server_lost = client_lost = False
    for key, their_value in theirs.items():
        if key not in ours:
            merged[key] = their_value
        elif ours[key] != their_value:
            if client_later:
                merged[key] = their_value
            server_lost |= client_later
            client_lost |= not client_later
    if merged == ours:
        losses = [(client, server, ConflictStrategy.MERGE_JSON)] if client_lost else []
        return _Resolution(write=None, losses=losses)
    # The merged value holds the newer of both sides' times: it is as recent as its newest part.
    times = [t for t in (server.device_time, client.device_time) if t is not None]
    # Sorted keys: the same two values merge to the same text whichever reached the server
    # first, so devices that synced in either order hold identical data.
    write = RecordPatch(
        op="replace",
        key=patch.key,
        sync_count=patch.sync_count,
        value=json.dumps(merged, ensure_ascii=False, separators=(",", ":"), sort_keys=True),
        device_last_modified_at=max(times, default=None),
    )
    kept = _Side(write.value, write.device_last_modified_at, client.by)
    losses = [
        (side, kept, ConflictStrategy.MERGE_JSON)
        for side, lost in ((server, server_lost), (client, client_lost))
        if lost
    ]
    return _Resolution(write=write, losses=losses)


def _records_apply(
    *,
    dataset: Dataset,
    current: dict[str, Record],
    patches: Sequence[RecordPatch],
    modified_by: str,
) -> list[Record]:
    """Write `patches` to the locked `dataset` (its records of their keys: `current`) as one
    change of it, within its limits; return the records changed."""
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

    # Split before bulk_create, which gives the new records their ids.
    new = [r for r in changed if r.pk is None]
    existing = [r for r in changed if r.pk is not None]
    Record.objects.bulk_create(new)
    Record.objects.bulk_update(
        existing,
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
    dataset_change_stream(dataset=dataset, records=changed, operation="replace")
    if changed:
        dataset_change_push(dataset=dataset)
    return changed


def _conflict_of(
    *, identity: Identity, dataset_name: str, key: str, loss: tuple[_Side, _Side, ConflictStrategy]
) -> Conflict:
    lost, kept, strategy = loss
    return Conflict(
        identity=identity,
        dataset_name=dataset_name,
        key=key,
        strategy=strategy,
        kept_value=kept.value,
        lost_value=lost.value,
        kept_device_time=kept.device_time,
        lost_device_time=lost.device_time,
        kept_by=kept.by,
        lost_by=lost.by,
    )


@transaction.atomic
def dataset_record_write(
    *,
    identity: Identity,
    dataset_name: str,
    key: str,
    value: str | None,
    modified_by: str,
) -> tuple[Record | None, Record | None]:
    """Write one record of `identity`'s dataset as a change of its own, outside any device's
    sync session (an operator's restore); return the record as it was before, and after.

    Devices learn of it as of any write: it takes the dataset's next sync count. Its device time
    is now, so that a device's older offline edit does not win it back by last writer wins.
    """
    patch = RecordPatch(
        op="replace" if value is not None else "remove",
        key=key,
        sync_count=0,
        value=value,
        device_last_modified_at=timezone.now(),
    )
    _patches_check([patch])
    dataset, counts_now = _dataset_for_write(identity=identity, name=dataset_name)
    if counts_now:
        _datasets_limit_check(identity=identity, dataset=dataset)
    current = {r.key: r for r in dataset.records.filter(key_digest=Record.digest_of(key))}
    before = copy.copy(current[key]) if key in current else None
    changed = _records_apply(
        dataset=dataset, current=current, patches=[patch], modified_by=modified_by
    )
    return before, (changed[0] if changed else before)


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
    dataset_change_stream(dataset=dataset, records=[], operation="remove")
    dataset_change_push(dataset=dataset)
    return before
