"""Cognito Sync end to end with boto3 against a live server: an app's identity syncs its
datasets with its own temporary credentials (and reaches no other identity's), two devices
meet a conflict, and a developer's key reads usage."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.utils import timezone

from identities.models import AccessKey, IdentityPool, Role, RolePolicy
from sync.models import Dataset, Record
from tests.conftest import _boto3_client
from tests.sync.test_datasets import sync_rows

pytestmark = pytest.mark.django_db(transaction=True)

OPENID = "cognito-identity.amazonaws.com"


def _code(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = error.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def identity_pool(aws_url: str) -> IdentityPool:
    """An identity pool whose guests' role may use all of Cognito Sync."""
    pool_id = f"us-east-1:{uuid.uuid4()}"
    role = Role.objects.create(
        role_id="AROA00000000000000001",
        name="guests",
        assume_role_policy={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": OPENID},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {f"{OPENID}:aud": pool_id},
                        "ForAnyValue:StringLike": {f"{OPENID}:amr": "unauthenticated"},
                    },
                }
            ],
        },
        created_at=timezone.now(),
    )
    RolePolicy.objects.create(
        role=role,
        name="sync",
        document={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "cognito-sync:*", "Resource": "*"}],
        },
    )
    return IdentityPool.objects.create(
        identity_pool_id=pool_id,
        region="us-east-1",
        name="game",
        allow_unauthenticated=True,
        unauthenticated_role_arn=role.arn,
    )


def _device(aws_url: str, pool: IdentityPool) -> tuple[str, Any]:
    """A new guest identity of `pool` and a cognito-sync client signed with its credentials."""
    identity = _boto3_client("cognito-identity", aws_url)
    identity_id = identity.get_id(IdentityPoolId=pool.identity_pool_id)["IdentityId"]
    credentials = identity.get_credentials_for_identity(IdentityId=identity_id)["Credentials"]
    client = _boto3_client(
        "cognito-sync",
        aws_url,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretKey"],
        aws_session_token=credentials["SessionToken"],
    )
    return identity_id, client


@pytest.fixture
def developer(aws_url: str, operator_key: tuple[AccessKey, str]) -> Any:
    key, secret = operator_key
    return _boto3_client(
        "cognito-sync", aws_url, aws_access_key_id=key.access_key_id, aws_secret_access_key=secret
    )


def test_an_identity_syncs_its_dataset(aws_url: str, identity_pool: IdentityPool) -> None:
    identity_id, sync = _device(aws_url, identity_pool)
    ids = {"IdentityPoolId": identity_pool.identity_pool_id, "IdentityId": identity_id}
    device_time = dt.datetime(2029, 5, 1, 8, 30, tzinfo=dt.UTC)

    first = sync.list_records(**ids, DatasetName="settings")
    updated = sync.update_records(
        **ids,
        DatasetName="settings",
        DeviceId="phone",
        SyncSessionToken=first["SyncSessionToken"],
        RecordPatches=[
            {"Op": "replace", "Key": "theme", "Value": "dark", "SyncCount": 0},
            {
                "Op": "replace",
                "Key": "lang",
                "Value": "fr",
                "SyncCount": 0,
                "DeviceLastModifiedDate": device_time,
            },
        ],
    )
    second = sync.list_records(**ids, DatasetName="settings", LastSyncCount=0)
    described = sync.describe_dataset(**ids, DatasetName="settings")["Dataset"]
    listed = sync.list_datasets(**ids)
    usage = sync.describe_identity_usage(**ids)["IdentityUsage"]

    assert first["DatasetExists"] is False
    assert (first["DatasetSyncCount"], first["Records"], first["Count"]) == (0, [], 0)
    assert first["MergedDatasetNames"] == []
    assert first["DatasetDeletedAfterRequestedSyncCount"] is False
    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in updated["Records"]] == [
        ("theme", "dark", 1),
        ("lang", "fr", 1),
    ]
    assert updated["Records"][0]["LastModifiedBy"] == identity_id
    assert updated["Records"][1]["DeviceLastModifiedDate"] == device_time
    assert second["DatasetExists"] is True
    assert (second["DatasetSyncCount"], second["Count"]) == (1, 2)
    assert second["LastModifiedBy"] == identity_id
    assert {r["Key"]: r["Value"] for r in second["Records"]} == {"theme": "dark", "lang": "fr"}
    assert described["DatasetName"] == "settings"
    assert described["IdentityId"] == identity_id
    assert (described["NumRecords"], described["DataStorage"]) == (2, len("themedarklangfr"))
    assert isinstance(described["CreationDate"], dt.datetime)
    assert [d["DatasetName"] for d in listed["Datasets"]] == ["settings"]
    assert listed["Count"] == 1
    assert (usage["DatasetCount"], usage["DataStorage"]) == (1, 15)
    assert usage["IdentityPoolId"] == identity_pool.identity_pool_id


