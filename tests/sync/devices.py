"""Simulated Cognito Sync devices for the conflict tests: each keeps a local copy of one dataset,
edits it offline and syncs as the Cognito Sync clients do (list what changed, push the edits with
the sync counts last seen, keep what the server answers)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model

from identities.models import Identity
from sync.models import Conflict, ConflictRule, Dataset, Record
from sync.selectors.datasets import records_list
from sync.services.datasets import RecordPatch, dataset_records_update
from sync.services.sessions import sync_session_issue


@dataclass
class Device:
    identity: Identity
    name: str
    dataset: str = "settings"
    # key -> (value, the record's sync count as this device last saw it); None: removed.
    seen: dict[str, tuple[str | None, int]] = field(default_factory=dict)
    # key -> (value, device time) edited offline since the last sync.
    edits: dict[str, tuple[str | None, dt.datetime | None]] = field(default_factory=dict)
    last_sync_count: int = 0

    def edit(self, key: str, value: str | None, at: dt.datetime | None) -> None:
        self.edits[key] = (value, at)

    def patches(self) -> list[RecordPatch]:
        return [
            RecordPatch(
                op="replace" if value is not None else "remove",
                key=key,
                value=value,
                sync_count=self.seen.get(key, (None, 0))[1],
                device_last_modified_at=at,
            )
            for key, (value, at) in self.edits.items()
        ]

    def sync(self) -> list[Record]:
        """One sync; returns what the server answered to the push."""
        listing = records_list(
            identity=self.identity,
            dataset_name=self.dataset,
            last_sync_count=self.last_sync_count or None,
            max_results=None,
            next_token=None,
        )
        for record in listing.records:
            # An edit not pushed yet stays, with the count it was based on: pushing it is a
            # conflict for the server to settle.
            if record.key not in self.edits:
                self.seen[record.key] = (record.value, record.sync_count)
        self.last_sync_count = listing.dataset_sync_count
        if not self.edits:
            return []  # nothing to push: the clients call UpdateRecords only with changes
        token = sync_session_issue(
            identity=self.identity,
            dataset_name=self.dataset,
            sync_count=listing.dataset_sync_count,
        )
        answered = dataset_records_update(
            identity=self.identity,
            dataset_name=self.dataset,
            patches=self.patches(),
            sync_session_token=token,
            modified_by=self.name,
        )
        for record in answered:
            self.seen[record.key] = (record.value, record.sync_count)
        self.edits.clear()
        # As the clients do: the push's own count is seen, so a later listing asks from there
        # (and so gets tombstones, which a listing from 0 leaves out).
        self.last_sync_count = max([self.last_sync_count, *(r.sync_count for r in answered)])
        return answered

    def data(self) -> dict[str, str]:
        local = {key: value for key, (value, _) in self.seen.items()}
        local.update({key: value for key, (value, _) in self.edits.items()})
        return {key: value for key, value in local.items() if value is not None}


def server_data(identity: Identity, dataset: str = "settings") -> dict[str, str]:
    records = Record.objects.filter(
        dataset__identity=identity, dataset__name=dataset, value__isnull=False
    )
    return {record.key: record.value for record in records if record.value is not None}


def rows() -> dict[str, list[dict[str, Any]]]:
    """Every row a sync write touches, to show that a refusal changed nothing."""
    models: tuple[type[Model], ...] = (Dataset, Record, Conflict, ConflictRule)
    return {
        model._meta.label: [dict(row) for row in model._default_manager.order_by("pk").values()]
        for model in models
    }
