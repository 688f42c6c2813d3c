"""Messages to pool users: email through Django's mail backend, SMS through a pluggable backend.

The SMS backend is the class named by the `COGNITOADMIN_SMS_BACKEND` setting. The default writes
messages to stdout, like Django's console email backend, and never to the logger: messages carry
codes and temporary passwords.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TextIO

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

from pools.errors import InvalidParameterException
from pools.models import PoolUser

Medium = Literal["EMAIL", "SMS"]
DELIVERY_MEDIUMS: tuple[Medium, ...] = ("SMS", "EMAIL")

ATTRIBUTE_FOR_MEDIUM: dict[Medium, str] = {"EMAIL": "email", "SMS": "phone_number"}

# Cognito's invitation when the pool sets no InviteMessageTemplate.
DEFAULT_INVITE_MESSAGE = "Your username is {username} and temporary password is {####}."
DEFAULT_INVITE_SUBJECT = "Your temporary password"
CODE_PLACEHOLDER = "{####}"
USERNAME_PLACEHOLDER = "{username}"
_PLACEHOLDERS = re.compile(re.escape(USERNAME_PLACEHOLDER) + "|" + re.escape(CODE_PLACEHOLDER))


@dataclass(frozen=True)
class SmsMessage:
    destination: str
    body: str


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


class LocmemSmsBackend(BaseSmsBackend):
    """Keeps messages in `LocmemSmsBackend.outbox`, for tests (like Django's locmem email)."""

    outbox: ClassVar[list[SmsMessage]] = []

    def send(self, message: SmsMessage) -> None:
        self.outbox.append(message)


def sms_backend_get() -> BaseSmsBackend:
    backend_class: type[BaseSmsBackend] = import_string(settings.COGNITOADMIN_SMS_BACKEND)
    return backend_class()


def destination_mask(*, medium: Medium, destination: str) -> str:
    """Cognito's masked Destination: `a***@e***.com`, `+*******1212`."""
    if medium == "SMS":
        return destination[:1] + "*" * max(len(destination) - 5, 0) + destination[-4:]
    local, _, domain = destination.rpartition("@")
    host, dot, tld = domain.rpartition(".")
    if not dot:
        host, tld = domain, ""
    return f"{local[:1]}***@{host[:1]}***{dot}{tld}"


def code_delivery_details(*, medium: Medium, destination: str) -> dict[str, Any]:
    """Cognito's CodeDeliveryDetails for a message to `destination` by `medium`."""
    return {
        "Destination": destination_mask(medium=medium, destination=destination),
        "DeliveryMedium": medium,
        "AttributeName": ATTRIBUTE_FOR_MEDIUM[medium],
    }


def placeholders_fill(*, message: str, username: str, code: str) -> str:
    """`message` with `{username}` and `{####}` filled in one pass, so that a username containing
    `{####}` is never given the code (or temporary password)."""
    return _PLACEHOLDERS.sub(
        lambda m: username if m.group() == USERNAME_PLACEHOLDER else code, message
    )


def message_send(*, user: PoolUser, medium: Medium, subject: str, body: str) -> dict[str, Any]:
    """Send one message to `user` by `medium`; returns Cognito's CodeDeliveryDetails."""
    attribute = ATTRIBUTE_FOR_MEDIUM[medium]
    destination: str = getattr(user, attribute)
    if not destination:
        raise InvalidParameterException(f"User has no {attribute} to deliver a message to.")
    if medium == "EMAIL":
        email_configuration: dict[str, Any] = user.pool.email_configuration
        reply_to = email_configuration.get("ReplyToEmailAddress")
        EmailMessage(
            subject=subject,
            body=body,
            from_email=email_configuration.get("From") or settings.DEFAULT_FROM_EMAIL,
            to=[destination],
            reply_to=[reply_to] if reply_to else None,
        ).send()
    else:
        sms_backend_get().send(SmsMessage(destination=destination, body=body))
    return code_delivery_details(medium=medium, destination=destination)


def invitation_mediums(*, user: PoolUser, desired: Sequence[Medium]) -> list[Medium]:
    """The mediums an invitation goes out by: each desired one the user has an address for.

    When the user has an address for none of them, Cognito uses the other medium if it can, so a
    user created with only an email still receives the (default: SMS) invitation.
    """
    usable = [m for m in DELIVERY_MEDIUMS if getattr(user, ATTRIBUTE_FOR_MEDIUM[m])]
    chosen = [m for m in usable if m in desired]
    return chosen or usable[:1]


def invitation_send(
    *, user: PoolUser, username: str, temporary_password: str, desired: Sequence[Medium]
) -> list[dict[str, Any]]:
    """AdminCreateUser's invitation, from the pool's InviteMessageTemplate or Cognito's default.

    The pool's settings guarantee that a template has both placeholders.
    """
    template: dict[str, str] = user.pool.invite_message_template
    sent = []
    for medium in invitation_mediums(user=user, desired=desired):
        if medium == "EMAIL":
            message = template.get("EmailMessage") or DEFAULT_INVITE_MESSAGE
            subject = template.get("EmailSubject") or DEFAULT_INVITE_SUBJECT
        else:
            message = template.get("SMSMessage") or DEFAULT_INVITE_MESSAGE
            subject = ""
        body = placeholders_fill(message=message, username=username, code=temporary_password)
        sent.append(message_send(user=user, medium=medium, subject=subject, body=body))
    return sent
