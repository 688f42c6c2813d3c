"""Access keys in the admin: list, add (secret shown once), edit, and the actions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from identities.models import AccessKey
from identities.services.access_keys import access_key_disable, access_key_secret
from tests.builders import make_access_key, make_operator

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/identities/accesskey/"
ADD = "/admin/identities/accesskey/add/"
IMPORTED_ID = "AKIAIOSFODNN7EXAMPLE"
IMPORTED_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.fixture
def admin(client: Client, operator: User) -> Client:
    """The admin, signed in as `operator` with its authenticator (OTP-verified session)."""
    client.force_login(operator)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=operator).persistent_id
    session.save()
    return client


def test_changelist_lists_keys_without_secrets(
    admin: Client, operator_key: tuple[AccessKey, str]
) -> None:
    key, secret = operator_key

    response = admin.get(CHANGELIST)

    content = response.content.decode()
    assert response.status_code == 200
    assert key.access_key_id in content
    assert "test key" in content
    assert secret not in content
    assert key.secret_sealed not in content


def test_changelist_search_and_filter(admin: Client, operator: User) -> None:
    deploy, _ = make_access_key(operator=operator, description="deploy bot")
    backup, _ = make_access_key(operator=operator, description="backup job")
    access_key_disable(key=backup)

    found = admin.get(CHANGELIST, {"q": "deploy"}).content.decode()
    inactive = admin.get(CHANGELIST, {"active__exact": "0"}).content.decode()

    assert deploy.access_key_id in found
    assert backup.access_key_id not in found
    assert backup.access_key_id in inactive
    assert deploy.access_key_id not in inactive


def test_change_page_never_shows_the_secret_and_edits_the_description(
    admin: Client, operator_key: tuple[AccessKey, str]
) -> None:
    key, secret = operator_key
    url = f"{CHANGELIST}{key.pk}/change/"

    page = admin.get(url)
    response = admin.post(url, {"description": "renamed"})

    assert page.status_code == 200
    assert secret not in page.content.decode()
    assert response.status_code == 302
    stored = AccessKey.objects.get(pk=key.pk)
    assert stored.description == "renamed"
    assert stored.active
    assert access_key_secret(key=stored) == secret


def test_add_creates_a_key_and_shows_its_secret_once(admin: Client, operator: User) -> None:
    form = admin.get(ADD)

    response = admin.post(ADD, {"operator": operator.pk, "description": "CI"})

    assert form.status_code == 200
    assert response.status_code == 200
    key = AccessKey.objects.get()
    secret = access_key_secret(key=key)
    content = response.content.decode()
    assert key.access_key_id in content
    assert f"<code>{secret}</code>" in content
    assert key.description == "CI"
    assert key.operator == operator
    # Shown in that response only: not kept for a later page in the message cookie or session.
    assert "messages" not in response.cookies
    assert secret not in admin.get(CHANGELIST).content.decode()


def test_add_imports_a_known_pair(admin: Client, operator: User) -> None:
    admin.post(
        ADD,
        {
            "operator": operator.pk,
            "access_key_id": IMPORTED_ID,
            "secret_access_key": IMPORTED_SECRET,
        },
    )

    assert access_key_secret(key=AccessKey.objects.get(access_key_id=IMPORTED_ID)) == (
        IMPORTED_SECRET
    )


def test_add_shows_service_errors_and_creates_nothing(admin: Client, operator: User) -> None:
    make_access_key(operator=operator, access_key_id=IMPORTED_ID, secret_access_key=IMPORTED_SECRET)

    duplicate = admin.post(
        ADD,
        {
            "operator": operator.pk,
            "access_key_id": IMPORTED_ID,
            "secret_access_key": "another-secret-12345",
        },
    )
    half = admin.post(ADD, {"operator": operator.pk, "access_key_id": "AKIAANOTHERKEY00000"})

    assert f"Access key {IMPORTED_ID} already exists." in duplicate.content.decode()
    assert "give both" in half.content.decode()
    assert AccessKey.objects.count() == 1
    assert access_key_secret(key=AccessKey.objects.get()) == IMPORTED_SECRET


def test_add_offers_only_active_staff(admin: Client, operator: User) -> None:
    User.objects.create_user(username="customer", password="x")

    response = admin.post(ADD, {"operator": User.objects.get(username="customer").pk})

    assert "Select a valid choice" in response.content.decode()
    assert not AccessKey.objects.exists()


def test_disable_and_enable_actions(admin: Client, operator: User) -> None:
    first, _ = make_access_key(operator=operator)
    second, _ = make_access_key(operator=make_operator(username="other", with_device=False))
    selected = [first.pk, second.pk]

    disabled = admin.post(
        CHANGELIST, {"action": "disable_keys", "_selected_action": selected}, follow=True
    )
    assert "Disabled 2 access key(s)." in disabled.content.decode()
    assert not AccessKey.objects.filter(active=True).exists()

    admin.post(CHANGELIST, {"action": "enable_keys", "_selected_action": [first.pk]})
    assert list(AccessKey.objects.filter(active=True)) == [first]


def test_delete_action_deletes_through_the_service(
    admin: Client, operator_key: tuple[AccessKey, str]
) -> None:
    key, _ = operator_key

    confirm = admin.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [key.pk]})
    admin.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [key.pk], "post": "yes"},
    )

    assert confirm.status_code == 200
    assert not AccessKey.objects.exists()


def test_delete_page_deletes_the_key(admin: Client, operator_key: tuple[AccessKey, str]) -> None:
    key, _ = operator_key

    admin.post(f"{CHANGELIST}{key.pk}/delete/", {"post": "yes"})

    assert not AccessKey.objects.exists()
