from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from pytest_django import Settings
from rest_framework.test import APIClient

from identities.models import AccessKey
from pools.models import PoolUser, UserPool
from pools.services.delivery import LocmemSmsBackend, SmsMessage
from tests.builders import make_access_key, make_operator, make_user, make_user_pool


@pytest.fixture
def pool(db: None) -> UserPool:
    return make_user_pool()


@pytest.fixture
def sms_outbox(settings: Settings) -> list[SmsMessage]:
    """SMS to pool users, kept in memory instead of printed (like pytest-django's mailoutbox)."""
    settings.COGNITOADMIN_SMS_BACKEND = "pools.services.delivery.LocmemSmsBackend"
    LocmemSmsBackend.outbox.clear()
    return LocmemSmsBackend.outbox


@pytest.fixture
def user(pool: UserPool) -> PoolUser:
    """A CONFIRMED user of `pool` with a verified email and the password `Passw0rd!`."""
    return make_user(
        pool=pool,
        username="alice",
        password="Passw0rd!",
        email="alice@example.com",
        email_verified="true",
    )


@pytest.fixture
def operator(db: None) -> User:
    """An operator: the only kind of caller the management API accepts. A superuser whose admin
    password is `OPERATOR_PASSWORD`, with a confirmed authenticator app (`totp_token`)."""
    return make_operator()


@pytest.fixture
def operator_key(operator: User) -> tuple[AccessKey, str]:
    """An active access key of `operator`, and its secret."""
    return make_access_key(operator=operator, description="test key")


@pytest.fixture
def api(operator: User) -> APIClient:
    """A management API client signed in as `operator`."""
    client = APIClient()
    client.force_authenticate(user=operator)
    return client
