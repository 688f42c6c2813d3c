from __future__ import annotations

import logging

import pytest
from django.core import mail
from pytest_django import Settings

from pools.errors import InvalidParameterException
from pools.models import PoolUser, UserPool
from pools.services.delivery import (
    ConsoleSmsBackend,
    LocmemSmsBackend,
    Medium,
    SmsMessage,
    destination_mask,
    invitation_mediums,
    message_send,
    sms_backend_get,
)
from tests.builders import make_user, make_user_pool

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("medium", "destination", "masked"),
    [
        ("EMAIL", "abel@example.com", "a***@e***.com"),
        ("EMAIL", "jo@mail.example.co.uk", "j***@m***.uk"),
        ("EMAIL", "root@localhost", "r***@l***"),
        ("SMS", "+14325551212", "+*******1212"),
        ("SMS", "+15551234", "+****1234"),
    ],
)
def test_destinations_are_masked_as_cognito_masks_them(
    medium: Medium, destination: str, masked: str
) -> None:
    assert destination_mask(medium=medium, destination=destination) == masked


def test_email_goes_through_djangos_mail_backend(settings: Settings, user: PoolUser) -> None:
    settings.DEFAULT_FROM_EMAIL = "noreply@cognitoadmin.test"
    details = message_send(user=user, medium="EMAIL", subject="Hello", body="Code 123456")
    assert details == {
        "Destination": "a***@e***.com",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    [message] = mail.outbox
    assert (message.to, message.subject, message.body) == (
        ["alice@example.com"],
        "Hello",
        "Code 123456",
    )
    assert message.from_email == "noreply@cognitoadmin.test"
    assert message.reply_to == []


def test_email_uses_the_pools_sender_and_reply_to() -> None:
    pool = make_user_pool(
        EmailConfiguration={
            "EmailSendingAccount": "DEVELOPER",
            "SourceArn": "arn:aws:ses:us-east-1:000000000000:identity/example.com",
            "From": "Team <team@example.com>",
            "ReplyToEmailAddress": "help@example.com",
        }
    )
    user = make_user(pool=pool, email="jo@example.com")
    message_send(user=user, medium="EMAIL", subject="s", body="b")
    [message] = mail.outbox
    assert message.from_email == "Team <team@example.com>"
    assert message.reply_to == ["help@example.com"]


def test_sms_goes_through_the_configured_backend(
    pool: UserPool, sms_outbox: list[SmsMessage]
) -> None:
    user = make_user(pool=pool, phone_number="+14325551212")
    details = message_send(user=user, medium="SMS", subject="ignored", body="Code 123456")
    assert details == {
        "Destination": "+*******1212",
        "DeliveryMedium": "SMS",
        "AttributeName": "phone_number",
    }
    assert sms_outbox == [SmsMessage(destination="+14325551212", body="Code 123456")]
    assert mail.outbox == []


def test_a_medium_without_an_address_sends_nothing(
    user: PoolUser, sms_outbox: list[SmsMessage]
) -> None:
    with pytest.raises(InvalidParameterException, match="no phone_number"):
        message_send(user=user, medium="SMS", subject="", body="Code")
    assert sms_outbox == []


def test_console_backend_is_the_default_and_prints_to_stdout(
    pool: UserPool, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    assert isinstance(sms_backend_get(), ConsoleSmsBackend)
    user = make_user(pool=pool, phone_number="+14325551212")
    with caplog.at_level(logging.DEBUG):
        message_send(user=user, medium="SMS", subject="", body="Your code is 654321")
    out = capsys.readouterr().out
    assert "SMS to: +14325551212" in out
    assert "Your code is 654321" in out
    assert "654321" not in caplog.text


def test_the_backend_class_comes_from_the_setting(settings: Settings) -> None:
    settings.COGNITOADMIN_SMS_BACKEND = "pools.services.delivery.LocmemSmsBackend"
    assert isinstance(sms_backend_get(), LocmemSmsBackend)


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
