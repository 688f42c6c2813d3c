from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from cognitoadmin.webhooks import DeliveryFailure
from pools.errors import InvalidParameterException
from pools.models import Delivery, DeliveryKind, DeliveryStatus, PoolUser, UserPool
from pools.services.delivery import (
    MAX_ATTEMPTS,
    STALE_AFTER,
    SWEEP_AFTER,
    Medium,
    deliveries_sweep,
    delivery_queue,
    delivery_send,
    destination_mask,
    invitation_mediums,
)
from pools.services.messages import Message, invitation_message
from pools.services.sms import (
    ConsoleSmsBackend,
    FileSmsBackend,
    LocmemSmsBackend,
    SmsMessage,
    WebhookSmsBackend,
    sms_backend_get,
)
from tests.builders import make_user, make_user_pool
from tests.conftest import Clock
from tests.webhooks import Receiver, webhook_receiver

pytestmark = pytest.mark.django_db

CODE_MESSAGE = Message(subject="Hello", text="Code 123456", html="<p>Code <b>123456</b></p>")


def _queue(
    user: PoolUser,
    capture: Any,
    *,
    medium: Medium = "EMAIL",
    message: Message = CODE_MESSAGE,
    execute: bool = True,
) -> dict[str, Any]:
    with capture(execute=execute):
        return delivery_queue(user=user, kind=DeliveryKind.SIGN_UP, medium=medium, message=message)


@pytest.mark.parametrize(
    ("medium", "destination", "masked"),
    [
        ("EMAIL", "abel@example.com", "a***@e***"),
        ("EMAIL", "jo@mail.example.co.uk", "j***@m***"),
        ("EMAIL", "root@localhost", "r***@l***"),
        ("SMS", "+14325551212", "+*******1212"),
        ("SMS", "+15551234", "+****1234"),
    ],
)
def test_destinations_are_masked_as_cognito_masks_them(
    medium: Medium, destination: str, masked: str
) -> None:
    assert destination_mask(medium=medium, destination=destination) == masked


# --- the outbox -----------------------------------------------------------------------------------


def test_a_message_is_a_record_sent_once_its_transaction_commits(
    user: PoolUser, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        details = delivery_queue(
            user=user, kind=DeliveryKind.SIGN_UP, medium="EMAIL", message=CODE_MESSAGE
        )
    assert details == {
        "Destination": "a***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.destination) == (
        DeliveryStatus.QUEUED,
        0,
        "a***@e***",
    )
    assert mail.outbox == []
    # The record holds the message sealed: neither the code nor the address shows in it.
    assert "123456" not in delivery.message_sealed
    assert "alice" not in delivery.message_sealed
    for callback in callbacks:
        callback()
    [message] = mail.outbox
    assert (message.to, message.subject, message.body) == (
        ["alice@example.com"],
        "Hello",
        "Code 123456",
    )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.message_sealed) == (
        DeliveryStatus.SENT,
        1,
        "",
    )
    assert delivery.sent_at is not None
    assert (delivery.user_id, delivery.pool_id, delivery.kind, delivery.channel) == (
        user.pk,
        user.pool_id,
        DeliveryKind.SIGN_UP,
        "EMAIL",
    )


def test_a_transaction_that_fails_leaves_no_message(user: PoolUser) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        delivery_queue(user=user, kind=DeliveryKind.SIGN_UP, medium="EMAIL", message=CODE_MESSAGE)
        raise RuntimeError
    assert not Delivery.objects.exists()
    assert mail.outbox == []


