"""`/confirmUser`: the link in a CONFIRM_WITH_LINK pool's sign-up email confirms the user."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.test import Client
from pycognito.aws_srp import AWSSRP
from pytest_django import DjangoCaptureOnCommitCallbacks

from pools.models import AppClient, PoolUser, UserPool, UserStatus
from pools.services.clients import app_client_secret
from pools.services.domains import domain_create
from pools.services.signup import sign_up
from tests.builders import make_app_client, make_user_pool

pytestmark = pytest.mark.django_db


@pytest.fixture
def link_pool(db: None) -> UserPool:
    return make_user_pool(
        AutoVerifiedAttributes=["email"],
        VerificationMessageTemplate={"DefaultEmailOption": "CONFIRM_WITH_LINK"},
    )


def _sign_up_link(
    app: AppClient, capture: DjangoCaptureOnCommitCallbacks, mailoutbox: list[EmailMessage]
) -> str:
    """Signs `dora` up through `app`; returns the link her email carries, as a path."""
    secret = app_client_secret(client=app)
    with capture(execute=True):
        sign_up(
            client=app,
            username="dora",
            password="Passw0rd!",
            attributes={"email": "dora@example.com"},
            secret_hash=AWSSRP.get_secret_hash("dora", app.client_id, secret) if secret else None,
        )
    message = mailoutbox[-1]
    assert isinstance(message, EmailMultiAlternatives)
    [(markup, _mimetype)] = message.alternatives
    found = re.search(r'href="([^"]+)"', str(markup))
    assert found is not None
    parts = urlsplit(unescape(found.group(1)))
    return f"{parts.path}?{parts.query}"


def _dora(pool: UserPool) -> PoolUser:
    return PoolUser.objects.get(pool=pool, username="dora")


def test_the_link_confirms_the_user_and_offers_the_apps_page(
    link_pool: UserPool,
    client: Client,
    mailoutbox: list[EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    app = make_app_client(
        pool=link_pool,
        CallbackURLs=["https://app.example.com/callback", "https://app.example.com/other"],
    )
    link = _sign_up_link(app, django_capture_on_commit_callbacks, mailoutbox)
    assert _dora(link_pool).status == UserStatus.UNCONFIRMED
    response = client.get(link)
    assert response.status_code == 200
    assert b"Your registration has been confirmed!" in response.content
    assert b'href="https://app.example.com/callback"' in response.content
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    dora = _dora(link_pool)
    assert dora.status == UserStatus.CONFIRMED
    assert dora.email_verified


def test_the_default_redirect_uri_comes_first(
    link_pool: UserPool,
    client: Client,
    mailoutbox: list[EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    app = make_app_client(
        pool=link_pool,
        CallbackURLs=["https://app.example.com/a", "https://app.example.com/b"],
        DefaultRedirectURI="https://app.example.com/b",
    )
    response = client.get(_sign_up_link(app, django_capture_on_commit_callbacks, mailoutbox))
    assert b'href="https://app.example.com/b"' in response.content


def test_a_client_with_a_secret_confirms_by_link_without_a_secret_hash(
    link_pool: UserPool,
    client: Client,
    mailoutbox: list[EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    app = make_app_client(pool=link_pool, GenerateSecret=True)
    response = client.get(_sign_up_link(app, django_capture_on_commit_callbacks, mailoutbox))
    assert response.status_code == 200
    assert b"You can now sign in." in response.content
    assert _dora(link_pool).status == UserStatus.CONFIRMED


def test_a_link_works_once(
    link_pool: UserPool,
    client: Client,
    mailoutbox: list[EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    app = make_app_client(pool=link_pool)
    link = _sign_up_link(app, django_capture_on_commit_callbacks, mailoutbox)
    assert client.get(link).status_code == 200
    again = client.get(link)
    assert again.status_code == 400
    assert b"We could not confirm your registration" in again.content


@pytest.mark.parametrize(
    "tamper",
    [
        {"confirmation_code": "000000"},
        {"confirmation_code": "not-a-code" * 300},
        {"user_name": "nobody"},
        {"user_name": "do\x00ra"},
        {"client_id": "1example23456789abcdefghij"},
        {"client_id": "bad\x00id"},
        {"client_id": ""},
        {"confirmation_code": ""},
    ],
)
def test_a_tampered_link_is_refused_and_changes_nothing(
    link_pool: UserPool,
    client: Client,
    mailoutbox: list[EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    tamper: dict[str, str],
) -> None:
    app = make_app_client(pool=link_pool)
    link = _sign_up_link(app, django_capture_on_commit_callbacks, mailoutbox)
    path, _, query = link.partition("?")
    values = {name: value for name, [value] in parse_qs(query).items()}
    if values["confirmation_code"] == tamper.get("confirmation_code"):
        pytest.skip("the tampered code happens to be the real one")
    response = client.get(f"{path}?{urlencode({**values, **tamper})}")
    assert response.status_code == 400
    assert b"We could not confirm your registration" in response.content
    assert _dora(link_pool).status == UserStatus.UNCONFIRMED
    # The real link still works: nothing was spent but one wrong try.
    assert client.get(link).status_code == 200


def test_another_pools_client_cannot_confirm_the_user(
    link_pool: UserPool,
    client: Client,
    mailoutbox: list[EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    app = make_app_client(pool=link_pool)
    stranger = make_app_client(pool=make_user_pool(name="other"))
    link = _sign_up_link(app, django_capture_on_commit_callbacks, mailoutbox)
    response = client.get(link.replace(app.client_id, stranger.client_id))
    assert response.status_code == 400
    assert _dora(link_pool).status == UserStatus.UNCONFIRMED


def test_only_get_and_head_are_served(client: Client, db: None) -> None:
    assert client.post("/confirmUser", {"client_id": "x"}).status_code == 405


def test_with_a_domain_the_link_is_on_the_domain_and_works_only_for_its_pool(
    link_pool: UserPool,
    client: Client,
    mailoutbox: list[EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    settings: Any,
) -> None:
    settings.COGNITOADMIN_DOMAIN_URL = "http://testserver/domain/{domain}"
    domain_create(pool=link_pool, domain="shop")
    app = make_app_client(pool=link_pool, CallbackURLs=["https://app.example.com/callback"])
    link = _sign_up_link(app, django_capture_on_commit_callbacks, mailoutbox)
    assert link.startswith("/domain/shop/confirmUser?")

    other = make_user_pool(name="other")
    domain_create(pool=other, domain="other")
    elsewhere = client.get(link.replace("/domain/shop/", "/domain/other/"))
    assert elsewhere.status_code == 400
    assert _dora(link_pool).status == UserStatus.UNCONFIRMED

    assert client.get(link).status_code == 200
    assert _dora(link_pool).status == UserStatus.CONFIRMED