def test_identity_credentials_reach_no_other_identitys_data(
    aws_url: str, identity_pool: IdentityPool, developer: Any
) -> None:
    alice_id, alice = _device(aws_url, identity_pool)
    bob_id, bob = _device(aws_url, identity_pool)
    alices = {"IdentityPoolId": identity_pool.identity_pool_id, "IdentityId": alice_id}
    token = alice.list_records(**alices, DatasetName="secrets")["SyncSessionToken"]
    alice.update_records(
        **alices,
        DatasetName="secrets",
        SyncSessionToken=token,
        RecordPatches=[{"Op": "replace", "Key": "pin", "Value": "1234", "SyncCount": 0}],
    )
    before = sync_rows()

    refusals = []
    calls: list[Callable[[], Any]] = [
        lambda: bob.list_datasets(**alices),
        lambda: bob.list_records(**alices, DatasetName="secrets"),
        lambda: bob.describe_dataset(**alices, DatasetName="secrets"),
        lambda: bob.delete_dataset(**alices, DatasetName="secrets"),
        lambda: bob.describe_identity_usage(**alices),
        lambda: bob.update_records(
            **alices,
            DatasetName="secrets",
            SyncSessionToken=token,
            RecordPatches=[{"Op": "remove", "Key": "pin", "SyncCount": 1}],
        ),
        lambda: bob.describe_identity_pool_usage(IdentityPoolId=identity_pool.identity_pool_id),
        bob.list_identity_pool_usage,
    ]
    for call in calls:
        with pytest.raises(ClientError) as refused:
            call()
        refusals.append(_code(refused))
    by_developer = developer.list_records(**alices, DatasetName="secrets")["Records"]

    assert refusals == [("NotAuthorizedException", 403)] * 8
    assert sync_rows() == before
    assert [r["Value"] for r in by_developer] == ["1234"]
    assert bob_id != alice_id


def test_two_devices_meet_a_conflict_and_the_second_wins_after_listing_again(
    aws_url: str, identity_pool: IdentityPool, developer: Any
) -> None:
    identity_id, phone = _device(aws_url, identity_pool)
    ids = {"IdentityPoolId": identity_pool.identity_pool_id, "IdentityId": identity_id}
    # The second device signs as the developer's backend does; both hold sync count 1.
    tablet = developer
    start = phone.list_records(**ids, DatasetName="game")["SyncSessionToken"]
    phone.update_records(
        **ids,
        DatasetName="game",
        SyncSessionToken=start,
        RecordPatches=[{"Op": "replace", "Key": "score", "Value": "10", "SyncCount": 0}],
    )
    phone_session = phone.list_records(**ids, DatasetName="game", LastSyncCount=0)
    tablet_session = tablet.list_records(**ids, DatasetName="game", LastSyncCount=0)
    assert phone_session["DatasetSyncCount"] == tablet_session["DatasetSyncCount"] == 1

    phone.update_records(
        **ids,
        DatasetName="game",
        SyncSessionToken=phone_session["SyncSessionToken"],
        RecordPatches=[{"Op": "replace", "Key": "score", "Value": "20", "SyncCount": 1}],
    )
    before = sync_rows()
    with pytest.raises(ClientError) as conflict:
        tablet.update_records(
            **ids,
            DatasetName="game",
            SyncSessionToken=tablet_session["SyncSessionToken"],
            RecordPatches=[
                {"Op": "replace", "Key": "score", "Value": "15", "SyncCount": 1},
                {"Op": "replace", "Key": "level", "Value": "3", "SyncCount": 0},
            ],
        )
    after_conflict = sync_rows()
    relisted = tablet.list_records(**ids, DatasetName="game", LastSyncCount=1)
    resolved = tablet.update_records(
        **ids,
        DatasetName="game",
        SyncSessionToken=relisted["SyncSessionToken"],
        RecordPatches=[
            {"Op": "replace", "Key": "score", "Value": "25", "SyncCount": 2},
            {"Op": "replace", "Key": "level", "Value": "3", "SyncCount": 0},
        ],
    )

    assert _code(conflict) == ("ResourceConflictException", 409)
    assert after_conflict == before
    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in relisted["Records"]] == [
        ("score", "20", 2)
    ]
    assert [(r["Key"], r["SyncCount"]) for r in resolved["Records"]] == [
        ("score", 3),
        ("level", 3),
    ]
    assert Dataset.objects.get().sync_count == 3


