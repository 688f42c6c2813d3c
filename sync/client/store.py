"""The device's copy of one identity's datasets: a SQLite file of its own.

Each dataset keeps the dataset sync count the device last synced to; each record its value
(NULL: removed), the record's sync count last seen from the server, the device time of its
last change, and whether it changed here since (`dirty`). Every write is one transaction, so a
sync that fails half-way leaves what the device held before it.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import uuid
from collections.abc import Iterable

from sync.client.records import Record

_SCHEMA = """
CREATE TABLE IF NOT EXISTS identity (
    identity_pool_id TEXT NOT NULL,
    identity_id TEXT NOT NULL,
    device_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS datasets (
    name TEXT PRIMARY KEY,
    last_sync_count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS records (
    dataset TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT,
    sync_count INTEGER NOT NULL,
    device_last_modified TEXT,
    dirty INTEGER NOT NULL,
    PRIMARY KEY (dataset, key)
);
"""


def _time_of(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text is not None else None


def _record_of(row: sqlite3.Row) -> Record:
    return Record(
        key=row["key"],
        value=row["value"],
        sync_count=row["sync_count"],
        device_last_modified=_time_of(row["device_last_modified"]),
        dirty=bool(row["dirty"]),
    )


class LocalStore:
    """One identity's SQLite file. A file made for another identity is refused, so that two
    identities' data never mix."""

    def __init__(
        self, path: str | os.PathLike[str], *, identity_pool_id: str, identity_id: str
    ) -> None:
        self._db = sqlite3.connect(path)
        self._db.row_factory = sqlite3.Row
        with self._db:
            self._db.executescript(_SCHEMA)
            # A device id of its own, kept with the data, names this installation to the server
            # (UpdateRecords' DeviceId) unless the app gives one.
            self._db.execute(
                "INSERT INTO identity SELECT ?, ?, ? WHERE NOT EXISTS (SELECT * FROM identity)",
                (identity_pool_id, identity_id, str(uuid.uuid4())),
            )
        row = self._db.execute("SELECT * FROM identity").fetchone()
        if (row["identity_pool_id"], row["identity_id"]) != (identity_pool_id, identity_id):
            self._db.close()
            raise ValueError(
                f"{os.fspath(path)!r} holds the data of identity {row['identity_id']} of pool "
                f"{row['identity_pool_id']}, not of {identity_id}."
            )
        self.device_id: str = row["device_id"]

    def close(self) -> None:
        self._db.close()

    def dataset_ensure(self, name: str) -> None:
        with self._db:
            self._db.execute("INSERT OR IGNORE INTO datasets (name) VALUES (?)", (name,))

    def last_sync_count(self, dataset: str) -> int:
        row = self._db.execute(
            "SELECT last_sync_count FROM datasets WHERE name = ?", (dataset,)
        ).fetchone()
        return int(row["last_sync_count"]) if row is not None else 0

    def record(self, dataset: str, key: str) -> Record | None:
        row = self._db.execute(
            "SELECT * FROM records WHERE dataset = ? AND key = ?", (dataset, key)
        ).fetchone()
        return _record_of(row) if row is not None else None

    def records(self, dataset: str, *, dirty_only: bool = False) -> list[Record]:
        rows = self._db.execute(
            "SELECT * FROM records WHERE dataset = ? AND (dirty OR NOT ?) ORDER BY key",
            (dataset, dirty_only),
        )
        return [_record_of(row) for row in rows]

    def write(
        self, dataset: str, records: Iterable[Record], *, last_sync_count: int | None = None
    ) -> None:
        """Store `records` of `dataset` and, if given, its new last sync count, as one change."""
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        dataset,
                        r.key,
                        r.value,
                        r.sync_count,
                        r.device_last_modified.isoformat() if r.device_last_modified else None,
                        r.dirty,
                    )
                    for r in records
                ],
            )
            if last_sync_count is not None:
                self._db.execute(
                    "UPDATE datasets SET last_sync_count = ? WHERE name = ?",
                    (last_sync_count, dataset),
                )

    def record_delete(self, dataset: str, key: str) -> None:
        with self._db:
            self._db.execute("DELETE FROM records WHERE dataset = ? AND key = ?", (dataset, key))

    def dataset_forget(self, dataset: str) -> None:
        """Drop `dataset`'s records; its next sync starts from the beginning."""
        with self._db:
            self._db.execute("DELETE FROM records WHERE dataset = ?", (dataset,))
            self._db.execute("UPDATE datasets SET last_sync_count = 0 WHERE name = ?", (dataset,))

    def dataset_unsync(self, dataset: str) -> None:
        """Make every live record of `dataset` a new change of this device, based on nothing the
        server has, to write the dataset back after the server deleted it."""
        with self._db:
            self._db.execute("DELETE FROM records WHERE dataset = ? AND value IS NULL", (dataset,))
            self._db.execute(
                "UPDATE records SET sync_count = 0, dirty = 1 WHERE dataset = ?", (dataset,)
            )
            self._db.execute("UPDATE datasets SET last_sync_count = 0 WHERE name = ?", (dataset,))
