"""Cognito Sync's Celery tasks: each takes ids and primitives, and calls one service.

The services are imported inside the tasks: the services queue these tasks, so they import this
module.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.app.task import Task
from celery.contrib.django.task import DjangoTask

from cognitoadmin.webhooks import DeliveryFailure

logger = logging.getLogger(__name__)

STREAM_MAX_RETRIES = 5
STREAM_RETRY_DELAY = 10


# DjangoTask (Celery's default class under Django) named, so that its delay_on_commit is typed.
@shared_task(
    base=DjangoTask,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=STREAM_MAX_RETRIES,
)
def stream_publish_task(
    self: Task[..., None], stream_name: str, entries: list[dict[str, str]]
) -> None:
    """Add one dataset change to its pool's stream; Redis out of reach is tried again with
    backoff (10, 20, 40, 80, 160 s)."""
    from sync.services.streams import TRANSIENT_ERRORS, StreamError, stream_publish  # noqa: PLC0415

    try:
        stream_publish(stream_name=stream_name, entries=entries)
    except StreamError as exc:
        if self.request.is_eager:
            # Run in the request after its commit: failing would fail a change that is saved.
            # BulkPublish puts the dataset on the stream again.
            logger.error("Stream %s missed a change: %s", stream_name, exc)
            return
        if not isinstance(exc, TRANSIENT_ERRORS):
            raise
        raise self.retry(exc=exc, countdown=STREAM_RETRY_DELAY * 2**self.request.retries) from exc


@shared_task(base=DjangoTask, acks_late=True, reject_on_worker_lost=True)
def bulk_publish_task(identity_pool_id: str) -> str:
    """Publish all of an identity pool's datasets to its stream (BulkPublish's job)."""
    from sync.services.streams import bulk_publish_run  # noqa: PLC0415

    return bulk_publish_run(identity_pool_id=identity_pool_id)


@shared_task(
    base=DjangoTask,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=STREAM_MAX_RETRIES,
)
def push_sync_task(self: Task[..., None], device_pk: int, data: dict[str, object]) -> None:
    """Send one push sync notification; a transient failure is tried again with backoff
    (10, 20, 40, 80, 160 s)."""
    from sync.services.push import push_sync_send  # noqa: PLC0415

    try:
        push_sync_send(device_pk=device_pk, data=data)
    except DeliveryFailure as exc:
        if self.request.is_eager or not exc.transient:
            # Eager, it runs in the request after its commit: failing would fail a saved change.
            logger.error("Push sync notification to device %s failed: %s", device_pk, exc)
            return
        raise self.retry(exc=exc, countdown=STREAM_RETRY_DELAY * 2**self.request.retries) from exc
