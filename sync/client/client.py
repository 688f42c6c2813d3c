"""The offline client: datasets an app changes with or without a network, and their sync.

`Dataset.synchronize()` follows the AWS Mobile SDK's Sync client:

1. Pull: ListRecords of what changed since the dataset's last sync count, every page under the
   SyncSessionToken of the first.
2. If the server deleted the dataset since, `on_dataset_deleted` decides: drop the local copy
   (the default) or write it back. Merged datasets (MergedDatasetNames) are reported to
   `on_datasets_merged`.
3. A key changed here and, to another value, on the server is a conflict: `on_conflict`
   resolves each (unresolved ones, and all of them without a callback, go to the later device
   time). The server's other changes are taken as they are.
4. Push: UpdateRecords of this device's changes with the session token, each patch carrying the
   record's sync count last seen. If another device wrote one of them meanwhile, the server
   refuses the whole push (ResourceConflictException): pull again and repeat, `max_retries`
   times at most.

Only the standard library and botocore are imported: the client runs in an app's process and
talks to any Cognito Sync endpoint through a boto3 `cognito-sync` client.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any, Protocol

from botocore.exceptions import ClientError

from sync.client.records import Record, SyncConflict, SyncResult, SyncRetriesExhausted
from sync.client.store import LocalStore

# Cognito Sync's limits, checked here so that an offline write fails when it is made, not at
# the next sync.
_DATASET_NAME = re.compile(r"[a-zA-Z0-9_.:-]{1,128}")
MAX_KEY_LENGTH = 1024
MAX_VALUE_LENGTH = 1_048_575

ConflictHandler = Callable[["Dataset", list[SyncConflict]], None]
DatasetDeletedHandler = Callable[["Dataset", str], bool]
DatasetsMergedHandler = Callable[["Dataset", list[str]], None]


class CognitoSyncApi(Protocol):
    """The calls the client makes of a boto3 `cognito-sync` client."""

    def list_records(self, **params: Any) -> dict[str, Any]: ...

    def update_records(self, **params: Any) -> dict[str, Any]: ...


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _remote_record(member: dict[str, Any]) -> Record:
    """A record as ListRecords or UpdateRecords answers it (no Value: removed)."""
    # A record written without a device time is as recent as the server's write of it.
    when = member.get("DeviceLastModifiedDate") or member.get("LastModifiedDate")
    return Record(
        key=member["Key"],
        value=member.get("Value"),
        sync_count=member["SyncCount"],
        device_last_modified=when.astimezone(dt.UTC) if when is not None else None,
        dirty=False,
    )


def _patch(record: Record) -> dict[str, Any]:
    patch: dict[str, Any] = {"Key": record.key, "SyncCount": record.sync_count}
    if record.value is None:
        patch["Op"] = "remove"
    else:
        patch.update(Op="replace", Value=record.value)
    if record.device_last_modified is not None:
        patch["DeviceLastModifiedDate"] = record.device_last_modified
    return patch


@dataclass(frozen=True)
class _Pull:
    """ListRecords' pages as one answer."""

    records: list[Record]
    dataset_sync_count: int
    session_token: str
    deleted_since: bool
    merged_dataset_names: list[str]


