"""Messages to pool users, through an outbox: no request waits on a mail or SMS provider.

A message is a `Delivery` row written in the transaction that made the code or user it carries
(`delivery_queue`). Once that transaction commits, the row's id goes to the task queue; a worker
sends it (`delivery_send`): email through Django's mail backend (`EMAIL_URL`), SMS through
`COGNITOADMIN_SMS_BACKEND`. A transient failure (the server down, a timeout) is tried again with
backoff, up to MAX_ATTEMPTS; a permanent one (an address refused) fails the row at once.

Nothing is lost: a request whose commit cannot reach the broker still succeeds, and the periodic
sweep (`deliveries_sweep`) hands the broker what it never got. Nothing is sent twice: the row is
locked while it is sent and a row no longer queued is never sent again, so a task delivered twice
(a redelivery after a worker died, a sweep) sends once. The one window left is a worker killed
between the provider's acceptance and the row's update. (SQLite has no row locks: with it, run a
single worker.)

The message itself (address, subject, bodies, with the code or temporary password in them) is
kept in the row sealed with the master key, never in the broker, and dropped once the row is sent
or failed.

Without a broker (`CELERY_BROKER_URL` empty) the task runs in the web process at commit; a
failure there leaves the row queued for the sweep (`manage.py sweep`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import smtplib
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict
from functools import partial
from typing import Any, Literal

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from cognitoadmin.crypto import seal, unseal_str
from cognitoadmin.webhooks import DeliveryFailure
from pools.errors import InvalidParameterException
from pools.models import Delivery, DeliveryKind, DeliveryStatus, PoolUser
from pools.services.log_delivery import notification_failure_log
from pools.services.messages import Message, invitation_message
from pools.services.sms import SmsMessage, sms_backend_get
from pools.tasks import delivery_send_task

logger = logging.getLogger(__name__)

Medium = Literal["EMAIL", "SMS"]
DELIVERY_MEDIUMS: tuple[Medium, ...] = ("SMS", "EMAIL")
ATTRIBUTE_FOR_MEDIUM: dict[Medium, str] = {"EMAIL": "email", "SMS": "phone_number"}

MAX_ATTEMPTS = 5
SEAL_PURPOSE = "delivery_message"
# A queued row that the broker never got (no task id) waits this long for the sweep; one that it
# did get, but no worker finished, this long (retries with backoff fit well within it).
SWEEP_AFTER = dt.timedelta(minutes=1)
STALE_AFTER = dt.timedelta(minutes=30)
SWEEP_BATCH = 500
_ERROR_MAX_LENGTH = 1000


def destination_mask(*, medium: Medium, destination: str) -> str:
    """Cognito's masked Destination: `a***@e***` (the domain's ending hidden too, as Cognito
    sends it today), `+*******1212`."""
    if medium == "SMS":
        return destination[:1] + "*" * max(len(destination) - 5, 0) + destination[-4:]
    local, _, domain = destination.rpartition("@")
    return f"{local[:1]}***@{domain[:1]}***"


def code_delivery_details(*, medium: Medium, destination: str) -> dict[str, Any]:
    """Cognito's CodeDeliveryDetails for a message to `destination` by `medium`."""
    return {
        "Destination": destination_mask(medium=medium, destination=destination),
        "DeliveryMedium": medium,
        "AttributeName": ATTRIBUTE_FOR_MEDIUM[medium],
    }


# --- queueing -----------------------------------------------------------------------------------


def delivery_queue(
    *, user: PoolUser, kind: DeliveryKind, medium: Medium, message: Message
) -> dict[str, Any]:
    """Queue `message` to the user's address for `medium`, to be sent once the transaction
    commits (a request that fails sends nothing); returns its CodeDeliveryDetails."""
    attribute = ATTRIBUTE_FOR_MEDIUM[medium]
    address: str = getattr(user, attribute)
    if not address:
        raise InvalidParameterException(f"User has no {attribute} to deliver a message to.")
    delivery = Delivery.objects.create(
        pool_id=user.pool_id,
        user=user,
        kind=kind,
        channel=medium,
        destination=destination_mask(medium=medium, destination=address),
        message_sealed=seal(json.dumps({"to": address, **asdict(message)}), purpose=SEAL_PURPOSE),
    )
    # Robust: the request has succeeded by then, whatever the broker does.
    transaction.on_commit(partial(delivery_dispatch, delivery_id=delivery.pk), robust=True)
    return code_delivery_details(medium=medium, destination=address)


def delivery_dispatch(*, delivery_id: int) -> None:
    """Hand a queued row to the task queue. A broker out of reach leaves it for the sweep."""
    try:
        result = delivery_send_task.delay(delivery_id)
    except (OperationalError, OSError) as exc:
        logger.warning("Delivery %s stays queued, the broker is out of reach: %s", delivery_id, exc)
        return
    if delivery_send_task.app.conf.task_always_eager:
        return  # sent already, or left queued without a task for the sweep
    queued = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.QUEUED)
    recorded = {"task_id": result.id or "", "updated_at": timezone.now()}
    if not connection.features.has_select_for_update_skip_locked:
        queued.update(**recorded)
        return
    # A worker may be sending the row already, holding its lock (and recording the task id
    # itself): waiting for it would keep the request that queued the message waiting on the mail
    # server.
    with transaction.atomic():
        free = list(queued.select_for_update(skip_locked=True).values_list("pk", flat=True))
        Delivery.objects.filter(pk__in=free).update(**recorded)


