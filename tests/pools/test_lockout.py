from __future__ import annotations

import datetime as dt

import pytest
from pytest_django import DjangoAssertNumQueries

from pools.errors import NotAuthorizedException
from pools.models import PoolUser
from pools.services.lockout import (
    lockout_check,
    lockout_duration,
    lockout_record_failure,
    lockout_record_success,
)
from tests.conftest import Clock

pytestmark = pytest.mark.django_db

# Where the `clock` fixture (tests/conftest.py) stops Django's clock.
START = dt.datetime(2030, 1, 1, 12, 0, 0, tzinfo=dt.UTC)


def _fail(user: PoolUser, times: int) -> None:
    for _ in range(times):
        lockout_record_failure(user=user)


def _stored(user: PoolUser) -> tuple[int, dt.datetime | None, dt.datetime | None]:
    row = PoolUser.objects.get(pk=user.pk)
    return row.failed_sign_in_count, row.last_failed_sign_in_at, row.locked_until


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(0, 0), (4, 0), (5, 1), (6, 2), (7, 4), (10, 32), (14, 512), (15, 900), (40, 900)],
)
def test_lockout_lasts_two_to_the_failures_past_five_seconds_up_to_15_minutes(
    failures: int, seconds: int
) -> None:
    assert lockout_duration(failures=failures) == dt.timedelta(seconds=seconds)


def test_four_failures_do_not_lock(user: PoolUser, clock: Clock) -> None:
    _fail(user, 4)
    lockout_check(user=user)
    assert _stored(user) == (4, START, None)


def test_the_fifth_failure_locks_for_one_second(user: PoolUser, clock: Clock) -> None:
    _fail(user, 5)
    assert _stored(user) == (5, START, START + dt.timedelta(seconds=1))
    with pytest.raises(NotAuthorizedException) as error:
        lockout_check(user=user)
    assert error.value.message == "Password attempts exceeded"
    clock.advance(seconds=1)
    lockout_check(user=user)


def test_each_further_failure_doubles_the_lockout(user: PoolUser, clock: Clock) -> None:
    _fail(user, 5)
    clock.advance(seconds=1)
    lockout_record_failure(user=user)
    assert _stored(user)[2] == clock.now + dt.timedelta(seconds=2)
    clock.advance(seconds=2)
    lockout_record_failure(user=user)
    assert _stored(user)[2] == clock.now + dt.timedelta(seconds=4)


def test_a_failure_during_the_lockout_does_not_count(user: PoolUser, clock: Clock) -> None:
    _fail(user, 5)
    before = _stored(user)
    clock.advance(seconds=0.5)
    lockout_record_failure(user=user)
    assert _stored(user) == before
    assert user.failed_sign_in_count == 5


def test_an_attempt_refused_during_the_lockout_changes_nothing(
    user: PoolUser, clock: Clock
) -> None:
    _fail(user, 6)
    before = _stored(user)
    with pytest.raises(NotAuthorizedException):
        lockout_check(user=user)
    assert _stored(user) == before


def test_fifteen_quiet_minutes_start_the_count_again(user: PoolUser, clock: Clock) -> None:
    _fail(user, 7)
    clock.advance(minutes=15)
    lockout_check(user=user)
    lockout_record_failure(user=user)
    assert _stored(user) == (1, clock.now, None)


def test_fewer_than_fifteen_quiet_minutes_keep_the_count(user: PoolUser, clock: Clock) -> None:
    _fail(user, 3)
    clock.advance(minutes=14, seconds=59)
    lockout_record_failure(user=user)
    assert _stored(user)[0] == 4


def test_the_lockout_grows_to_about_fifteen_minutes(user: PoolUser, clock: Clock) -> None:
    durations = []
    for _ in range(15):
        lockout_record_failure(user=user)
        if user.locked_until is not None:
            durations.append((user.locked_until - clock.now).total_seconds())
            clock.now = user.locked_until  # the next attempt comes as soon as it is allowed
    assert durations == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900]
    # Sitting out the longest lockout is also fifteen quiet minutes.
    lockout_record_failure(user=user)
    assert _stored(user) == (1, clock.now, None)


def test_a_correct_password_ends_the_count(user: PoolUser, clock: Clock) -> None:
    _fail(user, 6)
    clock.advance(seconds=2)
    lockout_record_success(user=user)
    assert _stored(user) == (0, None, None)
    assert user.failed_sign_in_count == 0


def test_a_success_without_failures_costs_no_query(
    user: PoolUser, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(0):
        lockout_record_success(user=user)


def test_failures_do_not_change_the_users_last_modified_date(user: PoolUser, clock: Clock) -> None:
    before = PoolUser.objects.get(pk=user.pk).updated_at
    clock.advance(minutes=1)
    _fail(user, 5)
    assert PoolUser.objects.get(pk=user.pk).updated_at == before
