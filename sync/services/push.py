"""Push sync: a silent notification to every device subscribed to a dataset that changed.

Cognito publishes through the SNS platform application (APNs, FCM, ADM) that the pool's
PushSync names for the device's platform. Nothing here reaches those services, so the
notification goes to the backend class COGNITOADMIN_PUSH_BACKEND names: `ConsolePushBackend`
prints it, `WebhookPushBackend` POSTs it to a gateway of the operator's that holds the platform
credentials, and a subclass of `BasePushBackend` may send it any other way.

The notification's `data` is what Cognito's push carries and the Mobile SDKs read (`source`
`cognito-sync`, `type` `push-sync`, identityPoolId, identityId, datasetName, syncCount). Each is
sent once the change commits, by a Celery task per device, tried again with backoff when the
backend fails for a transient reason; a device whose platform application is gone from the
configuration by then gets nothing.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar, TextIO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.module_loading import import_string

from cognitoadmin.webhooks import webhook_post
from sync.models import Dataset, DatasetSubscription, SyncDevice
from sync.selectors.configuration import push_application_arn, sync_configuration_get
from sync.tasks import push_sync_task

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PushMessage:
    device_id: str
    platform: str
    token: str
    application_arn: str
    data: dict[str, Any]


class BasePushBackend:
    """Subclass and name the class in COGNITOADMIN_PUSH_BACKEND to push another way. `send`
    raises cognitoadmin.webhooks.DeliveryFailure when the message is not handed over."""

    def send(self, message: PushMessage) -> None:
        raise NotImplementedError


class ConsolePushBackend(BasePushBackend):
    """Writes each notification to a stream (stdout by default), for development."""

    _lock = threading.Lock()

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def send(self, message: PushMessage) -> None:
        with self._lock:
            self.stream.write(f"Push to {message.platform} device {message.device_id}\n")
            self.stream.write(f"{json.dumps(message.data)}\n{'-' * 79}\n")
            self.stream.flush()


class WebhookPushBackend(BasePushBackend):
    """POSTs `{"deviceId", "platform", "token", "applicationArn", "data"}` to
    COGNITOADMIN_PUSH_WEBHOOK_URL, signed with COGNITOADMIN_PUSH_WEBHOOK_SECRET when it is set."""

    def send(self, message: PushMessage) -> None:
        url: str = settings.COGNITOADMIN_PUSH_WEBHOOK_URL
        if not url:
            raise ImproperlyConfigured("COGNITOADMIN_PUSH_WEBHOOK_URL is not set.")
        body = {
            "deviceId": message.device_id,
            "platform": message.platform,
            "token": message.token,
            "applicationArn": message.application_arn,
            "data": message.data,
        }
        webhook_post(
            url,
            json.dumps(body, ensure_ascii=False).encode("utf-8"),
            secret=settings.COGNITOADMIN_PUSH_WEBHOOK_SECRET,
            timeout=settings.COGNITOADMIN_PUSH_WEBHOOK_TIMEOUT,
        )


class LocmemPushBackend(BasePushBackend):
    """Keeps notifications in `LocmemPushBackend.outbox`, for tests."""

    outbox: ClassVar[list[PushMessage]] = []

    def send(self, message: PushMessage) -> None:
        self.outbox.append(message)


def push_backend_get() -> BasePushBackend:
    backend_class: type[BasePushBackend] = import_string(settings.COGNITOADMIN_PUSH_BACKEND)
    return backend_class()


def dataset_change_push(*, dataset: Dataset) -> None:
    """Queue a notification of `dataset`'s change, as it stands now, for each device subscribed
    to it; sent once the change commits."""
    device_pks = list(
        DatasetSubscription.objects.filter(
            device__identity_id=dataset.identity_id, dataset_name=dataset.name
        ).values_list("device_id", flat=True)
    )
    if not device_pks:
        return
    identity = dataset.identity
    data = {
        "source": "cognito-sync",
        "type": "push-sync",
        "identityPoolId": identity.pool.identity_pool_id,
        "identityId": identity.identity_id,
        "datasetName": dataset.name,
        "syncCount": dataset.sync_count,
    }
    for device_pk in device_pks:
        # Robust: a broker out of reach must not fail a change that is committed.
        transaction.on_commit(partial(push_sync_task.delay, device_pk, data), robust=True)


def push_sync_send(*, device_pk: int, data: dict[str, Any]) -> None:
    """Send one notification to the device, through its platform's application. Raises the
    backend's DeliveryFailure: the task tries the transient ones again."""
    device = SyncDevice.objects.select_related("identity__pool").filter(pk=device_pk).first()
    if device is None:
        return  # the device was deleted (with its identity) since the change
    configuration = sync_configuration_get(pool=device.identity.pool)
    arn = push_application_arn(configuration, device.platform)
    if arn is None:
        logger.info("Push sync has no %s application any more; not sent.", device.platform)
        return
    message = PushMessage(
        device_id=device.device_id,
        platform=device.platform,
        token=device.token,
        application_arn=arn,
        data=data,
    )
    push_backend_get().send(message)
