from __future__ import annotations

import datetime as dt

import pytest

from pools.errors import (
    GroupExistsException,
    InvalidParameterException,
    LimitExceededException,
)
from pools.models import Group, UserPool
from pools.selectors.groups import groups_page
from pools.services.groups import MAX_GROUPS_PER_POOL, group_create, group_delete, group_update
from pools.shapes.groups import group_shape
from tests.builders import make_group, make_user_pool

pytestmark = pytest.mark.django_db

ROLE = "arn:aws:iam::123456789012:role/readers"


def _names(pool: UserPool) -> list[str]:
    return list(Group.objects.filter(pool=pool).values_list("name", flat=True))


def test_create_stores_every_member(pool: UserPool) -> None:
    group = group_create(
        pool=pool, name="admins", description="The admins", precedence=0, role_arn=ROLE
    )

    stored = Group.objects.get(pk=group.pk)
    assert (stored.name, stored.description, stored.precedence, stored.role_arn) == (
        "admins",
        "The admins",
        0,
        ROLE,
    )


def test_create_accepts_unicode_names(pool: UserPool) -> None:
    group = group_create(pool=pool, name="Équipe-€_1")

    assert group.name == "Équipe-€_1"


def test_shape_is_a_group_type_with_datetimes(pool: UserPool) -> None:
    group = group_create(pool=pool, name="admins", description="d", precedence=3, role_arn=ROLE)

    shape = group_shape(group)

    assert shape["GroupName"] == "admins"
    assert shape["UserPoolId"] == pool.pool_id
    assert (shape["Description"], shape["Precedence"], shape["RoleArn"]) == ("d", 3, ROLE)
    assert isinstance(shape["CreationDate"], dt.datetime)
    assert isinstance(shape["LastModifiedDate"], dt.datetime)


def test_shape_leaves_out_members_the_group_lacks(pool: UserPool) -> None:
    shape = group_shape(group_create(pool=pool, name="plain"))

    assert "Description" not in shape
    assert "RoleArn" not in shape
    assert "Precedence" not in shape


def test_create_rejects_a_name_in_use(pool: UserPool) -> None:
    make_group(pool=pool, name="admins", description="first")

    with pytest.raises(GroupExistsException):
        group_create(pool=pool, name="admins", description="second")

    assert _names(pool) == ["admins"]
    assert Group.objects.get(pool=pool).description == "first"


def test_the_same_name_is_free_in_another_pool(pool: UserPool) -> None:
    make_group(pool=pool, name="admins")
    other = make_user_pool(name="other")

    group_create(pool=other, name="admins")

    assert _names(other) == ["admins"]


@pytest.mark.parametrize(
    ("arguments", "member"),
    [
        ({"name": ""}, "groupName"),
        ({"name": "has space"}, "groupName"),
        ({"name": "x" * 129}, "groupName"),
        ({"name": "ok", "description": "d" * 2049}, "description"),
        ({"name": "ok", "precedence": -1}, "precedence"),
        ({"name": "ok", "role_arn": "not-an-arn-at-all-really"}, "roleArn"),
        ({"name": "ok", "role_arn": "arn:aws"}, "roleArn"),
    ],
)
def test_create_rejects_invalid_members(
    pool: UserPool, arguments: dict[str, object], member: str
) -> None:
    with pytest.raises(InvalidParameterException, match=f"at '{member}'"):
        group_create(pool=pool, **arguments)  # type: ignore[arg-type]

    assert _names(pool) == []


def test_create_accepts_the_longest_values(pool: UserPool) -> None:
    group = group_create(pool=pool, name="n" * 128, description="d" * 2048)

    assert len(group.name) == 128


def test_create_stops_at_ten_thousand_groups(pool: UserPool) -> None:
    Group.objects.bulk_create(
        Group(pool=pool, name=f"g{i}") for i in range(MAX_GROUPS_PER_POOL - 1)
    )
    group_create(pool=pool, name="last")

    with pytest.raises(LimitExceededException):
        group_create(pool=pool, name="one-too-many")

    assert Group.objects.filter(pool=pool).count() == MAX_GROUPS_PER_POOL
    assert not Group.objects.filter(name="one-too-many").exists()


