"""Cognito Streams on a real Redis, and bulk publish: what each change puts on the stream, read
back with XRANGE, and every rule of BulkPublish."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any, cast

import pytest
import redis
from django.conf import settings
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from identities.models import Identity, IdentityPool
from sync.errors import (
    AlreadyStreamedException,
    DuplicateRequestException,
    InvalidConfigurationException,
)
from sync.models import Dataset, SyncConfiguration
from sync.services.configuration import sync_configuration_set
from sync.services.datasets import dataset_delete
from sync.services.streams import bulk_publish_run, bulk_publish_start, dataset_change_stream
from tests.conftest import Clock
from tests.sync.test_configuration import ROLE, config_rows
from tests.sync.test_datasets import (
    WRITER,
    make_identity,
    make_identity_pool,
    remove,
    replace,
    update,
)

pytestmark = pytest.mark.django_db

UNREACHABLE = "redis://127.0.0.1:1/0"


@pytest.fixture
def streams() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(settings.COGNITOADMIN_STREAMS_REDIS_URL, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def stream(streams: redis.Redis) -> Iterator[str]:
    """A stream name no other test uses, deleted afterwards."""
    name = f"test-cognito-{uuid.uuid4()}"
    yield name
    streams.delete(name)


@pytest.fixture
def identity_pool() -> IdentityPool:
    return make_identity_pool()


@pytest.fixture
def identity(identity_pool: IdentityPool) -> Identity:
    return make_identity(identity_pool)


def enable(pool: IdentityPool, stream: str, status: str = "ENABLED") -> None:
    sync_configuration_set(
        pool=pool,
        cognito_streams={"StreamName": stream, "RoleArn": ROLE, "StreamingStatus": status},
    )


def entries(streams: redis.Redis, stream: str) -> list[dict[str, Any]]:
    """The stream's entries, oldest first, each its payload with its partition key."""
    read = cast(list[tuple[str, dict[str, str]]], streams.xrange(stream))
    return [
        {**json.loads(fields["data"]), "_partitionKey": fields["partitionKey"]}
        for _, fields in read
    ]


