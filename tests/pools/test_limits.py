from __future__ import annotations

import pytest

from pools.errors import LimitExceededException
from pools.models import PoolUser, UserPool
from pools.services.limits import (
    ATTEMPT_LIMIT_MESSAGE,
    HOURLY_LIMITS,
    LimitedAction,
    attempt_record,
)
from tests.builders import make_user, make_user_pool
from tests.conftest import Clock

pytestmark = pytest.mark.django_db


def _spend(action: LimitedAction, *, pool: UserPool, user: PoolUser | None, times: int) -> None:
    for _ in range(times):
        attempt_record(action=action, pool=pool, user=user, username="nobody")


def _refused(action: LimitedAction, *, pool: UserPool, user: PoolUser | None) -> bool:
    try:
        attempt_record(action=action, pool=pool, user=user, username="nobody")
    except LimitExceededException as error:
        assert error.message == ATTEMPT_LIMIT_MESSAGE
        return True
    return False


def test_cognitos_hourly_allowances() -> None:
    assert HOURLY_LIMITS == {
        LimitedAction.RESEND_CONFIRMATION_CODE: 5,
        LimitedAction.CONFIRM_SIGN_UP: 15,
        LimitedAction.FORGOT_PASSWORD: 5,
        LimitedAction.CONFIRM_FORGOT_PASSWORD: 15,
        LimitedAction.CHANGE_PASSWORD: 5,
        LimitedAction.GET_USER_ATTRIBUTE_VERIFICATION_CODE: 5,
        LimitedAction.VERIFY_USER_ATTRIBUTE: 15,
    }


@pytest.mark.parametrize("action", list(LimitedAction))
def test_each_action_is_refused_past_its_hourly_allowance(
    clock: Clock, user: PoolUser, action: LimitedAction
) -> None:
    _spend(action, pool=user.pool, user=user, times=HOURLY_LIMITS[action])
    assert _refused(action, pool=user.pool, user=user)


def test_an_hour_later_the_allowance_is_back(clock: Clock, user: PoolUser) -> None:
    action = LimitedAction.CHANGE_PASSWORD
    _spend(action, pool=user.pool, user=user, times=5)
    clock.advance(minutes=59)
    assert _refused(action, pool=user.pool, user=user)
    clock.advance(hours=1, minutes=1)
    assert not _refused(action, pool=user.pool, user=user)


def test_the_window_slides_so_an_hours_edge_gives_no_second_allowance(
    clock: Clock, user: PoolUser
) -> None:
    action = LimitedAction.RESEND_CONFIRMATION_CODE
    clock.advance(minutes=59)  # 12:59
    _spend(action, pool=user.pool, user=user, times=5)
    clock.advance(minutes=2)  # 13:01: a fixed clock hour would start afresh here
    assert _refused(action, pool=user.pool, user=user)


def test_refused_attempts_count_so_a_caller_who_keeps_trying_stays_refused(
    clock: Clock, user: PoolUser
) -> None:
    action = LimitedAction.FORGOT_PASSWORD
    _spend(action, pool=user.pool, user=user, times=5)
    for _ in range(20):
        assert _refused(action, pool=user.pool, user=user)
    clock.advance(minutes=90)  # half of the refused hour still weighs on the next
    assert _refused(action, pool=user.pool, user=user)


def test_counters_are_per_user_and_per_action(clock: Clock, pool: UserPool) -> None:
    alice = make_user(pool=pool, username="alice")
    bob = make_user(pool=pool, username="bob")
    _spend(LimitedAction.CHANGE_PASSWORD, pool=pool, user=alice, times=5)
    assert _refused(LimitedAction.CHANGE_PASSWORD, pool=pool, user=alice)
    assert not _refused(LimitedAction.CHANGE_PASSWORD, pool=pool, user=bob)
    assert not _refused(LimitedAction.FORGOT_PASSWORD, pool=pool, user=alice)


def test_a_user_is_one_counter_whatever_name_addressed_them(clock: Clock, pool: UserPool) -> None:
    user = make_user(pool=pool, username="carol")
    for name in ("carol", "CAROL", "c@example.com", "x", "y"):
        attempt_record(action=LimitedAction.FORGOT_PASSWORD, pool=pool, user=user, username=name)
    assert _refused(LimitedAction.FORGOT_PASSWORD, pool=pool, user=user)


def test_unknown_names_are_limited_like_users_so_the_limit_reveals_nothing(
    clock: Clock, pool: UserPool
) -> None:
    for name in ("ghost", "GHOST", "Ghost", "ghost", "gHost"):
        attempt_record(action=LimitedAction.FORGOT_PASSWORD, pool=pool, user=None, username=name)
    with pytest.raises(LimitExceededException):
        attempt_record(action=LimitedAction.FORGOT_PASSWORD, pool=pool, user=None, username="ghost")
    # Another unknown name, or the same name in another pool, has its own counter.
    attempt_record(action=LimitedAction.FORGOT_PASSWORD, pool=pool, user=None, username="spook")
    other = make_user_pool(name="other")
    attempt_record(action=LimitedAction.FORGOT_PASSWORD, pool=other, user=None, username="ghost")


def test_names_that_are_not_cache_safe_are_counted_without_warnings(
    clock: Clock, pool: UserPool, recwarn: pytest.WarningsRecorder
) -> None:
    name = "a name with spaces " + "x" * 300
    for _ in range(15):
        attempt_record(action=LimitedAction.CONFIRM_SIGN_UP, pool=pool, user=None, username=name)
    with pytest.raises(LimitExceededException):
        attempt_record(action=LimitedAction.CONFIRM_SIGN_UP, pool=pool, user=None, username=name)
    assert not recwarn.list
