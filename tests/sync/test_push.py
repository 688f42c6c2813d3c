"""Push sync: each device subscribed to a dataset is notified once a change of it commits, with
the data Cognito's push carries, through the configured backend (a real HTTP gateway on
loopback for the webhook); nobody else is notified, and a failing backend loses no change."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from identities.models import Identity, IdentityPool
from sync.models import Record
from sync.services.configuration import sync_configuration_set
from sync.services.datasets import dataset_delete
from sync.services.devices import dataset_subscription_create, sync_device_register
from sync.services.push import LocmemPushBackend, PushMessage
from tests.sync import test_aws_sync as data_ops
from tests.sync.test_configuration import APNS_APP, GCM_APP, ROLE
from tests.sync.test_datasets import make_identity, make_identity_pool, remove, replace, update
from tests.webhooks import Receiver, webhook_receiver

Capture = Callable[..., Any]


@pytest.fixture
def outbox(settings: Any) -> list[PushMessage]:
    settings.COGNITOADMIN_PUSH_BACKEND = "sync.services.push.LocmemPushBackend"
    LocmemPushBackend.outbox.clear()
    return LocmemPushBackend.outbox


@pytest.fixture
def push_pool(db: None) -> IdentityPool:
    pool = make_identity_pool()
    sync_configuration_set(
        pool=pool, push_sync={"ApplicationArns": [APNS_APP, GCM_APP], "RoleArn": ROLE}
    )
    return pool


def _subscribed(identity: Identity, platform: str, token: str, *datasets: str) -> str:
    device = sync_device_register(identity=identity, platform=platform, token=token)
    for name in datasets:
        dataset_subscription_create(device=device, dataset_name=name)
    return device.device_id


@pytest.mark.django_db
def test_each_subscribed_device_is_notified_of_a_change_once_it_commits(
    push_pool: IdentityPool,
    outbox: list[PushMessage],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    identity = make_identity(push_pool)
    phone = _subscribed(identity, "APNS", "ab" * 32, "settings")
    tablet = _subscribed(identity, "GCM", "fcm-token", "settings", "game")
    _subscribed(identity, "GCM", "other-token", "game")
    neighbour = make_identity(push_pool)
    _subscribed(neighbour, "APNS", "cd" * 32, "settings")

    with django_capture_on_commit_callbacks(execute=True):
        update(identity, replace("theme", "dark"))
        assert outbox == []  # not before the change commits

    data = {
        "source": "cognito-sync",
        "type": "push-sync",
        "identityPoolId": push_pool.identity_pool_id,
        "identityId": identity.identity_id,
        "datasetName": "settings",
        "syncCount": 1,
    }
    assert sorted(outbox, key=lambda m: m.platform) == [
        PushMessage(
            device_id=phone, platform="APNS", token="ab" * 32, application_arn=APNS_APP, data=data
        ),
        PushMessage(
            device_id=tablet, platform="GCM", token="fcm-token", application_arn=GCM_APP, data=data
        ),
    ]


@pytest.mark.django_db
def test_a_deletion_notifies_and_an_update_that_changed_nothing_does_not(
    push_pool: IdentityPool,
    outbox: list[PushMessage],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    identity = make_identity(push_pool)
    _subscribed(identity, "APNS", "ab" * 32, "settings")

    with django_capture_on_commit_callbacks(execute=True):
        update(identity, remove("never-there", 0))
    assert outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        update(identity, replace("theme", "dark"))
        dataset_delete(identity=identity, dataset_name="settings", modified_by="me")
    assert [m.data["syncCount"] for m in outbox] == [2, 3]


@pytest.mark.django_db
def test_a_platform_no_longer_configured_is_not_notified(
    push_pool: IdentityPool,
    outbox: list[PushMessage],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    identity = make_identity(push_pool)
    _subscribed(identity, "GCM", "fcm-token", "settings")
    sync_configuration_set(
        pool=push_pool, push_sync={"ApplicationArns": [APNS_APP], "RoleArn": ROLE}
    )

    with django_capture_on_commit_callbacks(execute=True):
        update(identity, replace("theme", "dark"))

    assert outbox == []


@pytest.fixture
def gateway(settings: Any) -> Iterator[Receiver]:
    """A push gateway of the operator's on loopback."""
    with webhook_receiver("/push") as hook:
        settings.COGNITOADMIN_PUSH_BACKEND = "sync.services.push.WebhookPushBackend"
        settings.COGNITOADMIN_PUSH_WEBHOOK_URL = hook.url
        settings.COGNITOADMIN_PUSH_WEBHOOK_SECRET = "pushsec"
        yield hook


@pytest.mark.django_db
def test_a_failing_gateway_loses_no_change_and_is_logged(
    push_pool: IdentityPool,
    gateway: Receiver,
    django_capture_on_commit_callbacks: Capture,
    caplog: pytest.LogCaptureFixture,
) -> None:
    identity = make_identity(push_pool)
    _subscribed(identity, "APNS", "ab" * 32, "settings")
    gateway.statuses = [503]

    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        update(identity, replace("theme", "dark"))

    assert len(gateway.requests) == 1
    assert Record.objects.get(key="theme").value == "dark"
    assert "HTTP 503" in caplog.text


# End to end: the device registers and subscribes with boto3, another device of the identity
# changes the dataset, and the gateway receives the signed notification.
identity_pool = data_ops.identity_pool
developer = data_ops.developer


@pytest.mark.django_db(transaction=True)
def test_boto3_a_subscribed_device_is_pushed_through_the_gateway(
    aws_url: str, identity_pool: IdentityPool, developer: Any, gateway: Receiver
) -> None:
    pool_id = identity_pool.identity_pool_id
    developer.set_identity_pool_configuration(
        IdentityPoolId=pool_id, PushSync={"ApplicationArns": [APNS_APP], "RoleArn": ROLE}
    )
    identity_id, sync = data_ops._device(aws_url, identity_pool)
    ids = {"IdentityPoolId": pool_id, "IdentityId": identity_id}
    device_id = sync.register_device(**ids, Platform="APNS", Token="ab" * 32)["DeviceId"]
    sync.subscribe_to_dataset(**ids, DatasetName="settings", DeviceId=device_id)

    token = sync.list_records(**ids, DatasetName="settings")["SyncSessionToken"]
    sync.update_records(
        **ids,
        DatasetName="settings",
        SyncSessionToken=token,
        RecordPatches=[{"Op": "replace", "Key": "theme", "Value": "dark", "SyncCount": 0}],
    )

    [(headers, body)] = gateway.requests
    assert json.loads(body) == {
        "deviceId": device_id,
        "platform": "APNS",
        "token": "ab" * 32,
        "applicationArn": APNS_APP,
        "data": {
            "source": "cognito-sync",
            "type": "push-sync",
            "identityPoolId": pool_id,
            "identityId": identity_id,
            "datasetName": "settings",
            "syncCount": 1,
        },
    }
    timestamp = headers["X-Cognitoadmin-Timestamp"]
    mac = hmac.new(b"pushsec", timestamp.encode() + b"." + body, hashlib.sha256)
    assert headers["X-Cognitoadmin-Signature"] == f"sha256={mac.hexdigest()}"
