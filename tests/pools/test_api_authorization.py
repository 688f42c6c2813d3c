"""Operators' permissions on the management API: the hole a staff member without permissions
walked through (DELETE of a pool, 204) is closed, and each group gets exactly what it grants."""

from __future__ import annotations

import base64
import json

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from identities.services.access_keys import access_key_set_policy
from pools.models import Group, PoolUser, UserPool
from tests.builders import make_access_key, make_operator, make_user, make_user_pool

pytestmark = pytest.mark.django_db

URL = "/api/v1/pools/"


def signed_in(username: str, *groups: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(
        user=make_operator(username=username, superuser=False, with_device=False, groups=groups)
    )
    return client


def assert_denied(response: object, action: str) -> None:
    assert response.status_code == 403  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["code"] == "AccessDeniedException"
    assert f"is not authorized to perform: {action} on resource: " in body["message"]


def test_a_staff_member_without_permissions_can_no_longer_delete_a_pool() -> None:
    pool = make_user_pool(name="customers")

    response = signed_in("sam").delete(f"{URL}{pool.pool_id}/")

    assert_denied(response, "cognito-idp:DeleteUserPool")
    assert UserPool.objects.filter(pk=pool.pk).exists()


def test_support_reads_everything_and_changes_nothing() -> None:
    pool = make_user_pool(name="customers")
    make_user(pool=pool, username="ana")
    support = signed_in("sue", "Support (read only)")
    users = f"{URL}{pool.pool_id}/users/"

    assert support.get(URL).status_code == 200
    assert support.get(f"{URL}{pool.pool_id}/").status_code == 200
    assert [u["username"] for u in support.get(users).json()["results"]] == ["ana"]
    assert_denied(support.post(URL, {"name": "mine"}, format="json"), "cognito-idp:CreateUserPool")
    assert_denied(
        support.post(users, {"username": "bob"}, format="json"), "cognito-idp:AdminCreateUser"
    )
    assert_denied(support.post(f"{users}ana/disable/"), "cognito-idp:AdminDisableUser")
    assert_denied(
        support.post(f"{URL}{pool.pool_id}/groups/", {"name": "admins"}, format="json"),
        "cognito-idp:CreateGroup",
    )

    assert list(UserPool.objects.values_list("name", flat=True)) == ["customers"]
    assert list(PoolUser.objects.values_list("username", "enabled")) == [("ana", True)]
    assert not Group.objects.exists()


def test_one_method_of_an_endpoint_may_be_allowed_and_another_not() -> None:
    pool = make_user_pool()
    make_user(pool=pool, username="ana")
    support = signed_in("sue", "Support (read only)")
    groups = f"{URL}{pool.pool_id}/users/ana/groups/"

    assert support.get(groups).status_code == 200
    assert_denied(
        support.post(groups, {"group": "admins"}, format="json"), "cognito-idp:AdminAddUserToGroup"
    )


def test_administrators_manage_pools() -> None:
    admin = signed_in("ada", "Administrators")

    created = admin.post(URL, {"name": "shop"}, format="json")
    pool_id = created.json()["id"]
    deleted = admin.delete(f"{URL}{pool_id}/")

    assert (created.status_code, deleted.status_code) == (201, 204)
    assert not UserPool.objects.exists()


def test_a_refusal_does_not_tell_whether_the_pool_exists() -> None:
    response = signed_in("sam").get(f"{URL}us-east-1_Missing00/")

    assert_denied(response, "cognito-idp:DescribeUserPool")


def test_a_key_policy_narrows_what_a_superusers_key_may_do_on_the_api(operator: User) -> None:
    mine = make_user_pool(name="mine")
    theirs = make_user_pool(name="theirs")
    key, secret = make_access_key(operator=operator)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "cognito-idp:*", "Resource": mine.arn}],
    }
    access_key_set_policy(key=key, policy=json.dumps(policy))
    client = APIClient()
    token = base64.b64encode(f"{key.access_key_id}:{secret}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {token}")

    assert client.get(f"{URL}{mine.pool_id}/users/").status_code == 200
    assert_denied(client.get(f"{URL}{theirs.pool_id}/users/"), "cognito-idp:ListUsers")
    assert_denied(client.get(URL), "cognito-idp:ListUserPools")


def test_without_credentials_the_answer_is_still_401() -> None:
    response = APIClient().get(URL)

    assert response.status_code == 401
    assert response.json()["code"] == "NotAuthorizedException"
