"""The user pools' Celery tasks: each takes ids, and calls one service.

The services are imported inside the tasks: the services queue these tasks, so they import this
module.
"""

from __future__ import annotations

from celery import shared_task
from celery.app.task import Task
from django.conf import settings


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
