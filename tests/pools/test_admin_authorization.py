"""Operators' permissions in the admin, asked of the same authorization as the other doors: each
group sees and does exactly what it grants, and a refusal is the admin's own (403) and changes
nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from identities.models import AccessKey
from pools.models import PoolUser, UserPool
from tests.builders import make_access_key, make_operator, make_user, make_user_pool

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

USERS = reverse("admin:pools_pooluser_changelist")
ADD_USER = reverse("admin:pools_pooluser_add")
KEYS = reverse("admin:identities_accesskey_changelist")
ADD_KEY = reverse("admin:identities_accesskey_add")


def signed_in(username: str, *groups: str) -> tuple[Client, User]:
    """An OTP-verified admin session of a staff operator in `groups`."""
    operator = make_operator(username=username, superuser=False, groups=groups)
    client = Client()
    client.force_login(operator)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=operator).persistent_id
    session.save()
    return client, operator


@pytest.fixture
def pool(db: None) -> UserPool:
    return make_user_pool(name="customers")


@pytest.fixture
def ana(pool: UserPool) -> PoolUser:
    return make_user(pool=pool, username="ana")


def _actions(response: Response) -> list[str]:
    action_form = response.context["action_form"]  # None when the list offers no action
    if action_form is None:
        return []
    return [value for value, _label in action_form.fields["action"].choices if value]


def test_support_sees_users_but_cannot_add_change_or_delete_them(ana: PoolUser) -> None:
    support, _ = signed_in("sue", "Support (read only)")
    change = reverse("admin:pools_pooluser_change", args=[ana.pk])
    delete = reverse("admin:pools_pooluser_delete", args=[ana.pk])

    listed = support.get(USERS)
    page = support.get(change)
    added = support.post(ADD_USER, {"pool": ana.pool_id, "username": "bob"})
    deleted = support.post(delete, {"post": "yes"})
    changed = support.post(change, {"email": "evil@example.com"})

    assert listed.status_code == 200
    assert "ana" in listed.content.decode()
    assert _actions(listed) == []
    assert page.status_code == 200
    assert (added.status_code, deleted.status_code, changed.status_code) == (403, 403, 403)
    assert list(PoolUser.objects.values_list("username", "email")) == [("ana", "")]


def test_support_cannot_run_an_action_it_is_not_offered(ana: PoolUser) -> None:
    support, _ = signed_in("sue", "Support (read only)")

    support.post(USERS, {"action": "disable_users", "_selected_action": [ana.pk], "index": 0})

    assert PoolUser.objects.get(pk=ana.pk).enabled is True


def test_administrators_add_users_and_run_the_actions(pool: UserPool, ana: PoolUser) -> None:
    admin, _ = signed_in("ada", "Administrators")

    added = admin.post(
        ADD_USER,
        {
            "pool": pool.pk,
            "username": "bob",
            "message_action": "SUPPRESS",
            "desired_delivery_mediums": "EMAIL",
        },
    )
    listed = admin.get(USERS)
    admin.post(USERS, {"action": "disable_users", "_selected_action": [ana.pk], "index": 0})

    assert added.status_code == 302
    assert set(_actions(listed)) >= {"enable_users", "disable_users", "add_to_group"}
    assert set(PoolUser.objects.values_list("username", "enabled")) == {
        ("ana", False),
        ("bob", True),
    }


def test_an_operator_without_permissions_sees_no_data(ana: PoolUser) -> None:
    nobody, _ = signed_in("sam")

    assert nobody.get(USERS).status_code == 403
    assert nobody.get(reverse("admin:pools_userpool_changelist")).status_code == 403


def test_operators_who_are_not_superusers_manage_only_their_own_keys() -> None:
    admin, ada = signed_in("ada", "Administrators")
    root = make_operator(username="root", with_device=False)
    theirs, _ = make_access_key(operator=root, description="root's key")
    mine, _ = make_access_key(operator=ada, description="ada's key")

    listed = admin.get(KEYS).content.decode()
    for_root = admin.post(ADD_KEY, {"operator": root.pk, "description": "sneaky"})
    for_me = admin.post(ADD_KEY, {"operator": ada.pk, "description": "CI"})
    their_page = admin.get(reverse("admin:identities_accesskey_change", args=[theirs.pk]))
    admin.post(
        KEYS, {"action": "disable_keys", "_selected_action": [theirs.pk, mine.pk], "index": 0}
    )

    assert mine.access_key_id in listed
    assert theirs.access_key_id not in listed
    assert "Select a valid choice" in for_root.content.decode()
    assert for_me.status_code == 200
    assert their_page.status_code == 302  # the admin's "does not exist" redirect
    assert set(AccessKey.objects.values_list("operator__username", "description", "active")) == {
        ("root", "root's key", True),
        ("ada", "ada's key", False),
        ("ada", "CI", True),
    }


def test_support_may_not_create_keys_at_all() -> None:
    support, sue = signed_in("sue", "Support (read only)")

    response = support.post(ADD_KEY, {"operator": sue.pk})

    assert response.status_code == 403
    assert not AccessKey.objects.exists()