def test_a_change_goes_to_the_pools_stream_once_committed(
    identity_pool: IdentityPool,
    identity: Identity,
    stream: str,
    streams: redis.Redis,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    update(identity, replace("theme", "dark"), replace("lang", "fr"))
    changed = update(identity, replace("theme", "light", 1), remove("lang", 1))
    dataset = Dataset.objects.select_related("identity__pool").get()
    enable(identity_pool, stream)

    with django_capture_on_commit_callbacks(execute=True) as queued:
        dataset_change_stream(dataset=dataset, records=changed, operation="replace")
    [entry] = entries(streams, stream)
    records = entry.pop("kinesisSyncRecords")

    assert len(queued) == 1
    assert entry == {
        "identityPoolId": identity_pool.identity_pool_id,
        "identityId": identity.identity_id,
        "dataSetName": "settings",
        "operation": "replace",
        "lastModifiedDate": int(dataset.last_modified_at.timestamp() * 1000),
        "payloadType": "Inline",
        "syncCount": 2,
        "_partitionKey": identity.identity_id,
    }
    assert [(r["key"], r["value"], r["op"], r["syncCount"]) for r in records] == [
        ("theme", "light", "replace", 2),
        ("lang", None, "remove", 2),
    ]
    assert records[0]["lastModifiedDate"] == records[0]["deviceLastModifiedDate"]
    assert isinstance(records[0]["lastModifiedDate"], int)


def test_a_deletion_goes_to_the_stream_as_a_remove_without_records(
    identity_pool: IdentityPool,
    identity: Identity,
    stream: str,
    streams: redis.Redis,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    update(identity, replace("theme", "dark"))
    dataset_delete(identity=identity, dataset_name="settings", modified_by=WRITER)
    dataset = Dataset.objects.select_related("identity__pool").get()
    enable(identity_pool, stream)

    with django_capture_on_commit_callbacks(execute=True):
        dataset_change_stream(dataset=dataset, records=[], operation="remove")
    [entry] = entries(streams, stream)

    assert (entry["operation"], entry["kinesisSyncRecords"]) == ("remove", [])
    assert entry["syncCount"] == 2


@pytest.mark.parametrize("status", ["DISABLED", None])
def test_a_pool_that_does_not_stream_queues_nothing(
    identity: Identity,
    stream: str,
    streams: redis.Redis,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    status: str | None,
) -> None:
    identity_pool = identity.pool
    changed = update(identity, replace("theme", "dark"))
    if status is not None:
        enable(identity_pool, stream, status)
    dataset = Dataset.objects.select_related("identity__pool").get()

    with django_capture_on_commit_callbacks(execute=True) as queued:
        dataset_change_stream(dataset=dataset, records=changed, operation="replace")

    assert queued == []
    assert streams.exists(stream) == 0


def test_redis_out_of_reach_fails_no_saved_change(
    identity: Identity,
    stream: str,
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    caplog: pytest.LogCaptureFixture,
) -> None:
    identity_pool = identity.pool
    changed = update(identity, replace("theme", "dark"))
    dataset = Dataset.objects.select_related("identity__pool").get()
    enable(identity_pool, stream)
    settings.COGNITOADMIN_STREAMS_REDIS_URL = UNREACHABLE

    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        dataset_change_stream(dataset=dataset, records=changed, operation="replace")

    assert f"Stream {stream} missed a change" in caplog.text


def test_bulk_publish_puts_every_live_dataset_on_the_stream(
    identity: Identity,
    stream: str,
    streams: redis.Redis,
    clock: Clock,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    identity_pool = identity.pool
    other = make_identity(identity_pool)
    elsewhere = make_identity(make_identity_pool("elsewhere"))
    update(identity, replace("theme", "dark"), replace("lang", "fr"))
    update(identity, remove("lang", 1))
    update(identity, replace("k", "v"), name="gone")
    dataset_delete(identity=identity, dataset_name="gone", modified_by=WRITER)
    update(other, replace("score", "10"), name="game")
    update(elsewhere, replace("x", "y"))
    enable(identity_pool, stream)

    with django_capture_on_commit_callbacks(execute=True):
        started = bulk_publish_start(pool=identity_pool)
    started_at = started.bulk_publish_started_at
    clock.advance(seconds=1)
    published = entries(streams, stream)
    configuration = SyncConfiguration.objects.get(identity_pool=identity_pool)

    assert started.bulk_publish_status == "IN_PROGRESS"
    assert started_at == clock.now - dt.timedelta(seconds=1)
    assert [(e["identityId"], e["dataSetName"], e["syncCount"]) for e in published] == [
        (identity.identity_id, "settings", 2),
        (other.identity_id, "game", 1),
    ]
    assert [(r["key"], r["value"]) for r in published[0]["kinesisSyncRecords"]] == [
        ("theme", "dark")
    ]
    assert {e["operation"] for e in published} == {"replace"}
    assert configuration.bulk_publish_status == "SUCCEEDED"
    assert configuration.bulk_publish_started_at == started_at
    assert configuration.bulk_publish_completed_at == started_at
    assert configuration.bulk_publish_failure == ""


def test_bulk_publish_runs_once_a_day_at_most(
    identity_pool: IdentityPool,
    stream: str,
    clock: Clock,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    enable(identity_pool, stream)
    with django_capture_on_commit_callbacks(execute=True):
        bulk_publish_start(pool=identity_pool)
    clock.advance(hours=23, minutes=59)
    before = config_rows()
    with pytest.raises(AlreadyStreamedException):
        bulk_publish_start(pool=identity_pool)
    after_refusal = config_rows()
    clock.advance(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        again = bulk_publish_start(pool=identity_pool)

    assert after_refusal == before
    assert again.bulk_publish_started_at == clock.now
    assert SyncConfiguration.objects.get().bulk_publish_status == "SUCCEEDED"


def test_one_bulk_publish_at_a_time(
    identity_pool: IdentityPool,
    stream: str,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    enable(identity_pool, stream)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        bulk_publish_start(pool=identity_pool)
        before = config_rows()
        with pytest.raises(DuplicateRequestException):
            bulk_publish_start(pool=identity_pool)

    assert config_rows() == before
    assert len(queued) == 1
    assert SyncConfiguration.objects.get().bulk_publish_status == "IN_PROGRESS"


@pytest.mark.parametrize("status", ["DISABLED", None])
def test_bulk_publish_needs_streams_enabled(
    identity_pool: IdentityPool, stream: str, status: str | None
) -> None:
    if status is not None:
        enable(identity_pool, stream, status)
    before = config_rows()

    with pytest.raises(InvalidConfigurationException):
        bulk_publish_start(pool=identity_pool)
    assert config_rows() == before


def test_a_failed_bulk_publish_says_why_and_may_run_again(
    identity: Identity,
    stream: str,
    streams: redis.Redis,
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    identity_pool = identity.pool
    update(identity, replace("theme", "dark"))
    enable(identity_pool, stream)
    reachable = settings.COGNITOADMIN_STREAMS_REDIS_URL
    settings.COGNITOADMIN_STREAMS_REDIS_URL = UNREACHABLE
    with django_capture_on_commit_callbacks(execute=True):
        bulk_publish_start(pool=identity_pool)
    failed = SyncConfiguration.objects.get()
    settings.COGNITOADMIN_STREAMS_REDIS_URL = reachable
    with django_capture_on_commit_callbacks(execute=True):
        bulk_publish_start(pool=identity_pool)

    assert failed.bulk_publish_status == "FAILED"
    assert failed.bulk_publish_completed_at is None
    assert failed.bulk_publish_failure.startswith(f"Could not publish to stream '{stream}'")
    assert SyncConfiguration.objects.get().bulk_publish_status == "SUCCEEDED"
    assert len(entries(streams, stream)) == 1


def test_a_job_not_in_progress_does_nothing(
    identity_pool: IdentityPool, stream: str, streams: redis.Redis
) -> None:
    enable(identity_pool, stream)
    before = config_rows()

    assert bulk_publish_run(identity_pool_id=identity_pool.identity_pool_id) == "NOT_STARTED"
    assert bulk_publish_run(identity_pool_id="us-east-1:none") == "NOT_STARTED"
    assert config_rows() == before
    assert streams.exists(stream) == 0


def test_a_job_whose_streams_were_disabled_meanwhile_fails(
    identity_pool: IdentityPool,
    stream: str,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    enable(identity_pool, stream)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        bulk_publish_start(pool=identity_pool)
    enable(identity_pool, stream, "DISABLED")
    queued[0]()
    configuration = SyncConfiguration.objects.get()

    assert configuration.bulk_publish_status == "FAILED"
    assert configuration.bulk_publish_failure == "Cognito Streams was disabled."


def test_a_stream_name_taken_by_another_kind_of_key_fails_no_saved_change(
    identity: Identity,
    stream: str,
    streams: redis.Redis,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    caplog: pytest.LogCaptureFixture,
) -> None:
    changed = update(identity, replace("theme", "dark"))
    dataset = Dataset.objects.select_related("identity__pool").get()
    enable(identity.pool, stream)
    streams.set(stream, "not a stream")

    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        dataset_change_stream(dataset=dataset, records=changed, operation="replace")

    assert "WRONGTYPE" in caplog.text
    assert streams.get(stream) == "not a stream"