def test_update_changes_only_the_members_given(pool: UserPool) -> None:
    group = make_group(pool=pool, name="admins", description="old", precedence=5, role_arn=ROLE)

    group_update(group=group, precedence=1)

    stored = Group.objects.get(pk=group.pk)
    assert (stored.description, stored.precedence, stored.role_arn) == ("old", 1, ROLE)

    group_update(group=stored, description="new", role_arn="")

    stored = Group.objects.get(pk=group.pk)
    assert (stored.description, stored.precedence, stored.role_arn) == ("new", 1, "")


def test_update_without_members_keeps_every_value(pool: UserPool) -> None:
    group = make_group(pool=pool, name="admins", description="d", precedence=2)

    group_update(group=group)

    stored = Group.objects.get(pk=group.pk)
    assert (stored.description, stored.precedence, stored.role_arn) == ("d", 2, "")


@pytest.mark.parametrize(
    "arguments",
    [
        {"description": "d" * 2049},
        {"precedence": -3},
        {"role_arn": "role/readers"},
    ],
)
def test_update_rejects_invalid_members(pool: UserPool, arguments: dict[str, object]) -> None:
    group = make_group(pool=pool, name="admins", description="d", precedence=2, role_arn=ROLE)

    with pytest.raises(InvalidParameterException):
        group_update(group=group, **arguments)  # type: ignore[arg-type]

    stored = Group.objects.get(pk=group.pk)
    assert (stored.description, stored.precedence, stored.role_arn) == ("d", 2, ROLE)


def test_delete_removes_only_that_group(pool: UserPool) -> None:
    doomed = make_group(pool=pool, name="doomed")
    make_group(pool=pool, name="kept")

    group_delete(group=doomed)

    assert _names(pool) == ["kept"]


def test_pages_cover_every_group_once(pool: UserPool) -> None:
    for i in range(7):
        make_group(pool=pool, name=f"g{i}")
    other = make_user_pool(name="other")
    make_group(pool=other, name="elsewhere")

    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        groups, token = groups_page(pool=pool, limit=3, next_token=token)
        seen += [g.name for g in groups]
        pages += 1
        if token is None:
            break

    assert seen == [f"g{i}" for i in range(7)]
    assert pages == 3


def test_no_token_when_the_last_page_is_exactly_full(pool: UserPool) -> None:
    for i in range(3):
        make_group(pool=pool, name=f"g{i}")

    groups, token = groups_page(pool=pool, limit=3, next_token=None)

    assert len(groups) == 3
    assert token is None


def test_limit_zero_means_sixty(pool: UserPool) -> None:
    Group.objects.bulk_create(Group(pool=pool, name=f"g{i}") for i in range(61))

    groups, token = groups_page(pool=pool, limit=0, next_token=None)

    assert len(groups) == 60
    assert token is not None


@pytest.mark.parametrize("limit", [-1, 61])
def test_limit_outside_zero_to_sixty_is_rejected(pool: UserPool, limit: int) -> None:
    with pytest.raises(InvalidParameterException, match="'limit'"):
        groups_page(pool=pool, limit=limit, next_token=None)


def test_a_token_from_another_pool_is_refused(pool: UserPool) -> None:
    other = make_user_pool(name="other")
    for i in range(3):
        make_group(pool=other, name=f"g{i}")
    _, token = groups_page(pool=other, limit=1, next_token=None)
    assert token is not None

    with pytest.raises(InvalidParameterException, match="pagination token"):
        groups_page(pool=pool, limit=1, next_token=token)


def test_a_tampered_token_is_refused(pool: UserPool) -> None:
    for i in range(3):
        make_group(pool=pool, name=f"g{i}")
    _, token = groups_page(pool=pool, limit=1, next_token=None)
    assert token is not None

    with pytest.raises(InvalidParameterException, match="pagination token"):
        groups_page(pool=pool, limit=1, next_token=token[:-2] + "xx")
