"""Cognito Sync: each identity's datasets of key/value records, versioned by sync counts."""

from __future__ import annotations

import hashlib

from django.db import models

from identities.models import Identity


class Dataset(models.Model):
    """A named set of an identity's records. `sync_count` grows by one with every change
    (UpdateRecords, DeleteDataset) and never goes back, so a device that remembers the count it
    last saw can ask for what changed since.

    A deleted dataset keeps its row, with `deleted` set and no records, so ListRecords can tell a
    device that synced before the deletion to drop its local copy (`deleted_sync_count`); a
    later write brings it back, its sync count going on from there.
    """

    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="datasets")
    name = models.CharField(max_length=128)
    created_at = models.DateTimeField()
    last_modified_at = models.DateTimeField()
    last_modified_by = models.CharField(max_length=256, blank=True)
    sync_count = models.BigIntegerField(default=0)
    # Bytes of the live records' keys and values (UTF-8): Cognito's DataStorage and its 1 MB limit.
    data_storage = models.BigIntegerField(default=0)
    num_records = models.PositiveIntegerField(default=0)
    deleted = models.BooleanField(default=False)
    deleted_sync_count = models.BigIntegerField(null=True, blank=True)
    # The name a dataset had in an identity merged into this one, when this identity had a
    # dataset of that name already: the merged copy is renamed, and ListRecords of that name
    # lists it among MergedDatasetNames for the app to reconcile.
    merged_from = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["identity", "name"], name="dataset_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Record(models.Model):
    """One key of a dataset. A removed record stays as a tombstone (`value` None) with the sync
    count of its removal, so devices that still hold it learn of the removal."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="records")
    key = models.CharField(max_length=1024)
    # Keys are unique by digest: 1,024 characters of UTF-8 can outgrow a B-tree entry (PostgreSQL
    # takes ~2,700 bytes), so the key itself cannot be indexed.
    key_digest = models.CharField(max_length=64, editable=False)
    # None (not "", a value like any other) marks a tombstone.
    value = models.TextField(null=True, blank=True)  # noqa: DJ001
    sync_count = models.BigIntegerField()
    last_modified_at = models.DateTimeField()
    last_modified_by = models.CharField(max_length=256, blank=True)
    device_last_modified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "key_digest"], name="record_key_unique")
        ]
        # ListRecords reads a dataset's records changed after a sync count, in that order.
        indexes = [models.Index(fields=["dataset", "sync_count", "id"], name="record_changes")]

    def __str__(self) -> str:
        return self.key

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8")).hexdigest()

    @property
    def storage(self) -> int:
        """What the record counts against its dataset's 1 MB: its key and value, in bytes."""
        if self.value is None:
            return 0
        return len(self.key.encode("utf-8")) + len(self.value.encode("utf-8"))