def test_a_sent_record_is_never_sent_again(
    user: PoolUser, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    _queue(user, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    assert delivery_send(delivery_id=delivery.pk) is True
    assert deliveries_sweep(now=timezone.now() + STALE_AFTER * 2) == 0
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_an_unknown_record_is_done_with(db: None) -> None:
    assert delivery_send(delivery_id=987654) is True


def test_email_has_an_html_part_and_a_plain_text_part(
    user: PoolUser, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    _queue(user, django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert isinstance(message, EmailMultiAlternatives)
    assert message.body == "Code 123456"
    assert message.alternatives == [("<p>Code <b>123456</b></p>", "text/html")]


def test_an_invitation_escapes_what_the_administrator_typed_in_its_html(
    pool: UserPool, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    user = make_user(pool=pool, username="<b>dora", email="d@example.com")
    message = invitation_message(
        user=user, channel="EMAIL", username="<b>dora", temporary_password="a&<Pass1"
    )
    assert message.html == (
        "Your username is &lt;b&gt;dora and temporary password is a&amp;&lt;Pass1."
    )
    assert message.text == "Your username is <b>dora and temporary password is a&<Pass1."
    assert message.subject == "Your temporary password"


def test_email_uses_the_pools_sender_and_reply_to(
    settings: Settings, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    settings.DEFAULT_FROM_EMAIL = "noreply@cognitoadmin.test"
    plain = make_user(pool=make_user_pool(name="plain"), email="p@example.com")
    pool = make_user_pool(
        EmailConfiguration={
            "EmailSendingAccount": "DEVELOPER",
            "SourceArn": "arn:aws:ses:us-east-1:000000000000:identity/example.com",
            "From": "Team <team@example.com>",
            "ReplyToEmailAddress": "help@example.com",
        }
    )
    user = make_user(pool=pool, email="jo@example.com")
    _queue(plain, django_capture_on_commit_callbacks)
    _queue(user, django_capture_on_commit_callbacks)
    [default, configured] = mail.outbox
    assert (default.from_email, default.reply_to) == ("noreply@cognitoadmin.test", [])
    assert (configured.from_email, configured.reply_to) == (
        "Team <team@example.com>",
        ["help@example.com"],
    )


def test_sms_goes_through_the_configured_backend(
    pool: UserPool,
    sms_outbox: list[SmsMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    user = make_user(pool=pool, phone_number="+14325551212")
    details = _queue(
        user,
        django_capture_on_commit_callbacks,
        medium="SMS",
        message=Message(subject="", text="Code 123456"),
    )
    assert details == {
        "Destination": "+*******1212",
        "DeliveryMedium": "SMS",
        "AttributeName": "phone_number",
    }
    delivery = Delivery.objects.get()
    assert sms_outbox == [
        SmsMessage(destination="+14325551212", body="Code 123456", delivery_id=delivery.pk)
    ]
    assert mail.outbox == []


def test_a_medium_without_an_address_queues_nothing(
    user: PoolUser,
    sms_outbox: list[SmsMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with pytest.raises(InvalidParameterException, match="no phone_number"):
        _queue(user, django_capture_on_commit_callbacks, medium="SMS")
    assert sms_outbox == []
    assert not Delivery.objects.exists()


# --- failures and the sweep -----------------------------------------------------------------------


class _FailingSmsBackend(LocmemSmsBackend):
    transient = True

    def send(self, message: SmsMessage) -> None:
        raise DeliveryFailure("The provider is down.", transient=self.transient)


@pytest.fixture
def failing_sms(settings: Settings, sms_outbox: list[SmsMessage]) -> type[_FailingSmsBackend]:
    settings.COGNITOADMIN_SMS_BACKEND = f"{__name__}._FailingSmsBackend"
    _FailingSmsBackend.transient = True
    return _FailingSmsBackend


def _sms_user(pool: UserPool) -> PoolUser:
    return make_user(pool=pool, phone_number="+14325551212")


def test_a_transient_failure_keeps_the_message_queued_until_the_last_attempt(
    pool: UserPool,
    failing_sms: type[_FailingSmsBackend],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    # Eager: the task's one attempt fails and nobody retries; the record waits for the sweep.
    _queue(_sms_user(pool), django_capture_on_commit_callbacks, medium="SMS")
    delivery = Delivery.objects.get()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.QUEUED, 1)
    assert delivery.last_error == "The provider is down."
    assert delivery.message_sealed
    for attempt in range(2, MAX_ATTEMPTS):
        assert delivery_send(delivery_id=delivery.pk) is False
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.QUEUED, attempt)
    assert delivery_send(delivery_id=delivery.pk) is True
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, MAX_ATTEMPTS)
    assert delivery.message_sealed == ""
    assert delivery_send(delivery_id=delivery.pk) is True
    delivery.refresh_from_db()
    assert delivery.attempts == MAX_ATTEMPTS


def test_a_permanent_failure_fails_at_once(
    pool: UserPool,
    failing_sms: type[_FailingSmsBackend],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    failing_sms.transient = False
    _queue(_sms_user(pool), django_capture_on_commit_callbacks, medium="SMS")
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.message_sealed) == (
        DeliveryStatus.FAILED,
        1,
        "",
    )


def test_the_sweep_sends_what_the_queue_never_got(
    pool: UserPool,
    settings: Settings,
    sms_outbox: list[SmsMessage],
    failing_sms: type[_FailingSmsBackend],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    _queue(_sms_user(pool), django_capture_on_commit_callbacks, medium="SMS")
    delivery = Delivery.objects.get()
    settings.COGNITOADMIN_SMS_BACKEND = "pools.services.sms.LocmemSmsBackend"
    # Too young: a dispatch may still be on its way.
    assert deliveries_sweep() == 0
    assert sms_outbox == []
    assert deliveries_sweep(now=timezone.now() + SWEEP_AFTER + dt.timedelta(seconds=1)) == 1
    assert [m.body for m in sms_outbox] == ["Code 123456"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    assert deliveries_sweep(now=timezone.now() + STALE_AFTER * 2) == 0


def test_the_sweep_leaves_a_record_the_queue_holds_until_it_is_stale(
    pool: UserPool,
    sms_outbox: list[SmsMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    _queue(_sms_user(pool), django_capture_on_commit_callbacks, medium="SMS", execute=False)
    Delivery.objects.update(task_id="3f0c4b1e-queued-in-the-broker")
    later = timezone.now() + SWEEP_AFTER * 2
    assert deliveries_sweep(now=later) == 0
    assert deliveries_sweep(now=timezone.now() + STALE_AFTER + dt.timedelta(seconds=1)) == 1
    assert len(sms_outbox) == 1


# --- SMTP -----------------------------------------------------------------------------------------


@dataclass
class _Sink:
    """Handler of a real SMTP server: records messages, or answers RCPT with `refuse`."""

    refuse: str = ""
    received: list[Envelope] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append(envelope)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def smtp(settings: Settings) -> Iterator[_Sink]:
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield sink
    controller.stop()


def test_email_reaches_a_real_smtp_server_with_both_parts(
    user: PoolUser, smtp: _Sink, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    _queue(user, django_capture_on_commit_callbacks)
    [envelope] = smtp.received
    assert envelope.rcpt_tos == ["alice@example.com"]
    content = envelope.content.decode() if isinstance(envelope.content, bytes) else ""
    assert "multipart/alternative" in content
    assert "Code 123456" in content
    assert "<p>Code <b>123456</b></p>" in content
    assert Delivery.objects.get().status == DeliveryStatus.SENT


@pytest.mark.parametrize(
    ("answer", "status"),
    [("451 4.7.1 Greylisted, try later", "QUEUED"), ("550 5.1.1 No such user", "FAILED")],
)
def test_the_mail_servers_answer_says_whether_to_try_again(
    user: PoolUser,
    smtp: _Sink,
    answer: str,
    status: str,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    smtp.refuse = answer
    _queue(user, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (status, 1)
    assert answer[:3] in delivery.last_error
    assert smtp.received == []


def test_a_mail_server_out_of_reach_is_tried_again(
    user: PoolUser,
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _free_port()
    settings.EMAIL_TIMEOUT = 5
    _queue(user, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.QUEUED, 1)
    assert "could not be reached" in delivery.last_error


# --- SMS backends ---------------------------------------------------------------------------------


def test_console_backend_is_the_default_and_prints_to_stdout(
    pool: UserPool,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    assert isinstance(sms_backend_get(), ConsoleSmsBackend)
    user = _sms_user(pool)
    with caplog.at_level(logging.DEBUG):
        _queue(
            user,
            django_capture_on_commit_callbacks,
            medium="SMS",
            message=Message(subject="", text="Your code is 654321"),
        )
    out = capsys.readouterr().out
    assert "SMS to: +14325551212" in out
    assert "Your code is 654321" in out
    assert "654321" not in caplog.text


def test_the_backend_class_comes_from_the_setting(settings: Settings) -> None:
    settings.COGNITOADMIN_SMS_BACKEND = "pools.services.sms.LocmemSmsBackend"
    assert isinstance(sms_backend_get(), LocmemSmsBackend)


def test_the_file_backend_appends_a_json_line_per_message(
    settings: Settings, tmp_path: Path
) -> None:
    settings.COGNITOADMIN_SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    FileSmsBackend().send(SmsMessage(destination="+14325551212", body="Code 1", delivery_id=1))
    FileSmsBackend().send(SmsMessage(destination="+14325551213", body="Code 2", delivery_id=2))
    lines = (tmp_path / "sms.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"destination": "+14325551212", "body": "Code 1", "delivery_id": 1},
        {"destination": "+14325551213", "body": "Code 2", "delivery_id": 2},
    ]


def test_the_file_backend_reports_an_unwritable_file_as_transient(
    settings: Settings, tmp_path: Path
) -> None:
    settings.COGNITOADMIN_SMS_FILE_PATH = str(tmp_path / "missing" / "sms.jsonl")
    with pytest.raises(DeliveryFailure) as failure:
        FileSmsBackend().send(SmsMessage(destination="+1", body="b"))
    assert failure.value.transient


@pytest.fixture
def webhook(settings: Settings) -> Iterator[Receiver]:
    with webhook_receiver("/sms") as hook:
        settings.COGNITOADMIN_SMS_BACKEND = "pools.services.sms.WebhookSmsBackend"
        settings.COGNITOADMIN_SMS_WEBHOOK_URL = hook.url
        settings.COGNITOADMIN_SMS_WEBHOOK_SECRET = "whsec-test"
        settings.COGNITOADMIN_SMS_WEBHOOK_TIMEOUT = 5
        yield hook


def test_the_webhook_backend_posts_signed_json(webhook: Receiver) -> None:
    WebhookSmsBackend().send(SmsMessage(destination="+14325551212", body="Code 1", delivery_id=7))
    [(headers, body)] = webhook.requests
    assert json.loads(body) == {"id": 7, "to": "+14325551212", "body": "Code 1"}
    assert headers["Content-Type"] == "application/json"
    timestamp = headers["X-Cognitoadmin-Timestamp"]
    expected = hmac.new(b"whsec-test", timestamp.encode() + b"." + body, hashlib.sha256)
    assert headers["X-Cognitoadmin-Signature"] == f"sha256={expected.hexdigest()}"


@pytest.mark.parametrize(
    ("status", "transient"), [(500, True), (503, True), (429, True), (400, False)]
)
def test_the_webhooks_status_says_whether_to_try_again(
    webhook: Receiver, status: int, transient: bool
) -> None:
    webhook.statuses = [status]
    with pytest.raises(DeliveryFailure, match=f"HTTP {status}") as failure:
        WebhookSmsBackend().send(SmsMessage(destination="+1", body="b"))
    assert failure.value.transient is transient


def test_a_webhook_out_of_reach_is_transient(settings: Settings) -> None:
    settings.COGNITOADMIN_SMS_WEBHOOK_URL = f"http://127.0.0.1:{_free_port()}/sms"
    with pytest.raises(DeliveryFailure, match="could not be reached") as failure:
        WebhookSmsBackend().send(SmsMessage(destination="+1", body="b"))
    assert failure.value.transient


def test_a_webhook_answering_500_then_200_delivers_on_the_next_attempt(
    pool: UserPool,
    webhook: Receiver,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    webhook.statuses = [500]
    _queue(_sms_user(pool), django_capture_on_commit_callbacks, medium="SMS")
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_error) == (
        DeliveryStatus.QUEUED,
        "The webhook answered HTTP 500.",
    )
    assert delivery_send(delivery_id=delivery.pk) is True
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        DeliveryStatus.SENT,
        2,
        "",
    )
    assert [json.loads(body)["body"] for _headers, body in webhook.requests] == ["Code 123456"] * 2


# --- invitations ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "desired", "chosen"),
    [
        ({"phone_number": "+15551234567", "email": "a@example.com"}, ["SMS"], ["SMS"]),
        ({"phone_number": "+15551234567", "email": "a@example.com"}, ["EMAIL"], ["EMAIL"]),
        (
            {"phone_number": "+15551234567", "email": "a@example.com"},
            ["EMAIL", "SMS"],
            ["SMS", "EMAIL"],
        ),
        ({"email": "a@example.com"}, ["SMS"], ["EMAIL"]),
        ({"phone_number": "+15551234567"}, ["EMAIL"], ["SMS"]),
        ({"email": "a@example.com"}, ["EMAIL", "SMS"], ["EMAIL"]),
        ({}, ["SMS"], []),
    ],
)
def test_invitation_mediums_fall_back_only_when_no_desired_one_is_usable(
    pool: UserPool, attributes: dict[str, str], desired: list[Medium], chosen: list[Medium]
) -> None:
    user = make_user(pool=pool, **attributes)
    assert invitation_mediums(user=user, desired=desired) == chosen


def test_the_sweep_command_says_what_it_queued(
    pool: UserPool,
    sms_outbox: list[SmsMessage],
    failing_sms: type[_FailingSmsBackend],
    clock: Clock,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    _queue(_sms_user(pool), django_capture_on_commit_callbacks, medium="SMS")
    clock.advance(minutes=2)
    out = StringIO()
    call_command("sweep", stdout=out)
    assert out.getvalue().strip() == "Queued 1 waiting message(s) again."
    assert Delivery.objects.get().attempts == 2