class SyncClient:
    """One identity's datasets on this device, kept in the SQLite file at `path`.

    `cognito_sync` is a boto3 `cognito-sync` client signed for the identity (its temporary
    credentials) or a developer. `device_id` names this device in UpdateRecords; by default one
    is made with the file and kept in it. `clock` gives device times (aware datetimes).
    `max_results` asks ListRecords for pages of that size (the server's default otherwise). A
    client and its datasets are used from one thread.
    """

    def __init__(
        self,
        cognito_sync: CognitoSyncApi,
        identity_pool_id: str,
        identity_id: str,
        path: str | os.PathLike[str],
        *,
        device_id: str | None = None,
        clock: Callable[[], dt.datetime] = _utc_now,
        max_results: int | None = None,
    ) -> None:
        self.api = cognito_sync
        self.identity_pool_id = identity_pool_id
        self.identity_id = identity_id
        self.store = LocalStore(path, identity_pool_id=identity_pool_id, identity_id=identity_id)
        self.device_id = device_id or self.store.device_id
        self.clock = clock
        self.max_results = max_results

    def open_or_create_dataset(self, name: str) -> Dataset:
        """The dataset `name`, made locally if this device has none; no call is made."""
        if not _DATASET_NAME.fullmatch(name):
            raise ValueError(f"Invalid dataset name {name!r}: 1-128 of [a-zA-Z0-9_.:-].")
        self.store.dataset_ensure(name)
        return Dataset(self, name)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class Dataset:
    """A dataset of the client's identity. Reads and writes are local and work offline;
    `synchronize()` is the only call that reaches the server."""

    def __init__(self, client: SyncClient, name: str) -> None:
        self.client = client
        self.name = name
        self._store = client.store

    def get(self, key: str) -> str | None:
        """The value of `key`; None if it has none (or it was removed)."""
        record = self._store.record(self.name, key)
        return record.value if record is not None else None

    def get_record(self, key: str) -> Record | None:
        """`key`'s record with its sync state, a removed one included."""
        return self._store.record(self.name, key)

    def get_all(self) -> dict[str, str]:
        return {r.key: r.value for r in self._store.records(self.name) if r.value is not None}

    @property
    def last_sync_count(self) -> int:
        return self._store.last_sync_count(self.name)

    def put(self, key: str, value: str | None) -> None:
        """Set `key` to `value` (None removes it), to be pushed at the next sync."""
        if value is None:
            self.remove(key)
            return
        if not 1 <= len(key) <= MAX_KEY_LENGTH:
            raise ValueError(f"A record key has 1 to {MAX_KEY_LENGTH} characters.")
        if not isinstance(value, str) or len(value) > MAX_VALUE_LENGTH:
            raise ValueError(f"A record value is a string of at most {MAX_VALUE_LENGTH} chars.")
        record = self._store.record(self.name, key)
        if record is not None and record.value == value:
            return  # nothing changes, so nothing to push
        count = record.sync_count if record is not None else 0
        self._store.write(self.name, [Record(key, value, count, self.client.clock(), True)])

    def remove(self, key: str) -> None:
        record = self._store.record(self.name, key)
        if record is None or record.value is None:
            return
        if record.sync_count == 0:
            # Never synced: the server has nothing of this device's to remove.
            self._store.record_delete(self.name, key)
            return
        self._store.write(
            self.name, [Record(key, None, record.sync_count, self.client.clock(), True)]
        )

    def synchronize(
        self,
        *,
        on_conflict: ConflictHandler | None = None,
        on_dataset_deleted: DatasetDeletedHandler | None = None,
        on_datasets_merged: DatasetsMergedHandler | None = None,
        max_retries: int = 3,
    ) -> SyncResult:
        """Pull the server's changes, resolve conflicts, push this device's changes.

        `on_conflict(dataset, conflicts)` resolves conflicts with their `resolve_with_*`
        methods. `on_dataset_deleted(dataset, name)` returns True to drop the local copy of a
        dataset the server deleted since the last sync (the default), False to write it back.
        `on_datasets_merged(dataset, names)` hears of merged datasets, once per call. A push
        refused because another device wrote meanwhile is retried `max_retries` times, then
        SyncRetriesExhausted is raised; other errors (botocore's) are raised as they come.
        """
        pulled: dict[str, Record] = {}
        conflicts: list[SyncConflict] = []
        merged: list[str] = []
        deleted = False
        attempts = refused = 0
        while True:
            attempts += 1
            pull = self._pull(self.last_sync_count)
            if pull.merged_dataset_names and not merged:
                merged = pull.merged_dataset_names
                if on_datasets_merged is not None:
                    on_datasets_merged(self, merged)
            if pull.deleted_since:
                deleted = True
                if on_dataset_deleted is None or on_dataset_deleted(self, self.name):
                    self._store.dataset_forget(self.name)
                else:
                    self._store.dataset_unsync(self.name)
                pulled.clear()
                # From the beginning: whatever the server holds now (another device may have
                # written the dataset anew) is pulled, and a kept copy is pushed against it.
                continue

            found, taken = self._compare(pull.records)
            taken += self._resolve(found, on_conflict)
            conflicts.extend(found)
            self._store.write(self.name, taken, last_sync_count=pull.dataset_sync_count)
            pulled.update((r.key, r) for r in taken if not r.dirty)

            try:
                pushed = self._push(pull)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "ResourceConflictException":
                    raise
                refused += 1
                if refused > max_retries:
                    raise SyncRetriesExhausted(
                        f"Dataset {self.name!r}: the push was refused {refused} times because "
                        f"other devices wrote meanwhile ({error}); its changes are kept for the "
                        "next sync."
                    ) from error
                continue
            return SyncResult(list(pulled.values()), pushed, conflicts, merged, deleted, attempts)

    def _pull(self, since: int) -> _Pull:
        params: dict[str, Any] = {
            "IdentityPoolId": self.client.identity_pool_id,
            "IdentityId": self.client.identity_id,
            "DatasetName": self.name,
            "LastSyncCount": since,
        }
        if self.client.max_results is not None:
            params["MaxResults"] = self.client.max_results
        first = page = self.client.api.list_records(**params)
        records = {r.key: r for r in map(_remote_record, page["Records"])}
        deleted_since = page["DatasetDeletedAfterRequestedSyncCount"]
        while page.get("NextToken"):
            page = self.client.api.list_records(
                **params, NextToken=page["NextToken"], SyncSessionToken=first["SyncSessionToken"]
            )
            deleted_since |= page["DatasetDeletedAfterRequestedSyncCount"]
            for record in map(_remote_record, page["Records"]):
                # A record written again while the device paged is listed again, later.
                if record.key not in records or record.sync_count > records[record.key].sync_count:
                    records[record.key] = record
        return _Pull(
            records=list(records.values()),
            # The first page's count: later pages may hold newer changes, which a next sync then
            # lists again harmlessly, but none older than it is missed.
            dataset_sync_count=first["DatasetSyncCount"],
            session_token=first["SyncSessionToken"],
            deleted_since=deleted_since,
            merged_dataset_names=list(first.get("MergedDatasetNames", [])),
        )

    def _compare(self, remote: list[Record]) -> tuple[list[SyncConflict], list[Record]]:
        """Split the server's changes into conflicts with local changes and records to take."""
        local = {r.key: r for r in self._store.records(self.name)}
        conflicts: list[SyncConflict] = []
        taken: list[Record] = []
        for record in remote:
            mine = local.get(record.key)
            if mine is not None and record.sync_count <= mine.sync_count:
                continue  # nothing newer than this device knows (its own push, listed again)
            if mine is not None and mine.dirty and mine.value != record.value:
                conflicts.append(SyncConflict(mine, record, self.client.clock))
            else:
                taken.append(record)
        return conflicts, taken

    def _resolve(
        self, conflicts: list[SyncConflict], on_conflict: ConflictHandler | None
    ) -> list[Record]:
        """The records that `conflicts` leave here once resolved."""
        if conflicts and on_conflict is not None:
            on_conflict(self, conflicts)
        return [c.resolution or c.resolve_with_last_writer() for c in conflicts]

    def _push(self, pull: _Pull) -> list[Record]:
        changes = self._store.records(self.name, dirty_only=True)
        if not changes:
            return []
        answer = self.client.api.update_records(
            IdentityPoolId=self.client.identity_pool_id,
            IdentityId=self.client.identity_id,
            DatasetName=self.name,
            DeviceId=self.client.device_id,
            RecordPatches=[_patch(r) for r in changes],
            SyncSessionToken=pull.session_token,
        )
        answered = {r.key: r for r in map(_remote_record, answer["Records"])}
        # The server's answer is what it holds (its conflict strategy or SyncTrigger may have
        # chosen another value). A patch it does not answer changed nothing there (a removal
        # of what it had not): it is settled all the same.
        settled = [answered.get(r.key, replace(r, dirty=False)) for r in changes]
        newest = max((r.sync_count for r in answered.values()), default=0)
        # Only if no other device wrote between the pull and the push is everything up to the
        # push's count known here; otherwise the next pull fetches what came between.
        known = newest if newest == pull.dataset_sync_count + 1 else None
        self._store.write(self.name, settled, last_sync_count=known)
        return list(answered.values())
