"""Users' remembered devices for operators: listed on the user's admin page and by the management
API (/api/v1/pools/{pool_id}/users/{username}/devices/), forgotten by an admin action and by the
API. Refusals change nothing."""

from __future__ import annotations

import pytest
from django.contrib import messages
from django.test import Client
from pycognito.aws_srp import generate_hash_device
from rest_framework.test import APIClient

from pools.models import Device, PoolUser, UserPool
from pools.services.devices import device_confirm, device_track
from tests.builders import make_operator, make_user, make_user_pool
from tests.pools.test_admin_authorization import signed_in
from tests.pools.test_admin_mfa import USERS, change_url, shown

pytestmark = pytest.mark.django_db

TRACKING = {"ChallengeRequiredOnNewDevice": False, "DeviceOnlyRememberedOnUserPrompt": False}


@pytest.fixture
def pool() -> UserPool:
    return make_user_pool(DeviceConfiguration=TRACKING)


@pytest.fixture
def admin_client(db: None) -> Client:
    client, _ = signed_in("ada", "Administrators")
    return client


@pytest.fixture
def support(db: None) -> Client:
    client, _ = signed_in("sue", "Support (read only)")
    return client


@pytest.fixture
def bob(pool: UserPool) -> PoolUser:
    return make_user(pool=pool, username="bob", email="bob@example.com")


def confirmed_device(user: PoolUser, name: str = "Bob's laptop") -> Device:
    device = device_track(user=user)
    assert device is not None
    _password, config = generate_hash_device(device.device_group_key, device.device_key)
    device_confirm(
        user=user,
        device_key=device.device_key,
        verifier=config["PasswordVerifier"],
        salt=config["Salt"],
        name=name,
    )
    device.refresh_from_db()
    return device


def devices_url(user: PoolUser, username: str = "") -> str:
    return f"/api/v1/pools/{user.pool.pool_id}/users/{username or user.username}/devices/"


def keys() -> list[str]:
    return sorted(Device.objects.values_list("device_key", flat=True))


def support_api() -> APIClient:
    client = APIClient()
    client.force_authenticate(
        user=make_operator(
            username="sue", superuser=False, with_device=False, groups=("Support (read only)",)
        )
    )
    return client


# --- admin ------------------------------------------------------------------------------------


def test_the_user_page_lists_the_devices(admin_client: Client, bob: PoolUser) -> None:
    device = confirmed_device(bob)

    content = admin_client.get(change_url(bob)).content.decode()

    assert device.device_key in content
    assert "Bob&#x27;s laptop" in content


def test_the_forget_action_forgets_every_device_of_the_users_chosen(
    admin_client: Client, pool: UserPool, bob: PoolUser
) -> None:
    carol = make_user(pool=pool, username="carol")
    confirmed_device(bob)
    device_track(user=bob)
    kept = confirmed_device(carol)

    done = admin_client.post(
        USERS, {"action": "forget_devices", "_selected_action": [bob.pk], "index": 0}
    )

    assert done.status_code == 302
    assert shown(done) == [(messages.SUCCESS, "Forgot the devices of 1 user(s).")]
    assert keys() == [kept.device_key]


def test_support_sees_devices_but_cannot_forget_them(support: Client, bob: PoolUser) -> None:
    device = confirmed_device(bob)

    page = support.get(change_url(bob))
    support.post(USERS, {"action": "forget_devices", "_selected_action": [bob.pk], "index": 0})

    assert device.device_key in page.content.decode()
    assert keys() == [device.device_key]


# --- management API ---------------------------------------------------------------------------


def test_the_api_lists_confirmed_devices_a_page_at_a_time(api: APIClient, bob: PoolUser) -> None:
    devices = [confirmed_device(bob, name=f"device {n}") for n in range(3)]
    device_track(user=bob)  # handed out, never confirmed: not listed

    first = api.get(devices_url(bob), {"limit": 2}).json()
    second = api.get(first["next"]).json()

    listed = first["results"] + second["results"]
    assert sorted(d["device_key"] for d in listed) == sorted(d.device_key for d in devices)
    assert second["next"] is None
    assert listed[0]["remembered_status"] == "remembered"


def test_the_api_forgets_one_device(api: APIClient, bob: PoolUser) -> None:
    gone, kept = confirmed_device(bob), confirmed_device(bob)

    response = api.delete(f"{devices_url(bob)}{gone.device_key}/")

    assert response.status_code == 204
    assert keys() == [kept.device_key]


def test_another_users_or_pools_device_is_not_found_and_stays(
    api: APIClient, pool: UserPool, bob: PoolUser
) -> None:
    carol = make_user(pool=pool, username="carol")
    other_pool = make_user_pool(name="other", DeviceConfiguration=TRACKING)
    dave = make_user(pool=other_pool, username="bob")
    carols, daves = confirmed_device(carol), confirmed_device(dave)
    before = keys()

    for url in (
        f"{devices_url(bob)}{carols.device_key}/",
        f"{devices_url(bob)}{daves.device_key}/",
        f"{devices_url(bob)}unknown_key/",
        f"{devices_url(bob, 'nobody')}{carols.device_key}/",
    ):
        response = api.delete(url)
        assert response.status_code == 404, url
        assert response.json()["code"] in {"ResourceNotFoundException", "UserNotFoundException"}
    assert keys() == before


def test_support_lists_devices_but_cannot_forget_them(bob: PoolUser) -> None:
    device = confirmed_device(bob)
    client = support_api()

    assert client.get(devices_url(bob)).status_code == 200
    response = client.delete(f"{devices_url(bob)}{device.device_key}/")

    assert response.status_code == 403
    assert keys() == [device.device_key]