def invitation_mediums(*, user: PoolUser, desired: Sequence[Medium]) -> list[Medium]:
    """The mediums an invitation goes out by: each desired one the user has an address for.

    When the user has an address for none of them, Cognito uses the other medium if it can, so a
    user created with only an email still receives the (default: SMS) invitation.
    """
    usable = [m for m in DELIVERY_MEDIUMS if getattr(user, ATTRIBUTE_FOR_MEDIUM[m])]
    chosen = [m for m in usable if m in desired]
    return chosen or usable[:1]


def invitation_queue(
    *, user: PoolUser, username: str, temporary_password: str, desired: Sequence[Medium]
) -> list[dict[str, Any]]:
    """AdminCreateUser's invitation (and its RESEND), by each medium it goes out by."""
    return [
        delivery_queue(
            user=user,
            kind=DeliveryKind.INVITATION,
            medium=medium,
            message=invitation_message(
                user=user, channel=medium, username=username, temporary_password=temporary_password
            ),
        )
        for medium in invitation_mediums(user=user, desired=desired)
    ]


# --- sending ------------------------------------------------------------------------------------


def _email_send(*, delivery: Delivery, message: dict[str, Any]) -> None:
    configuration: dict[str, Any] = delivery.pool.email_configuration
    reply_to = configuration.get("ReplyToEmailAddress")
    email = EmailMultiAlternatives(
        subject=message["subject"],
        body=message["text"],
        from_email=configuration.get("From") or settings.DEFAULT_FROM_EMAIL,
        to=[message["to"]],
        reply_to=[reply_to] if reply_to else None,
    )
    if message.get("html"):
        email.attach_alternative(message["html"], "text/html")
    try:
        email.send()
    except smtplib.SMTPResponseException as exc:
        # 4xx: try again later (greylisting, a full queue); 5xx: the server refuses for good.
        raise DeliveryFailure(
            f"The mail server answered {exc.smtp_code}: {exc.smtp_error!r}",
            transient=exc.smtp_code < 500,
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _reply in exc.recipients.values()]
        raise DeliveryFailure(
            f"The mail server refused the address ({', '.join(map(str, codes))}).",
            transient=all(code < 500 for code in codes),
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailure(
            f"The mail server could not be reached: {exc}", transient=True
        ) from None


def _sms_send(*, delivery: Delivery, message: dict[str, Any]) -> None:
    sms_backend_get().send(
        SmsMessage(destination=message["to"], body=message["text"], delivery_id=delivery.pk)
    )


def delivery_send(*, delivery_id: int, task_id: str = "") -> bool:
    """Send one queued row; False when a transient failure leaves it queued for a later attempt.
    `task_id`, the task sending it, is kept on the row: the sweep leaves the row to its retries.

    The row, and only the row (not its pool, which requests write), is locked while it is sent,
    so a second task for it waits and then finds it done. SQLite has no row locks, and there a
    transaction held across the send would hold up every write of the web process until the mail
    server answers (a commit waits for the read lock), then fail the row's own update (the lock
    cannot be upgraded), leaving a sent message queued for the sweep to send again: with SQLite the
    row is read, sent and recorded without one, and a single worker must send.
    """
    locking = connection.features.has_select_for_update
    guard: AbstractContextManager[object] = transaction.atomic() if locking else nullcontext()
    with guard:
        rows = Delivery.objects.select_related("pool").filter(pk=delivery_id)
        if locking:
            of = ("self",) if connection.features.has_select_for_update_of else ()
            rows = rows.select_for_update(of=of)
        delivery = rows.first()
        if delivery is None or delivery.status != DeliveryStatus.QUEUED:
            return True
        message: dict[str, Any] = json.loads(
            unseal_str(delivery.message_sealed, purpose=SEAL_PURPOSE)
        )
        delivery.attempts += 1
        fields = ["attempts", "status", "last_error", "message_sealed", "sent_at", "updated_at"]
        if task_id:
            delivery.task_id = task_id
            fields.append("task_id")
        try:
            if delivery.channel == "EMAIL":
                _email_send(delivery=delivery, message=message)
            else:
                _sms_send(delivery=delivery, message=message)
        except DeliveryFailure as failure:
            delivery.last_error = str(failure)[:_ERROR_MAX_LENGTH]
            if failure.transient and delivery.attempts < MAX_ATTEMPTS:
                delivery.save(update_fields=fields)
                return False
            delivery.status = DeliveryStatus.FAILED
        else:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = timezone.now()
            delivery.last_error = ""
        delivery.message_sealed = ""
        delivery.save(update_fields=fields)
        if delivery.status == DeliveryStatus.FAILED:
            notification_failure_log(delivery=delivery)
        return True


def deliveries_sweep(*, now: dt.datetime | None = None) -> int:
    """Hand the task queue again the queued rows it never got (no task id after SWEEP_AFTER) or
    that no worker finished (untouched for STALE_AFTER); returns how many."""
    now = now or timezone.now()
    stuck = list(
        Delivery.objects.filter(status=DeliveryStatus.QUEUED)
        .filter(
            Q(task_id="", updated_at__lte=now - SWEEP_AFTER) | Q(updated_at__lte=now - STALE_AFTER)
        )
        .order_by("updated_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    dispatched = 0
    for delivery_id in stuck:
        # Touched first, so that the next sweep leaves it alone while this dispatch is young; one
        # sent since the scan is left alone.
        touched = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.QUEUED).update(
            task_id="", updated_at=now
        )
        if touched:
            delivery_dispatch(delivery_id=delivery_id)
            dispatched += 1
    return dispatched
