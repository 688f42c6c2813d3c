"""Text messages to pool users, through the backend class named by `COGNITOADMIN_SMS_BACKEND`.

A backend's `send` returns when the message is handed over and raises `DeliveryFailure` when it is
not: `transient` for what a later attempt may overcome (a provider down, a timeout, HTTP 5xx or
429), not for what it cannot (a refused number, HTTP 4xx). An SNS or Twilio adapter is a subclass
of `BaseSmsBackend` calling its provider. No backend logs a message: messages carry codes and
temporary passwords.
"""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar, TextIO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from cognitoadmin.webhooks import DeliveryFailure, webhook_post


@dataclass(frozen=True)
class SmsMessage:
    destination: str
    body: str
    # The delivery record's id: a provider that deduplicates can use it as the idempotency key.
    delivery_id: int | None = None


class BaseSmsBackend:
    """Subclass and name the class in COGNITOADMIN_SMS_BACKEND to deliver SMS another way."""

    def send(self, message: SmsMessage) -> None:
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Writes each message to a stream (stdout by default), for development."""

    _lock = threading.Lock()

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def send(self, message: SmsMessage) -> None:
        with self._lock:
            self.stream.write(f"SMS to: {message.destination}\n{message.body}\n{'-' * 79}\n")
            self.stream.flush()


class FileSmsBackend(BaseSmsBackend):
    """Appends each message, as one JSON object a line, to COGNITOADMIN_SMS_FILE_PATH."""

    _lock = threading.Lock()

    def send(self, message: SmsMessage) -> None:
        path = Path(settings.COGNITOADMIN_SMS_FILE_PATH)
        line = json.dumps(asdict(message)) + "\n"
        try:
            with self._lock, path.open("a", encoding="utf-8") as stream:
                stream.write(line)
        except OSError as exc:
            raise DeliveryFailure(
                f"Cannot write to {path}: {exc.strerror}", transient=True
            ) from None


class WebhookSmsBackend(BaseSmsBackend):
    """POSTs each message as JSON to COGNITOADMIN_SMS_WEBHOOK_URL, for a service of yours that
    talks to the SMS provider.

    The body is `{"id", "to", "body"}`, signed with COGNITOADMIN_SMS_WEBHOOK_SECRET when it is
    set (cognitoadmin.webhooks says how). Any 2xx is delivered; 429 and 5xx, a timeout or no
    connection are transient.
    """

    def send(self, message: SmsMessage) -> None:
        url: str = settings.COGNITOADMIN_SMS_WEBHOOK_URL
        if not url:
            raise ImproperlyConfigured("COGNITOADMIN_SMS_WEBHOOK_URL is not set.")
        body = json.dumps(
            {"id": message.delivery_id, "to": message.destination, "body": message.body}
        ).encode("utf-8")
        webhook_post(
            url,
            body,
            secret=settings.COGNITOADMIN_SMS_WEBHOOK_SECRET,
            timeout=settings.COGNITOADMIN_SMS_WEBHOOK_TIMEOUT,
        )


class LocmemSmsBackend(BaseSmsBackend):
    """Keeps messages in `LocmemSmsBackend.outbox`, for tests (like Django's locmem email)."""

    outbox: ClassVar[list[SmsMessage]] = []

    def send(self, message: SmsMessage) -> None:
        self.outbox.append(message)


def sms_backend_get() -> BaseSmsBackend:
    backend_class: type[BaseSmsBackend] = import_string(settings.COGNITOADMIN_SMS_BACKEND)
    return backend_class()
