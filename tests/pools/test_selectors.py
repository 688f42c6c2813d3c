from __future__ import annotations

import uuid

import pytest
from pytest_django import DjangoAssertNumQueries

from pools.errors import UserNotFoundException
from pools.models import UserPool
from pools.selectors.users import user_get
from tests.builders import make_user, make_user_pool

pytestmark = pytest.mark.django_db


# user_get: what an Admin* operation's Username may be -------------------------------------------


def test_user_get_finds_a_username_with_the_pools_case_rule(pool: UserPool) -> None:
    user = make_user(pool=pool, username="Alice")
    strict = make_user_pool(name="strict", UsernameConfiguration={"CaseSensitive": True})
    strict_user = make_user(pool=strict, username="Alice")

    assert user_get(pool=pool, username="aLICE") == user
    assert user_get(pool=strict, username="Alice") == strict_user
    with pytest.raises(UserNotFoundException):
        user_get(pool=strict, username="alice")


def test_user_get_finds_the_email_or_phone_of_a_username_attributes_pool() -> None:
    pool = make_user_pool(UsernameAttributes=["email", "phone_number"])
    by_email = make_user(pool=pool, username="jo@example.com")
    by_phone = make_user(pool=pool, username="+15555550100")

    # Unverified is enough: in such a pool the email or phone number is the sign-in name.
    assert user_get(pool=pool, username="jo@example.com") == by_email
    assert user_get(pool=pool, username="+15555550100") == by_phone
    assert user_get(pool=pool, username=by_email.username) == by_email


def test_user_get_finds_a_verified_alias_and_a_preferred_username() -> None:
    pool = make_user_pool(AliasAttributes=["email", "phone_number", "preferred_username"])
    jo = make_user(
        pool=pool,
        username="jo",
        email="jo@example.com",
        email_verified="true",
        phone_number="+15555550100",
        phone_number_verified="true",
        preferred_username="jojo",
    )

    assert user_get(pool=pool, username="jo@example.com") == jo
    assert user_get(pool=pool, username="+15555550100") == jo
    assert user_get(pool=pool, username="jojo") == jo


def test_user_get_ignores_an_unverified_alias() -> None:
    pool = make_user_pool(AliasAttributes=["email"])
    make_user(pool=pool, username="jo", email="jo@example.com", email_verified="false")

    with pytest.raises(UserNotFoundException):
        user_get(pool=pool, username="jo@example.com")


def test_user_get_ignores_attributes_the_pool_does_not_sign_in_with(pool: UserPool) -> None:
    make_user(
        pool=pool,
        username="jo",
        email="jo@example.com",
        email_verified="true",
        preferred_username="jojo",
    )

    for name in ("jo@example.com", "jojo"):
        with pytest.raises(UserNotFoundException):
            user_get(pool=pool, username=name)


def test_user_get_finds_a_sub_in_any_case(pool: UserPool) -> None:
    user = make_user(pool=pool, username="jo")

    assert user_get(pool=pool, username=str(user.sub)) == user
    assert user_get(pool=pool, username=str(user.sub).upper()) == user


def test_a_username_wins_over_another_users_alias() -> None:
    pool = make_user_pool(AliasAttributes=["preferred_username"])
    named = make_user(pool=pool, username="jojo")
    aliased = make_user(pool=pool, username="jo", preferred_username="jojo")

    assert user_get(pool=pool, username="jojo") == named
    assert user_get(pool=pool, username="jo") == aliased


def test_a_preferred_username_wins_over_another_users_sub() -> None:
    pool = make_user_pool(AliasAttributes=["preferred_username"])
    target = make_user(pool=pool, username="target")
    aliased = make_user(pool=pool, username="jo", preferred_username=str(target.sub))

    assert user_get(pool=pool, username=str(target.sub)) == aliased


def test_user_get_never_finds_another_pools_user(pool: UserPool) -> None:
    other = make_user_pool(name="other", AliasAttributes=["email"])
    stranger = make_user(pool=other, username="jo", email="jo@example.com", email_verified="true")
    mine = make_user_pool(name="mine", AliasAttributes=["email"])

    for name in ("jo", "jo@example.com", str(stranger.sub)):
        with pytest.raises(UserNotFoundException):
            user_get(pool=mine, username=name)


def test_user_get_costs_at_most_two_queries_and_sets_the_pool(
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    pool = make_user_pool(AliasAttributes=["email", "phone_number", "preferred_username"])
    user = make_user(pool=pool, username="jo", email="jo@example.com", email_verified="true")

    with django_assert_max_num_queries(1):
        found = user_get(pool=pool, username="jo")
        assert found.pool is pool
    with django_assert_max_num_queries(2):
        assert user_get(pool=pool, username="jo@example.com") == user
    with django_assert_max_num_queries(2), pytest.raises(UserNotFoundException):
        user_get(pool=pool, username=str(uuid.uuid4()))
