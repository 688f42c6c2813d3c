"""AWS endpoint, boto3 against a live server: groups and their members."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pools.models import Group, GroupMembership, UserPool
from pools.services.users import user_add_to_group
from tests.builders import make_group, make_user, make_user_pool

pytestmark = pytest.mark.django_db

NOWHERE = "us-east-1_nothere12"
ROLE = "arn:aws:iam::000000000000:role/readers"


def _message(error: pytest.ExceptionInfo[ClientError]) -> str:
    message: str = error.value.response["Error"]["Message"]
    return message


def _groups() -> list[dict[str, Any]]:
    return [dict(row) for row in Group.objects.order_by("pk").values()]


def _memberships() -> list[tuple[int, int]]:
    return list(GroupMembership.objects.order_by("pk").values_list("user_id", "group_id"))


def _walk(idp: Any, operation: str, member: str, **params: Any) -> list[Any]:
    """Every page through boto3's paginator, one item a page; the last page has no token."""
    paginator = idp.get_paginator(operation)
    pages = list(paginator.paginate(**params, PaginationConfig={"PageSize": 1}))
    assert "NextToken" not in pages[-1]
    return [item for page in pages for item in page[member]]


def test_create_get_update_and_delete_a_group(idp: Any, pool: UserPool) -> None:
    created = idp.create_group(
        UserPoolId=pool.pool_id,
        GroupName="readers",
        Description="Read only",
        Precedence=5,
        RoleArn=ROLE,
    )["Group"]

    assert created == {
        "GroupName": "readers",
        "UserPoolId": pool.pool_id,
        "Description": "Read only",
        "RoleArn": ROLE,
        "Precedence": 5,
        "LastModifiedDate": created["LastModifiedDate"],
        "CreationDate": created["CreationDate"],
    }
    assert isinstance(created["CreationDate"], dt.datetime)
    ids = {"UserPoolId": pool.pool_id, "GroupName": "readers"}
    assert idp.get_group(**ids)["Group"] == created

    updated = idp.update_group(**ids, Description="Readers", Precedence=1)["Group"]
    assert (updated["Description"], updated["Precedence"], updated["RoleArn"]) == (
        "Readers",
        1,
        ROLE,
    )
    assert idp.get_group(**ids)["Group"] == updated

    idp.delete_group(**ids)
    assert not Group.objects.exists()
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.get_group(**ids)


def test_group_errors_change_nothing(idp: Any, pool: UserPool, monkeypatch: Any) -> None:
    make_group(pool=pool, name="readers", description="Read only")
    other = make_user_pool(name="other")
    make_group(pool=other, name="writers")
    before = _groups()

    with pytest.raises(idp.exceptions.GroupExistsException):
        idp.create_group(UserPoolId=pool.pool_id, GroupName="readers")
    with pytest.raises(idp.exceptions.InvalidParameterException) as error:
        idp.create_group(
            UserPoolId=pool.pool_id, GroupName="g", RoleArn="arn:aws:not a role arn at all"
        )
    assert "'roleArn'" in _message(error)
    with pytest.raises(idp.exceptions.InvalidParameterException) as error:
        idp.update_group(UserPoolId=pool.pool_id, GroupName="readers", Description="x" * 2049)
    assert "'description'" in _message(error)
    monkeypatch.setattr("pools.services.groups.MAX_GROUPS_PER_POOL", 1)
    with pytest.raises(idp.exceptions.LimitExceededException):
        idp.create_group(UserPoolId=pool.pool_id, GroupName="more")
    # Another pool's group is not found from this pool, whatever the call.
    for call in (idp.get_group, idp.update_group, idp.delete_group):
        with pytest.raises(idp.exceptions.ResourceNotFoundException):
            call(UserPoolId=pool.pool_id, GroupName="writers")
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.create_group(UserPoolId=NOWHERE, GroupName="new")

    assert _groups() == before


def test_list_groups_pages_through_the_pools_groups(idp: Any, pool: UserPool) -> None:
    names = [make_group(pool=pool, name=f"g{i}").name for i in range(3)]
    make_group(pool=make_user_pool(name="other"), name="elsewhere")

    groups = _walk(idp, "list_groups", "Groups", UserPoolId=pool.pool_id)

    assert [g["GroupName"] for g in groups] == names
    assert isinstance(groups[0]["CreationDate"], dt.datetime)


def test_members_are_added_listed_and_removed(idp: Any, pool: UserPool) -> None:
    alias_pool = make_user_pool(name="aliases", AliasAttributes=["email"])
    jo = make_user(pool=alias_pool, username="jo", email="jo@example.com", email_verified="true")
    al = make_user(pool=alias_pool, username="al")
    groups = [make_group(pool=alias_pool, name=f"g{i}") for i in range(3)]
    ids = {"UserPoolId": alias_pool.pool_id}

    for group in groups:
        # A verified alias names the user too; adding twice changes nothing.
        idp.admin_add_user_to_group(**ids, Username="jo@example.com", GroupName=group.name)
    idp.admin_add_user_to_group(**ids, Username="jo", GroupName="g0")
    idp.admin_add_user_to_group(**ids, Username="al", GroupName="g0")

    members = _walk(idp, "list_users_in_group", "Users", **ids, GroupName="g0")
    assert [u["Username"] for u in members] == ["jo", "al"]
    assert isinstance(members[0]["UserCreateDate"], dt.datetime)
    jos_groups = _walk(idp, "admin_list_groups_for_user", "Groups", **ids, Username="jo")
    assert [g["GroupName"] for g in jos_groups] == ["g0", "g1", "g2"]

    idp.admin_remove_user_from_group(**ids, Username="jo", GroupName="g1")
    idp.admin_remove_user_from_group(**ids, Username="jo", GroupName="g1")
    assert set(GroupMembership.objects.values_list("user", "group__name")) == {
        (jo.pk, "g0"),
        (jo.pk, "g2"),
        (al.pk, "g0"),
    }


def test_membership_errors_change_nothing(idp: Any, pool: UserPool, monkeypatch: Any) -> None:
    user = make_user(pool=pool, username="jo")
    mine = make_group(pool=pool, name="mine")
    user_add_to_group(user=user, group=mine)
    make_group(pool=pool, name="spare")
    other = make_user_pool(name="other")
    make_user(pool=other, username="stranger")
    make_group(pool=other, name="theirs")
    before = _memberships()
    ids = {"UserPoolId": pool.pool_id}

    for change in (idp.admin_add_user_to_group, idp.admin_remove_user_from_group):
        with pytest.raises(idp.exceptions.UserNotFoundException):
            change(**ids, Username="stranger", GroupName="mine")
        with pytest.raises(idp.exceptions.ResourceNotFoundException):
            change(**ids, Username="jo", GroupName="theirs")
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_list_groups_for_user(**ids, Username="stranger")
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.list_users_in_group(**ids, GroupName="theirs")
    with pytest.raises(idp.exceptions.InvalidParameterException) as error:
        idp.list_users_in_group(**ids, GroupName="mine", Limit=61)
    assert "'limit'" in _message(error)
    monkeypatch.setattr("pools.services.users.MAX_GROUPS_PER_USER", 1)
    with pytest.raises(idp.exceptions.LimitExceededException):
        idp.admin_add_user_to_group(**ids, Username="jo", GroupName="spare")

    assert _memberships() == before
