"""Cognito Streams on Redis streams, and bulk publish.

While an identity pool's CognitoStreams is ENABLED, every change of its datasets (UpdateRecords,
DeleteDataset) goes, once committed, to the Redis stream its StreamName names
(COGNITOADMIN_STREAMS_REDIS_URL), as Cognito puts it on a Kinesis stream: one entry per change,
its `data` the JSON record Cognito Streams sends (identityPoolId, identityId, dataSetName,
operation, kinesisSyncRecords, lastModifiedDate, syncCount, payloadType `Inline`) and its
`partitionKey` the identity id. A deletion is operation `remove` with no records.

Delivery is at least once, as Kinesis's is: a retried task may add an entry twice, and entries
of one dataset may arrive out of order from several workers. Consumers order and deduplicate by
(identityId, dataSetName, syncCount).

BulkPublish puts every live dataset of the pool on the stream, once per 24 hours at most, as a
Celery job whose state GetBulkPublishDetails reads.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any, Literal

import redis
from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from cognitoadmin.awsmodel import model_validate
from identities.models import IdentityPool
from sync.errors import (
    AlreadyStreamedException,
    DuplicateRequestException,
    InvalidConfigurationException,
)
from sync.models import Dataset, Record, SyncConfiguration
from sync.selectors.configuration import streaming_configuration_get
from sync.selectors.datasets import SERVICE
from sync.tasks import bulk_publish_task, stream_publish_task

logger = logging.getLogger(__name__)

NOT_STARTED, IN_PROGRESS, FAILED, SUCCEEDED = "NOT_STARTED", "IN_PROGRESS", "FAILED", "SUCCEEDED"
BULK_PUBLISH_INTERVAL = dt.timedelta(hours=24)
# Datasets read and written to Redis at a time by a bulk publish.
BULK_PUBLISH_BATCH = 100
# Redis errors worth trying again: the server was out of reach for a while.
TRANSIENT_ERRORS = (redis.ConnectionError, redis.TimeoutError)
StreamError = redis.RedisError

Entry = dict[str, str]


def _millis(moment: dt.datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def _sync_record(record: Record) -> dict[str, Any]:
    return {
        "key": record.key,
        "value": record.value,
        "syncCount": record.sync_count,
        "lastModifiedDate": _millis(record.last_modified_at),
        # A device that sent no time of its own changed the record when the server did.
        "deviceLastModifiedDate": _millis(
            record.device_last_modified_at or record.last_modified_at
        ),
        "op": "replace" if record.value is not None else "remove",
    }


def _entry(
    dataset: Dataset, records: Sequence[Record], operation: Literal["replace", "remove"]
) -> Entry:
    identity = dataset.identity
    payload = {
        "identityPoolId": identity.pool.identity_pool_id,
        "identityId": identity.identity_id,
        "dataSetName": dataset.name,
        "operation": operation,
        "kinesisSyncRecords": [_sync_record(record) for record in records],
        "lastModifiedDate": _millis(dataset.last_modified_at),
        "payloadType": "Inline",
        "syncCount": dataset.sync_count,
    }
    return {"data": json.dumps(payload, ensure_ascii=False), "partitionKey": identity.identity_id}


def dataset_change_stream(
    *, dataset: Dataset, records: Sequence[Record], operation: Literal["replace", "remove"]
) -> None:
    """Queue `dataset`'s change for its pool's stream, if the pool streams: UpdateRecords'
    changed `records` (operation `replace`), or a deletion (`remove`, no records). The entry is
    made now, so it tells this change whatever commits after it."""
    if operation == "replace" and not records:
        return  # an update that changed no record (removals of what was gone) tells nothing
    configuration = streaming_configuration_get(identity_pk=dataset.identity_id)
    if configuration is None:
        return
    # Robust: a broker out of reach must not fail a change that is committed; the change then
    # misses the stream, which a bulk publish makes up for, and the failure is logged.
    transaction.on_commit(
        partial(
            stream_publish_task.delay,
            configuration.stream_name,
            [_entry(dataset, records, operation)],
        ),
        robust=True,
    )


def _client() -> redis.Redis:
    return redis.Redis.from_url(
        settings.COGNITOADMIN_STREAMS_REDIS_URL, socket_connect_timeout=2, socket_timeout=10
    )


def stream_publish(*, stream_name: str, entries: Sequence[Entry]) -> None:
    """Add `entries` to the Redis stream `stream_name` in one MULTI/EXEC, so that they stand
    together, in order. Raises Redis's errors: the task retries the transient ones."""
    with _client() as client, client.pipeline(transaction=True) as pipe:
        for entry in entries:
            pipe.xadd(stream_name, dict(entry))
        pipe.execute()


