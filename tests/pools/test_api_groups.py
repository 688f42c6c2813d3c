"""Management API: groups of a pool (/api/v1/pools/{pool_id}/groups/)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from pools.models import Group, PoolUser, UserPool
from pools.services.users import user_add_to_group
from tests.builders import make_group, make_user, make_user_pool

pytestmark = pytest.mark.django_db


def groups_url(pool: UserPool) -> str:
    return f"/api/v1/pools/{pool.pool_id}/groups/"


def group_url(group: Group) -> str:
    return f"{groups_url(group.pool)}{group.name}/"


def test_create_returns_the_group(api: APIClient, pool: UserPool) -> None:
    response = api.post(
        groups_url(pool),
        {
            "name": "admins",
            "description": "Administrators",
            "precedence": 1,
            "role_arn": "arn:aws:iam::123456789012:role/admin",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "admins"
    assert body["precedence"] == 1
    assert body["role_arn"] == "arn:aws:iam::123456789012:role/admin"
    group = Group.objects.get(pool=pool, name="admins")
    assert group.description == "Administrators"


def test_create_of_an_existing_name_is_a_conflict(api: APIClient, pool: UserPool) -> None:
    make_group(pool=pool, name="admins", description="first")

    response = api.post(groups_url(pool), {"name": "admins"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "GroupExistsException"
    assert Group.objects.get(pool=pool).description == "first"


def test_create_with_a_negative_precedence_creates_nothing(api: APIClient, pool: UserPool) -> None:
    response = api.post(groups_url(pool), {"name": "admins", "precedence": -1}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterException"
    assert not Group.objects.exists()


def test_list_pages_through_the_groups(api: APIClient, pool: UserPool) -> None:
    names = [make_group(pool=pool, name=f"g{i}").name for i in range(5)]

    seen: list[str] = []
    url: str | None = f"{groups_url(pool)}?limit=2"
    while url:
        body = api.get(url).json()
        seen += [g["name"] for g in body["results"]]
        url = body["next"]

    assert seen == names


def test_a_cursor_from_another_pool_is_refused(api: APIClient, pool: UserPool) -> None:
    other = make_user_pool(name="other")
    for i in range(3):
        make_group(pool=pool, name=f"g{i}")
        make_group(pool=other, name=f"g{i}")
    next_url = api.get(f"{groups_url(pool)}?limit=1").json()["next"]

    response = api.get(next_url.replace(pool.pool_id, other.pool_id))

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterException"


def test_retrieve_returns_the_group(api: APIClient, pool: UserPool) -> None:
    group = make_group(pool=pool, name="admins", precedence=3)

    body = api.get(group_url(group)).json()

    assert body["name"] == "admins"
    assert body["precedence"] == 3


def test_another_pools_group_is_not_found(api: APIClient, pool: UserPool) -> None:
    make_group(pool=pool, name="admins", description="kept")
    other = make_user_pool(name="other")

    for method in ("get", "patch", "delete"):
        response = getattr(api, method)(f"{groups_url(other)}admins/", {}, format="json")
        assert response.status_code == 404
        assert response.json()["code"] == "ResourceNotFoundException"

    assert Group.objects.get(pool=pool).description == "kept"


def test_patch_changes_only_the_members_sent(api: APIClient, pool: UserPool) -> None:
    group = make_group(pool=pool, name="admins", description="Admins", precedence=2)

    response = api.patch(group_url(group), {"precedence": 5}, format="json")

    assert response.status_code == 200, response.json()
    group.refresh_from_db()
    assert group.precedence == 5
    assert group.description == "Admins"


def test_patch_with_a_bad_value_changes_nothing(api: APIClient, pool: UserPool) -> None:
    group = make_group(pool=pool, name="admins", description="Admins")

    response = api.patch(group_url(group), {"description": "x" * 2049}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterException"
    group.refresh_from_db()
    assert group.description == "Admins"


def test_delete_removes_the_group(api: APIClient, pool: UserPool) -> None:
    group = make_group(pool=pool, name="admins")

    response = api.delete(group_url(group))

    assert response.status_code == 204
    assert not Group.objects.filter(pk=group.pk).exists()


def test_users_in_a_group_are_listed(api: APIClient, user: PoolUser) -> None:
    group = make_group(pool=user.pool, name="admins")
    user_add_to_group(user=user, group=group)
    make_user(pool=user.pool, username="outsider")

    body = api.get(f"{group_url(group)}users/").json()

    assert [u["username"] for u in body["results"]] == ["alice"]
    assert body["next"] is None


def test_create_from_the_browsable_apis_html_form(api: APIClient, pool: UserPool) -> None:
    response = api.post(
        groups_url(pool), {"name": "admins", "description": "", "csrfmiddlewaretoken": "token"}
    )

    assert response.status_code == 201, response.json()
    assert Group.objects.filter(pool=pool, name="admins").exists()
