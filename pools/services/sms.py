"""Text messages to pool users, through the backend class named by `COGNITOADMIN_SMS_BACKEND`.

A backend's `send` returns when the message is handed over and raises `DeliveryFailure` when it is
not: `transient` for what a later attempt may overcome (a provider down, a timeout, HTTP 5xx or
429), not for what it cannot (a refused number, HTTP 4xx). An SNS or Twilio adapter is a subclass
of `BaseSmsBackend` calling its provider. No backend logs a message: messages carry codes and
temporary passwords.
"""

from __future__ import annotations

import hmac
import http.client
import json
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar, TextIO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

SIGNATURE_HEADER = "X-Cognitoadmin-Signature"
TIMESTAMP_HEADER = "X-Cognitoadmin-Timestamp"


class DeliveryFailure(Exception):
    """A message not handed over; `transient` says whether trying again may succeed."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.transient = transient


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

    The body is `{"id", "to", "body"}`. With COGNITOADMIN_SMS_WEBHOOK_SECRET the request carries
    `X-Cognitoadmin-Timestamp` (Unix seconds) and `X-Cognitoadmin-Signature: sha256=<hex>`, the
    HMAC-SHA256 of `<timestamp>.<body>` under the secret, so the receiver can tell the message is
    ours and fresh. Any 2xx is delivered; 429 and 5xx, a timeout or no connection are transient.
    """

    def send(self, message: SmsMessage) -> None:
        url: str = settings.COGNITOADMIN_SMS_WEBHOOK_URL
        if not url:
            raise ImproperlyConfigured("COGNITOADMIN_SMS_WEBHOOK_URL is not set.")
        body = json.dumps(
            {"id": message.delivery_id, "to": message.destination, "body": message.body}
        ).encode("utf-8")
        headers = {"Content-Type": "application/json", "User-Agent": "cognitoadmin"}
        secret: str = settings.COGNITOADMIN_SMS_WEBHOOK_SECRET
        if secret:
            timestamp = str(int(time.time()))
            mac = hmac.new(secret.encode("utf-8"), timestamp.encode() + b"." + body, "sha256")
            headers[TIMESTAMP_HEADER] = timestamp
            headers[SIGNATURE_HEADER] = f"sha256={mac.hexdigest()}"
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (the operator's URL)
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=settings.COGNITOADMIN_SMS_WEBHOOK_TIMEOUT
            ) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            transient = exc.code == 429 or exc.code >= 500
            raise DeliveryFailure(
                f"The webhook answered HTTP {exc.code}.", transient=transient
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryFailure(
                f"The webhook could not be reached: {reason}", transient=True
            ) from None
        except http.client.HTTPException as exc:
            # An answer that is not HTTP (a bad status line, a body cut short): transient, like
            # a server in trouble, not a crash of the task that would leave the record stuck.
            raise DeliveryFailure(
                f"The webhook's answer is not HTTP ({type(exc).__name__}).", transient=True
            ) from None


class LocmemSmsBackend(BaseSmsBackend):
    """Keeps messages in `LocmemSmsBackend.outbox`, for tests (like Django's locmem email)."""

    outbox: ClassVar[list[SmsMessage]] = []

    def send(self, message: SmsMessage) -> None:
        self.outbox.append(message)


def sms_backend_get() -> BaseSmsBackend:
    backend_class: type[BaseSmsBackend] = import_string(settings.COGNITOADMIN_SMS_BACKEND)
    return backend_class()