@transaction.atomic
def bulk_publish_start(*, pool: IdentityPool) -> SyncConfiguration:
    """Begin publishing all of `pool`'s datasets to its stream (BulkPublish): the job runs once
    this commits."""
    model_validate("BulkPublish", {"IdentityPoolId": pool.identity_pool_id}, service=SERVICE)
    # The row lock makes the in-progress check and the start one step: one job at a time.
    configuration = SyncConfiguration.objects.select_for_update().filter(identity_pool=pool).first()
    if configuration is None or not (configuration.streaming_enabled and configuration.stream_name):
        raise InvalidConfigurationException(
            f"Cognito Streams is not enabled for identity pool {pool.identity_pool_id}."
        )
    if configuration.bulk_publish_status == IN_PROGRESS:
        raise DuplicateRequestException(
            f"A bulk publish of identity pool {pool.identity_pool_id} is in progress."
        )
    last = configuration.bulk_publish_completed_at
    now = timezone.now()
    if (
        configuration.bulk_publish_status == SUCCEEDED
        and last is not None
        and now - last < BULK_PUBLISH_INTERVAL
    ):
        raise AlreadyStreamedException(
            f"Identity pool {pool.identity_pool_id} was bulk published less than 24 hours ago."
        )
    configuration.bulk_publish_status = IN_PROGRESS
    configuration.bulk_publish_started_at = now
    configuration.bulk_publish_completed_at = None
    configuration.bulk_publish_failure = ""
    configuration.save()
    bulk_publish_task.delay_on_commit(pool.identity_pool_id)
    return configuration


def _pool_datasets(pool: IdentityPool) -> Iterator[list[Dataset]]:
    """`pool`'s live datasets with their live records, a batch at a time, by key."""
    live = Prefetch("records", queryset=Record.objects.exclude(value=None).order_by("pk"))
    datasets = (
        Dataset.objects.filter(identity__pool=pool, deleted=False)
        .select_related("identity__pool")
        .prefetch_related(live)
        .order_by("pk")
    )
    after = 0
    while batch := list(datasets.filter(pk__gt=after)[:BULK_PUBLISH_BATCH]):
        yield batch
        after = batch[-1].pk


def _bulk_publish_finish(configuration: SyncConfiguration, *, failure: str = "") -> None:
    # Conditional: only the job that is in progress ends it.
    SyncConfiguration.objects.filter(pk=configuration.pk, bulk_publish_status=IN_PROGRESS).update(
        bulk_publish_status=FAILED if failure else SUCCEEDED,
        bulk_publish_completed_at=None if failure else timezone.now(),
        bulk_publish_failure=failure,
    )


def bulk_publish_run(*, identity_pool_id: str) -> str:
    """Publish every live dataset of the pool to its stream, and record how it ended; return
    the status. A job that is not in progress (done already, or never begun) does nothing."""
    configuration = (
        SyncConfiguration.objects.select_related("identity_pool")
        .filter(identity_pool__identity_pool_id=identity_pool_id)
        .first()
    )
    if configuration is None or configuration.bulk_publish_status != IN_PROGRESS:
        return configuration.bulk_publish_status if configuration else NOT_STARTED
    if not (configuration.streaming_enabled and configuration.stream_name):
        _bulk_publish_finish(configuration, failure="Cognito Streams was disabled.")
        return FAILED
    try:
        for batch in _pool_datasets(configuration.identity_pool):
            entries = [_entry(d, list(d.records.all()), "replace") for d in batch]
            stream_publish(stream_name=configuration.stream_name, entries=entries)
    except redis.RedisError as exc:
        logger.warning("Bulk publish of %s failed: %s", identity_pool_id, exc)
        _bulk_publish_finish(
            configuration,
            failure=f"Could not publish to stream '{configuration.stream_name}': {exc}",
        )
        return FAILED
    _bulk_publish_finish(configuration)
    return SUCCEEDED
