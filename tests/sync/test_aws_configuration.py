"""Cognito Sync's configuration, devices and bulk publish with boto3 against a live server: a
developer configures push sync, streams and events and bulk publishes; an app's identity
registers its device and subscribes with its own credentials; refusals come as Cognito's."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
import redis
from botocore.exceptions import ClientError
from django.conf import settings

from identities.models import IdentityPool
from sync.models import DatasetSubscription, SyncDevice
from tests.sync import test_aws_sync as data_ops
from tests.sync.test_aws_sync import _code, _device
from tests.sync.test_configuration import (
    APNS_APP,
    GCM_APP,
    LAMBDA,
    ROLE,
    config_rows,
    function_urls,  # noqa: F401 (autouse: LAMBDA names a function URL)
)
from tests.sync.test_datasets import sync_rows

pytestmark = pytest.mark.django_db(transaction=True)

# The data operations' fixtures: an identity pool whose guests may use Cognito Sync, and a
# client signed with an operator's key.
identity_pool = data_ops.identity_pool
developer = data_ops.developer


@pytest.fixture
def stream() -> Iterator[tuple[str, redis.Redis]]:
    """A stream name no other test uses, with a client to read it; deleted afterwards."""
    name = f"test-cognito-{uuid.uuid4()}"
    client = redis.Redis.from_url(settings.COGNITOADMIN_STREAMS_REDIS_URL, decode_responses=True)
    yield name, client
    client.delete(name)
    client.close()


def _refused(call: Callable[..., Any], **params: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as error:
        call(**params)
    return _code(error)


def test_a_developer_configures_the_pool_and_bulk_publishes(
    identity_pool: IdentityPool, developer: Any, stream: tuple[str, redis.Redis]
) -> None:
    name, streams = stream
    pool = {"IdentityPoolId": identity_pool.identity_pool_id}
    unconfigured = developer.get_identity_pool_configuration(**pool)
    not_started = developer.get_bulk_publish_details(**pool)

    set_answer = developer.set_identity_pool_configuration(
        **pool,
        PushSync={"ApplicationArns": [APNS_APP, GCM_APP], "RoleArn": ROLE},
        CognitoStreams={"StreamName": name, "RoleArn": ROLE, "StreamingStatus": "ENABLED"},
    )
    configuration = developer.get_identity_pool_configuration(**pool)
    developer.set_cognito_events(**pool, Events={"SyncTrigger": LAMBDA})
    events = developer.get_cognito_events(**pool)
    published = developer.bulk_publish(**pool)
    details = developer.get_bulk_publish_details(**pool)

    assert {k: v for k, v in unconfigured.items() if k != "ResponseMetadata"} == pool
    assert not_started["BulkPublishStatus"] == "NOT_STARTED"
    assert "BulkPublishStartTime" not in not_started
    for answer in (set_answer, configuration):
        assert answer["IdentityPoolId"] == identity_pool.identity_pool_id
        assert answer["PushSync"] == {"ApplicationArns": [APNS_APP, GCM_APP], "RoleArn": ROLE}
        assert answer["CognitoStreams"] == {
            "StreamName": name,
            "RoleArn": ROLE,
            "StreamingStatus": "ENABLED",
        }
    assert events["Events"] == {"SyncTrigger": LAMBDA}
    assert published["IdentityPoolId"] == identity_pool.identity_pool_id
    assert details["BulkPublishStatus"] == "SUCCEEDED"
    assert isinstance(details["BulkPublishStartTime"], dt.datetime)
    assert details["BulkPublishCompleteTime"] >= details["BulkPublishStartTime"]
    assert "FailureMessage" not in details
    assert streams.xlen(name) == 0  # the pool has no datasets yet
    assert _refused(developer.bulk_publish, **pool) == ("AlreadyStreamedException", 400)


def test_bulk_publish_puts_the_datasets_on_the_stream(
    aws_url: str, identity_pool: IdentityPool, developer: Any, stream: tuple[str, redis.Redis]
) -> None:
    name, streams = stream
    identity_id, sync = _device(aws_url, identity_pool)
    ids = {"IdentityPoolId": identity_pool.identity_pool_id, "IdentityId": identity_id}
    token = sync.list_records(**ids, DatasetName="game")["SyncSessionToken"]
    sync.update_records(
        **ids,
        DatasetName="game",
        SyncSessionToken=token,
        RecordPatches=[{"Op": "replace", "Key": "level", "Value": "3", "SyncCount": 0}],
    )
    developer.set_identity_pool_configuration(
        IdentityPoolId=identity_pool.identity_pool_id,
        CognitoStreams={"StreamName": name, "RoleArn": ROLE, "StreamingStatus": "ENABLED"},
    )

    developer.bulk_publish(IdentityPoolId=identity_pool.identity_pool_id)
    [(_, fields)] = cast(list[tuple[str, dict[str, str]]], streams.xrange(name))
    payload = json.loads(fields["data"])

    assert (payload["identityId"], payload["dataSetName"]) == (identity_id, "game")
    assert [(r["key"], r["value"]) for r in payload["kinesisSyncRecords"]] == [("level", "3")]


def test_an_identity_registers_its_device_and_subscribes(
    aws_url: str, identity_pool: IdentityPool, developer: Any
) -> None:
    developer.set_identity_pool_configuration(
        IdentityPoolId=identity_pool.identity_pool_id,
        PushSync={"ApplicationArns": [APNS_APP], "RoleArn": ROLE},
    )
    identity_id, sync = _device(aws_url, identity_pool)
    ids = {"IdentityPoolId": identity_pool.identity_pool_id, "IdentityId": identity_id}

    first = sync.register_device(**ids, Platform="APNS", Token="ab" * 32)["DeviceId"]
    again = sync.register_device(**ids, Platform="APNS", Token="ab" * 32)["DeviceId"]
    sync.subscribe_to_dataset(**ids, DatasetName="settings", DeviceId=first)
    sync.subscribe_to_dataset(**ids, DatasetName="game", DeviceId=first)
    sync.unsubscribe_from_dataset(**ids, DatasetName="game", DeviceId=first)

    assert first == again
    assert SyncDevice.objects.get().identity.identity_id == identity_id
    assert list(DatasetSubscription.objects.values_list("dataset_name", flat=True)) == ["settings"]


def test_refusals_come_as_cognito_sync_answers_them(
    aws_url: str, identity_pool: IdentityPool, developer: Any
) -> None:
    pool = {"IdentityPoolId": identity_pool.identity_pool_id}
    developer.set_identity_pool_configuration(
        **pool, PushSync={"ApplicationArns": [APNS_APP], "RoleArn": ROLE}
    )
    alice_id, alice = _device(aws_url, identity_pool)
    bob_id, bob = _device(aws_url, identity_pool)
    alices = {**pool, "IdentityId": alice_id}
    bobs = {**pool, "IdentityId": bob_id}
    device = alice.register_device(**alices, Platform="APNS", Token="token")["DeviceId"]
    unknown_pool = {"IdentityPoolId": f"us-east-1:{uuid.uuid4()}"}
    before = (config_rows(), sync_rows())

    assert [
        _refused(alice.get_identity_pool_configuration, **pool),
        _refused(alice.set_cognito_events, **pool, Events={"SyncTrigger": ""}),
        _refused(alice.get_cognito_events, **pool),
        _refused(alice.bulk_publish, **pool),
        _refused(alice.get_bulk_publish_details, **pool),
        _refused(developer.register_device, **alices, Platform="APNS", Token="t"),
        _refused(bob.register_device, **alices, Platform="APNS", Token="t"),
        _refused(bob.subscribe_to_dataset, **alices, DatasetName="d", DeviceId=device),
        _refused(developer.unsubscribe_from_dataset, **alices, DatasetName="d", DeviceId=device),
    ] == [("NotAuthorizedException", 403)] * 9
    assert [
        _refused(bob.subscribe_to_dataset, **bobs, DatasetName="d", DeviceId=device),
        _refused(developer.get_identity_pool_configuration, **unknown_pool),
        _refused(developer.bulk_publish, **unknown_pool),
    ] == [("ResourceNotFoundException", 404)] * 3
    assert [
        _refused(developer.set_cognito_events, **pool, Events={"Other": LAMBDA}),
        _refused(developer.set_cognito_events, **pool, Events={"SyncTrigger": "arn:x"}),
        _refused(
            developer.set_identity_pool_configuration,
            **pool,
            CognitoStreams={"StreamName": "s", "StreamingStatus": "ENABLED"},
        ),
        _refused(
            developer.set_identity_pool_configuration,
            **pool,
            CognitoStreams={"StreamName": "s" * 129},
        ),
        _refused(alice.register_device, **alices, Platform="APNS", Token="bad\x00"),
        _refused(alice.register_device, **alices, Platform="APNS", Token="t" * 100_000),
        _refused(alice.subscribe_to_dataset, **alices, DatasetName="bad name", DeviceId=device),
    ] == [("InvalidParameterException", 400)] * 7
    assert [
        _refused(developer.bulk_publish, **pool),
        _refused(alice.register_device, **alices, Platform="GCM", Token="t"),
    ] == [("InvalidConfigurationException", 400)] * 2
    assert (config_rows(), sync_rows()) == before


def test_a_streaming_pools_changes_go_to_its_stream(
    aws_url: str, identity_pool: IdentityPool, developer: Any, stream: tuple[str, redis.Redis]
) -> None:
    name, streams = stream
    developer.set_identity_pool_configuration(
        IdentityPoolId=identity_pool.identity_pool_id,
        CognitoStreams={"StreamName": name, "RoleArn": ROLE, "StreamingStatus": "ENABLED"},
    )
    identity_id, sync = _device(aws_url, identity_pool)
    ids = {"IdentityPoolId": identity_pool.identity_pool_id, "IdentityId": identity_id}
    device_time = dt.datetime(2029, 5, 1, 8, 30, tzinfo=dt.UTC)
    token = sync.list_records(**ids, DatasetName="game")["SyncSessionToken"]
    sync.update_records(
        **ids,
        DatasetName="game",
        SyncSessionToken=token,
        RecordPatches=[
            {"Op": "replace", "Key": "level", "Value": "3", "SyncCount": 0},
            {
                "Op": "replace",
                "Key": "score",
                "Value": "10",
                "SyncCount": 0,
                "DeviceLastModifiedDate": device_time,
            },
        ],
    )
    refused = _refused(
        sync.update_records,
        **ids,
        DatasetName="game",
        SyncSessionToken=token,
        RecordPatches=[{"Op": "replace", "Key": "level", "Value": "4", "SyncCount": 0}],
    )
    sync.delete_dataset(**ids, DatasetName="game")
    read = cast(list[tuple[str, dict[str, str]]], streams.xrange(name))
    update, deletion = (json.loads(fields["data"]) for _, fields in read)

    assert refused == ("ResourceConflictException", 409)
    assert len(read) == 2
    assert {fields["partitionKey"] for _, fields in read} == {identity_id}
    assert (update["identityId"], update["dataSetName"], update["operation"]) == (
        identity_id,
        "game",
        "replace",
    )
    assert [
        (r["key"], r["value"], r["op"], r["syncCount"]) for r in update["kinesisSyncRecords"]
    ] == [
        ("level", "3", "replace", 1),
        ("score", "10", "replace", 1),
    ]
    assert update["kinesisSyncRecords"][1]["deviceLastModifiedDate"] == int(
        device_time.timestamp() * 1000
    )
    assert (deletion["operation"], deletion["kinesisSyncRecords"]) == ("remove", [])
    assert deletion["syncCount"] == 2
