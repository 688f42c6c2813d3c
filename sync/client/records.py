"""What the offline client hands an application: records, conflicts, a sync's outcome, errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Record:
    """One key of a dataset as this device holds it.

    `value` None is a removal (a tombstone): it is kept with its sync count, so that writing the
    key again is based on the count the server has. `sync_count` is the record's count on the
    server as this device last saw it (0: never). `dirty` says it changed here since, so the next
    sync pushes it.
    """

    key: str
    value: str | None
    sync_count: int
    device_last_modified: dt.datetime | None
    dirty: bool


@dataclass
class SyncConflict:
    """A key changed both here and on the server since the last sync.

    `local` is this device's unpushed change; `remote` the server's record. A resolver calls one
    of the `resolve_with_*` methods; each returns the record the device then holds, which is
    based on the remote sync count, so that pushing it is no longer stale.
    """

    local: Record
    remote: Record
    # The device's clock, for the time of a new value.
    clock: Callable[[], dt.datetime] = field(repr=False, compare=False)
    resolution: Record | None = field(default=None, init=False)

    @property
    def key(self) -> str:
        return self.local.key

    def resolve_with_remote(self) -> Record:
        """Take the server's record; nothing is pushed for this key."""
        return self._resolve(replace(self.remote, dirty=False))

    def resolve_with_local(self) -> Record:
        """Keep this device's change, with its own device time, and push it."""
        return self._resolve(replace(self.local, sync_count=self.remote.sync_count, dirty=True))

    def resolve_with_value(self, value: str | None) -> Record:
        """Push `value` (None removes the key), written now."""
        return self._resolve(Record(self.key, value, self.remote.sync_count, self.clock(), True))

    def resolve_with_last_writer(self) -> Record:
        """The default: the later device time wins. A side without a time cannot claim to be
        later, and a tie keeps the server's record, as the server's `last_writer_wins` does, so
        two devices that sync in either order hold the same data."""
        local_time, remote_time = self.local.device_last_modified, self.remote.device_last_modified
        if local_time is not None and (remote_time is None or local_time > remote_time):
            return self.resolve_with_local()
        return self.resolve_with_remote()

    def _resolve(self, record: Record) -> Record:
        self.resolution = record
        return record


@dataclass(frozen=True)
class SyncResult:
    """What one `Dataset.synchronize()` changed."""

    # The server's records now held here as they are: its changes since the last sync, and
    # conflicts resolved with the remote record.
    pulled: list[Record]
    # The records the server answered to the push, as this device now holds them.
    pushed: list[Record]
    # Every conflict met, resolved; a retry may meet a key again.
    conflicts: list[SyncConflict]
    # Datasets that identity merges brought in beside this one (ListRecords' MergedDatasetNames).
    merged_dataset_names: list[str]
    # The server deleted the dataset after this device's last sync.
    dataset_deleted: bool
    # How many times the device pulled: 1 unless a push met another device's write.
    attempts: int


class SyncError(Exception):
    """A sync that could not finish; the local data and its unpushed changes are kept."""


class SyncRetriesExhausted(SyncError):
    """Every push met ResourceConflictException: other devices kept writing meanwhile."""
