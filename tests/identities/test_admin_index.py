"""The console's index: the product's sections in plain names, not its libraries' app labels."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client: Client, operator: User) -> Client:
    client.force_login(operator)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=operator).persistent_id
    session.save()
    return client


def _sections(html: str) -> dict[str, list[str]]:
    """Each app section's caption and the names of the tables it links to."""
    sections: dict[str, list[str]] = {}
    for module in re.findall(r'<div class="app-[^"]+ module.*?</table>', html, re.S):
        caption = re.search(r'<a href="[^"]*" class="section"[^>]*>([^<]+)</a>', module)
        assert caption is not None
        sections[caption.group(1)] = re.findall(
            r'<th scope="row"[^>]*>\s*<a href="[^"]+"[^>]*>([^<]+)</a>', module
        )
    return sections


def test_the_index_shows_the_product_and_the_operators_under_plain_names(admin: Client) -> None:
    response = admin.get("/admin/")

    assert response.status_code == 200
    sections = _sections(response.content.decode())
    assert {"User pools", "Identity pools and access keys", "Sync"} <= set(sections)
    assert sections["Operators and their security"] == [
        "Operators",
        "Permission groups",
        "Authenticator apps",
        "Backup codes",
    ]
    # The operators' section comes last, after the product's.
    assert list(sections)[-1] == "Operators and their security"
    page = response.content.decode()
    for label in ("Python Social Auth", "Otp_Totp", "Otp_Static", "Nonces", "Associations"):
        assert label not in page


def test_social_auths_tables_are_not_served(admin: Client) -> None:
    for path in (
        "social_django/nonce/",
        "social_django/association/",
        "social_django/usersocialauth/",
    ):
        assert admin.get(f"/admin/{path}").status_code == 404


def test_the_operators_pages_keep_working(admin: Client, operator: User) -> None:
    assert admin.get("/admin/auth/user/").status_code == 200
    assert admin.get("/admin/otp_totp/totpdevice/").status_code == 200
    assert admin.get("/admin/otp_static/staticdevice/").status_code == 200
