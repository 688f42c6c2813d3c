"""Cognito Sync: each identity's datasets of key/value records, versioned by sync counts."""

from __future__ import annotations

import hashlib

from django.db import models

from identities.models import Identity, IdentityPool


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


class SyncConfiguration(models.Model):
    """An identity pool's Cognito Sync settings (SetIdentityPoolConfiguration, SetCognitoEvents)
    and the state of its last bulk publish."""

    identity_pool = models.OneToOneField(
        IdentityPool, on_delete=models.CASCADE, related_name="sync_configuration"
    )
    # PushSync: the platform applications devices register with, and the role to publish as.
    push_application_arns = models.JSONField(default=list, blank=True)
    push_role_arn = models.CharField(max_length=2048, blank=True)
    # CognitoStreams: every change of the pool's datasets goes to this stream while ENABLED.
    stream_name = models.CharField(max_length=128, blank=True)
    stream_role_arn = models.CharField(max_length=2048, blank=True)
    streaming_enabled = models.BooleanField(default=False)
    # Cognito events: event name (SyncTrigger) -> what handles it.
    events = models.JSONField(default=dict, blank=True)
    bulk_publish_status = models.CharField(max_length=16, default="NOT_STARTED")
    bulk_publish_started_at = models.DateTimeField(null=True, blank=True)
    bulk_publish_completed_at = models.DateTimeField(null=True, blank=True)
    bulk_publish_failure = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"sync configuration of {self.identity_pool_id}"


class SyncDevice(models.Model):
    """A device of an identity registered for push sync (RegisterDevice)."""

    device_id = models.CharField(max_length=256, unique=True, editable=False)
    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="sync_devices")
    platform = models.CharField(max_length=16)
    token = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.device_id


class DatasetSubscription(models.Model):
    """A device's subscription to changes of one of its identity's datasets, by name (the
    dataset need not exist yet)."""

    device = models.ForeignKey(SyncDevice, on_delete=models.CASCADE, related_name="subscriptions")
    dataset_name = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "dataset_name"], name="dataset_subscription_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.device_id}: {self.dataset_name}"


class ConflictStrategy(models.TextChoices):
    REJECT = "reject", "Reject (the client resolves, as Cognito)"
    LAST_WRITER_WINS = "last_writer_wins", "Last writer wins (by device time)"
    SERVER_WINS = "server_wins", "Server wins"
    CLIENT_WINS = "client_wins", "Client wins"
    MERGE_JSON = "merge_json", "Merge JSON objects key by key"


class ConflictRule(models.Model):
    """How an identity pool's conflicts are resolved on the server, for the datasets whose name
    matches `dataset_pattern` (shell-style; the empty pattern is the pool's default)."""

    identity_pool = models.ForeignKey(
        IdentityPool, on_delete=models.CASCADE, related_name="conflict_rules"
    )
    dataset_pattern = models.CharField(max_length=128, blank=True)
    strategy = models.CharField(
        max_length=32, choices=ConflictStrategy.choices, default=ConflictStrategy.REJECT
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["identity_pool", "dataset_pattern"], name="conflict_rule_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dataset_pattern or '*'}: {self.strategy}"


class Conflict(models.Model):
    """A value that lost a conflict, kept so that it can be restored: nothing is ever lost."""

    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="sync_conflicts")
    dataset_name = models.CharField(max_length=128)
    key = models.CharField(max_length=1024)
    strategy = models.CharField(max_length=32, choices=ConflictStrategy.choices)
    # The value that stayed and the one that lost (None: a removal), with their device times.
    kept_value = models.TextField(null=True, blank=True)  # noqa: DJ001
    lost_value = models.TextField(null=True, blank=True)  # noqa: DJ001
    kept_device_time = models.DateTimeField(null=True, blank=True)
    lost_device_time = models.DateTimeField(null=True, blank=True)
    kept_by = models.CharField(max_length=256, blank=True)
    lost_by = models.CharField(max_length=256, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    restored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["identity", "dataset_name"], name="conflict_dataset")]

    def __str__(self) -> str:
        return f"{self.dataset_name}/{self.key}"
