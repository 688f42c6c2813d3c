"""The user pools' Celery tasks: each takes ids, and calls one service.

The services are imported inside the tasks: the services queue these tasks, so they import this
module.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.app.task import Task
from django.conf import settings

from cognitoadmin.webhooks import DeliveryFailure

logger = logging.getLogger(__name__)
# Tries of a log event whose sink was out of reach, after the first: 10, 20, 40 s by default.
LOG_EVENT_RETRIES = 3


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def delivery_send_task(self: Task[..., None], delivery_id: int) -> None:
    """Send one queued message; a transient failure is tried again with backoff (the record
    counts the attempts and fails for good after the last)."""
    from pools.services.delivery import delivery_send  # noqa: PLC0415

    # A worker's task id goes on the record, for the sweep to leave it to the retries; an eager
    # run's does not (nobody retries it, the sweep must find it).
    task_id = "" if self.request.is_eager else (self.request.id or "")
    if delivery_send(delivery_id=delivery_id, task_id=task_id) or self.request.is_eager:
        # Without a worker nobody waits to retry: the record stays queued for the sweep.
        return
    # After a transient failure: COGNITOADMIN_DELIVERY_RETRY_DELAY (10 s), then twice as long each
    # time: 10, 20, 40, 80 (`MAX_ATTEMPTS` 5).
    delay: int = settings.COGNITOADMIN_DELIVERY_RETRY_DELAY
    raise self.retry(countdown=delay * 2**self.request.retries)


@shared_task(bind=True, acks_late=True, max_retries=LOG_EVENT_RETRIES)
def log_event_deliver_task(self: Task[..., None], arn: str, event: dict[str, Any]) -> None:
    """Write one exported log event to where `arn` goes. Best effort, as Cognito's: a sink out of
    reach is tried again by a worker, then the event is dropped, and the drop logged; a failure
    never reaches the work that caused the event (in eager mode, the request itself)."""
    from pools.services.log_delivery import log_event_write  # noqa: PLC0415

    try:
        log_event_write(arn=arn, event=event)
    except DeliveryFailure as failure:
        if (
            failure.transient
            and not self.request.is_eager
            and self.request.retries < LOG_EVENT_RETRIES
        ):
            delay: int = settings.COGNITOADMIN_DELIVERY_RETRY_DELAY
            raise self.retry(countdown=delay * 2**self.request.retries) from None
        logger.warning(
            "A %s log event for %s is dropped: %s", event.get("eventSource"), arn, failure
        )


@shared_task(acks_late=True)
def deliveries_sweep_task() -> int:
    """Queue again the messages the broker never got (periodic)."""
    from pools.services.delivery import deliveries_sweep  # noqa: PLC0415

    return deliveries_sweep()


@shared_task(acks_late=True)
def expired_purge_task() -> dict[str, int]:
    """Delete expired sessions, codes and refresh tokens (periodic)."""
    from dataclasses import asdict  # noqa: PLC0415

    from pools.services.purge import expired_purge  # noqa: PLC0415

    return asdict(expired_purge())
