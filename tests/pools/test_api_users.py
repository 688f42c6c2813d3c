"""Management API: users of a pool (/api/v1/pools/{pool_id}/users/)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.core import mail
from rest_framework.test import APIClient

from pools.models import GroupMembership, PoolUser, UserPool
from tests.builders import make_group, make_user, make_user_pool

pytestmark = pytest.mark.django_db

PREFIX_FILTER = 'email ^= "ali"'


def users_url(pool: UserPool) -> str:
    return f"/api/v1/pools/{pool.pool_id}/users/"


def user_url(user: PoolUser) -> str:
    return f"{users_url(user.pool)}{quote(user.username)}/"


def test_create_returns_the_user_with_its_attributes(
    api: APIClient, pool: UserPool, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            users_url(pool),
            {
                "username": "bob",
                "attributes": {"email": "bob@example.com", "email_verified": "true"},
                "temporary_password": "Temp-Passw0rd!",
                "message_action": "SUPPRESS",
            },
            format="json",
        )

    assert response.status_code == 201, response.json()
    body = response.json()
    user = PoolUser.objects.get(pool=pool, username="bob")
    assert body["username"] == "bob"
    assert body["sub"] == str(user.sub)
    assert body["status"] == "FORCE_CHANGE_PASSWORD"
    assert body["enabled"] is True
    assert body["attributes"] == {
        "sub": str(user.sub),
        "email": "bob@example.com",
        "email_verified": "true",
    }
    assert mail.outbox == []


def test_create_sends_the_invitation_unless_suppressed(
    api: APIClient, pool: UserPool, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            users_url(pool),
            {
                "username": "carol",
                "attributes": {"email": "carol@example.com"},
                "desired_delivery_mediums": ["EMAIL"],
            },
            format="json",
        )

    assert response.status_code == 201, response.json()
    assert [m.to for m in mail.outbox] == [["carol@example.com"]]


def test_create_of_an_existing_username_is_a_conflict(api: APIClient, pool: UserPool) -> None:
    make_user(pool=pool, username="bob", email="first@example.com")

    response = api.post(
        users_url(pool),
        {"username": "BOB", "attributes": {"email": "second@example.com"}},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "UsernameExistsException"
    assert PoolUser.objects.get(pool=pool).email == "first@example.com"


def test_create_with_an_unknown_attribute_creates_nothing(api: APIClient, pool: UserPool) -> None:
    response = api.post(
        users_url(pool),
        {"username": "bob", "attributes": {"custom:nope": "x"}, "message_action": "SUPPRESS"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterException"
    assert not PoolUser.objects.exists()


def test_create_with_a_bad_enum_creates_nothing(api: APIClient, pool: UserPool) -> None:
    response = api.post(
        users_url(pool), {"username": "bob", "message_action": "SHOUT"}, format="json"
    )

    assert response.status_code == 400
    assert "message_action" in response.json()["fields"]
    assert not PoolUser.objects.exists()


def test_create_with_a_weak_temporary_password_creates_nothing(
    api: APIClient, pool: UserPool
) -> None:
    response = api.post(
        users_url(pool), {"username": "bob", "temporary_password": "short"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidPasswordException"
    assert not PoolUser.objects.exists()


def test_create_in_an_unknown_pool_is_not_found(api: APIClient) -> None:
    response = api.post(
        "/api/v1/pools/us-east-1_nothing00/users/", {"username": "bob"}, format="json"
    )

    assert response.status_code == 404
    assert response.json()["code"] == "ResourceNotFoundException"
    assert not PoolUser.objects.exists()


def test_list_filters_with_cognito_syntax(api: APIClient, pool: UserPool) -> None:
    make_user(pool=pool, username="alice", email="alice@example.com")
    make_user(pool=pool, username="alicia", email="alicia@example.com")
    make_user(pool=pool, username="bob", email="bob@example.com")

    body = api.get(users_url(pool), {"filter": PREFIX_FILTER}).json()

    assert sorted(u["username"] for u in body["results"]) == ["alice", "alicia"]
    assert body["next"] is None


def test_list_pages_through_a_filtered_list(api: APIClient, pool: UserPool) -> None:
    names = [f"ali{i}" for i in range(5)]
    for name in names:
        make_user(pool=pool, username=name, email=f"{name}@example.com")
    make_user(pool=pool, username="bob", email="bob@example.com")

    seen: list[str] = []
    url: str | None = f"{users_url(pool)}?limit=2&filter={quote(PREFIX_FILTER)}"
    while url:
        body = api.get(url).json()
        seen += [u["username"] for u in body["results"]]
        url = body["next"]

    assert seen == names


def test_list_rejects_a_malformed_filter(api: APIClient, pool: UserPool) -> None:
    response = api.get(users_url(pool), {"filter": "email ~ ali"})

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterException"


def test_retrieve_returns_the_user(api: APIClient, user: PoolUser) -> None:
    body = api.get(user_url(user)).json()

    assert body["username"] == "alice"
    assert body["status"] == "CONFIRMED"
    assert body["attributes"]["email"] == "alice@example.com"


def test_another_pools_user_is_not_found(api: APIClient, user: PoolUser) -> None:
    other = make_user_pool(name="other")

    for method, suffix in [("get", ""), ("delete", ""), ("post", "disable/")]:
        response = getattr(api, method)(f"{users_url(other)}alice/{suffix}")
        assert response.status_code == 404
        assert response.json()["code"] == "UserNotFoundException"

    user.refresh_from_db()
    assert user.enabled is True


def test_attributes_are_updated(api: APIClient, user: PoolUser) -> None:
    response = api.post(
        f"{user_url(user)}attributes/",
        {"attributes": {"given_name": "Alice", "email": "new@example.com"}},
        format="json",
    )

    assert response.status_code == 200, response.json()
    user.refresh_from_db()
    assert user.given_name == "Alice"
    assert user.email == "new@example.com"
    assert response.json()["attributes"]["given_name"] == "Alice"


def test_attribute_update_with_a_bad_value_changes_nothing(api: APIClient, user: PoolUser) -> None:
    response = api.post(
        f"{user_url(user)}attributes/",
        {"attributes": {"given_name": "Alice", "phone_number": "not a number"}},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterException"
    user.refresh_from_db()
    assert user.given_name == ""
    assert user.phone_number == ""


def test_attributes_are_deleted(api: APIClient, pool: UserPool) -> None:
    user = make_user(pool=pool, given_name="Alice", family_name="Smith")

    response = api.post(
        f"{user_url(user)}delete-attributes/", {"names": ["given_name"]}, format="json"
    )

    assert response.status_code == 200, response.json()
    user.refresh_from_db()
    assert user.given_name == ""
    assert user.family_name == "Smith"
    assert "given_name" not in response.json()["attributes"]


def test_disable_then_enable(api: APIClient, user: PoolUser) -> None:
    response = api.post(f"{user_url(user)}disable/")
    assert response.status_code == 200
    assert response.json()["enabled"] is False
    user.refresh_from_db()
    assert user.enabled is False

    response = api.post(f"{user_url(user)}enable/")
    assert response.json()["enabled"] is True
    user.refresh_from_db()
    assert user.enabled is True


def test_permanent_password_confirms_the_user(api: APIClient, pool: UserPool) -> None:
    user = make_user(pool=pool)
    assert user.status == "FORCE_CHANGE_PASSWORD"

    response = api.post(
        f"{user_url(user)}password/",
        {"password": "New-Passw0rd!", "permanent": True},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "CONFIRMED"
    user.refresh_from_db()
    assert user.status == "CONFIRMED"


def test_password_against_the_policy_is_refused_and_kept(api: APIClient, user: PoolUser) -> None:
    before = user.password

    response = api.post(
        f"{user_url(user)}password/", {"password": "weak", "permanent": True}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidPasswordException"
    user.refresh_from_db()
    assert user.password == before


def test_delete_removes_the_user(api: APIClient, user: PoolUser) -> None:
    response = api.delete(user_url(user))

    assert response.status_code == 204
    assert not PoolUser.objects.filter(pk=user.pk).exists()


def test_group_membership_is_added_listed_and_removed(api: APIClient, user: PoolUser) -> None:
    admins = make_group(pool=user.pool, name="admins")
    make_group(pool=user.pool, name="others")

    response = api.post(f"{user_url(user)}groups/", {"group": "admins"}, format="json")
    assert response.status_code == 204
    assert GroupMembership.objects.filter(user=user, group=admins).exists()

    body = api.get(f"{user_url(user)}groups/").json()
    assert [g["name"] for g in body["results"]] == ["admins"]
    assert body["next"] is None

    response = api.delete(f"{user_url(user)}groups/admins/")
    assert response.status_code == 204
    assert not GroupMembership.objects.filter(user=user).exists()


def test_groups_of_a_user_are_paged(api: APIClient, user: PoolUser) -> None:
    for name in ("g1", "g2", "g3"):
        api.post(f"{user_url(user)}groups/", {"group": make_group(pool=user.pool, name=name).name})

    first = api.get(f"{user_url(user)}groups/?limit=2").json()
    second = api.get(first["next"]).json()

    assert [g["name"] for g in first["results"] + second["results"]] == ["g1", "g2", "g3"]
    assert second["next"] is None


def test_another_pools_group_cannot_be_joined(api: APIClient, user: PoolUser) -> None:
    other = make_user_pool(name="other")
    make_group(pool=other, name="admins")

    response = api.post(f"{user_url(user)}groups/", {"group": "admins"}, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "ResourceNotFoundException"
    assert not GroupMembership.objects.exists()


def test_username_with_dots_and_at_signs_is_addressable(api: APIClient, pool: UserPool) -> None:
    user = make_user(pool=pool, username="first.last@example.com")

    response = api.get(user_url(user))

    assert response.status_code == 200
    assert response.json()["username"] == "first.last@example.com"
