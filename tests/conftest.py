from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import boto3
import botocore
import pytest
from botocore.config import Config
from django.apps import apps
from django.contrib.auth.models import User
from django.utils import timezone
from pytest_django import Settings
from rest_framework.test import APIClient

from identities.migrations._operator_groups import grant_product_permissions
from identities.models import AccessKey
from pools.models import AppClient, PoolUser, UserPool
from pools.services.sms import LocmemSmsBackend, SmsMessage
from tests.builders import (
    make_access_key,
    make_app_client,
    make_operator,
    make_user,
    make_user_pool,
)


@pytest.fixture
def pool(db: None) -> UserPool:
    return make_user_pool()


@pytest.fixture
def sms_outbox(settings: Settings) -> list[SmsMessage]:
    """SMS to pool users, kept in memory instead of printed (like pytest-django's mailoutbox)."""
    settings.COGNITOADMIN_SMS_BACKEND = "pools.services.sms.LocmemSmsBackend"
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


class Clock:
    """Django's clock (`timezone.now`), held still and moved by the test: no sleeps."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Stops Django's clock at 2030-01-01 12:00 UTC; `clock.advance(hours=1)` moves it."""
    clock = Clock(dt.datetime(2030, 1, 1, 12, 0, 0, tzinfo=dt.UTC))
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def app_client(pool: UserPool) -> AppClient:
    """An app client of `pool` with Cognito's default settings (no secret)."""
    return make_app_client(pool=pool)


@pytest.fixture
def operator(db: None) -> User:
    """An operator: the only kind of caller the management API accepts. A superuser whose admin
    password is `OPERATOR_PASSWORD`, with a confirmed authenticator app (`totp_token`)."""
    return make_operator()


@pytest.fixture
def operator_groups(db: None) -> None:
    """The operator groups the identities migration ships. A transactional test's flush removes
    them, so tests that use them there (a live server) ask for them again with this."""
    grant_product_permissions(apps, None)


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


def _boto3_client(service: str, endpoint: str, **credentials: Any) -> Any:
    return _client(service, endpoint, credentials, validate=True)


def _client(service: str, endpoint: str, credentials: dict[str, Any], *, validate: bool) -> Any:
    config = Config(
        retries={"max_attempts": 1},
        parameter_validation=validate,
        **({} if credentials else {"signature_version": botocore.UNSIGNED}),
    )
    return boto3.client(
        service, endpoint_url=endpoint, region_name="us-east-1", config=config, **credentials
    )


@pytest.fixture
def aws_url(transactional_db: None, live_server: Any) -> str:
    """The AWS endpoint of a live server (data written by the test is visible to it)."""
    url: str = live_server.url
    return url


@pytest.fixture
def idp(aws_url: str, operator_key: tuple[AccessKey, str]) -> Any:
    """boto3 `cognito-idp` client signing with an operator's access key (SigV4)."""
    key, secret = operator_key
    return _boto3_client(
        "cognito-idp",
        aws_url,
        aws_access_key_id=key.access_key_id,
        aws_secret_access_key=secret,
    )


def unchecked_client(
    service: str, aws_url: str, operator_key: tuple[AccessKey, str] | None = None
) -> Any:
    """A client that sends whatever it is given, as SDKs without botocore's checks do: the
    server is the only one to check. Signed with the operator's key when one is given."""
    credentials = {}
    if operator_key is not None:
        key, secret = operator_key
        credentials = {"aws_access_key_id": key.access_key_id, "aws_secret_access_key": secret}
    return _client(service, aws_url, credentials, validate=False)


@pytest.fixture
def idp_unchecked(aws_url: str, operator_key: tuple[AccessKey, str]) -> Any:
    return unchecked_client("cognito-idp", aws_url, operator_key)


@pytest.fixture
def iam_unchecked(aws_url: str, operator_key: tuple[AccessKey, str]) -> Any:
    return unchecked_client("iam", aws_url, operator_key)


@pytest.fixture
def idp_public(aws_url: str) -> Any:
    """boto3 `cognito-idp` client with no credentials at all: only unsigned operations work."""
    return _boto3_client("cognito-idp", aws_url)


JS_DIR = Path(__file__).resolve().parent / "js"
# One package per JS client the tests drive; `npm ci` installs them all from the lockfile.
JS_PACKAGES = (
    "@aws-sdk/client-cognito-identity-provider",
    "amazon-cognito-identity-js",
    "amazon-cognito-js",
    "aws-sdk",
    "openid-client",
)


@pytest.fixture
def node() -> str:
    """`node`, with tests/js's packages installed (as `.ci/test` does). CI must have it."""
    found = shutil.which("node")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node is required in CI: the JavaScript client tests must run there.")
        pytest.skip("node is not installed: the JavaScript client tests need Node.js 20+")
    if not all((JS_DIR / "node_modules" / package).is_dir() for package in JS_PACKAGES):
        npm = shutil.which("npm")
        assert npm is not None, "npm is needed to install tests/js's dependencies"
        installed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=JS_DIR,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert installed.returncode == 0, installed.stderr
    return found