def test_a_deleted_dataset_is_gone_and_devices_are_told(
    aws_url: str, identity_pool: IdentityPool
) -> None:
    identity_id, sync = _device(aws_url, identity_pool)
    ids = {"IdentityPoolId": identity_pool.identity_pool_id, "IdentityId": identity_id}
    token = sync.list_records(**ids, DatasetName="notes")["SyncSessionToken"]
    sync.update_records(
        **ids,
        DatasetName="notes",
        SyncSessionToken=token,
        RecordPatches=[{"Op": "replace", "Key": "todo", "Value": "milk", "SyncCount": 0}],
    )

    deleted = sync.delete_dataset(**ids, DatasetName="notes")["Dataset"]
    with pytest.raises(ClientError) as described:
        sync.describe_dataset(**ids, DatasetName="notes")
    with pytest.raises(ClientError) as again:
        sync.delete_dataset(**ids, DatasetName="notes")
    listing = sync.list_records(**ids, DatasetName="notes", LastSyncCount=1)

    assert (deleted["DatasetName"], deleted["NumRecords"]) == ("notes", 1)
    assert _code(described) == ("ResourceNotFoundException", 404)
    assert _code(again) == ("ResourceNotFoundException", 404)
    assert listing["DatasetExists"] is False
    assert listing["DatasetDeletedAfterRequestedSyncCount"] is True
    assert Record.objects.count() == 0


def test_refusals_come_as_cognito_sync_answers_them(
    aws_url: str, identity_pool: IdentityPool, developer: Any
) -> None:
    identity_id, sync = _device(aws_url, identity_pool)
    ids = {"IdentityPoolId": identity_pool.identity_pool_id, "IdentityId": identity_id}
    other_pool = IdentityPool.objects.create(
        identity_pool_id=f"us-east-1:{uuid.uuid4()}", region="us-east-1", name="other"
    )
    patch = [{"Op": "replace", "Key": "k", "Value": "v", "SyncCount": 0}]

    def refused(call: Any, **params: Any) -> tuple[str, int]:
        with pytest.raises(ClientError) as error:
            call(**params)
        return _code(error)

    assert refused(
        sync.update_records, **ids, DatasetName="d", SyncSessionToken="forged", RecordPatches=patch
    ) == ("InvalidParameterException", 400)
    assert refused(
        developer.describe_dataset,
        IdentityPoolId=other_pool.identity_pool_id,
        IdentityId=identity_id,
        DatasetName="d",
    ) == ("ResourceNotFoundException", 404)
    assert refused(sync.describe_dataset, **ids, DatasetName="bad name") == (
        "InvalidParameterException",
        400,
    )
    for number in range(20):
        token = developer.list_records(**ids, DatasetName=f"d{number}")["SyncSessionToken"]
        developer.update_records(
            **ids, DatasetName=f"d{number}", SyncSessionToken=token, RecordPatches=patch
        )
    token = sync.list_records(**ids, DatasetName="d20")["SyncSessionToken"]
    assert refused(
        sync.update_records, **ids, DatasetName="d20", SyncSessionToken=token, RecordPatches=patch
    ) == ("LimitExceededException", 400)
    assert Dataset.objects.count() == 20


def test_a_developer_reads_the_pools_usage(
    aws_url: str, identity_pool: IdentityPool, developer: Any
) -> None:
    identity_id, sync = _device(aws_url, identity_pool)
    ids = {"IdentityPoolId": identity_pool.identity_pool_id, "IdentityId": identity_id}
    token = sync.list_records(**ids, DatasetName="d")["SyncSessionToken"]
    sync.update_records(
        **ids,
        DatasetName="d",
        SyncSessionToken=token,
        RecordPatches=[{"Op": "replace", "Key": "key", "Value": "value", "SyncCount": 0}],
    )

    usage = developer.describe_identity_pool_usage(IdentityPoolId=identity_pool.identity_pool_id)
    usages = developer.list_identity_pool_usage(MaxResults=10)

    assert usage["IdentityPoolUsage"]["IdentityPoolId"] == identity_pool.identity_pool_id
    assert usage["IdentityPoolUsage"]["DataStorage"] == len("keyvalue")
    assert isinstance(usage["IdentityPoolUsage"]["LastModifiedDate"], dt.datetime)
    assert [u["IdentityPoolId"] for u in usages["IdentityPoolUsages"]] == [
        identity_pool.identity_pool_id
    ]
    assert (usages["MaxResults"], usages["Count"]) == (10, 1)
    assert "NextToken" not in usages
