"""Cognito's quotas: how many of a kind of row a pool may hold, and per-user hourly limits on the
self-service operations that send or check codes and passwords.

Cognito caps, per user and per hour, how often a code may be requested or tried and a password
changed; past the cap it answers LimitExceededException until the hour has passed. The counters
live in Django's cache (Redis in production, so every web process shares them; local memory in
development) and are incremented atomically there.

A fixed clock hour would let a caller spend the whole allowance at 10:59 and again at 11:00, so
the count is a sliding window estimated from two fixed ones: this hour's count plus last hour's,
weighted by how much of last hour the sliding window still covers.
"""

from __future__ import annotations

import enum
import hashlib

from django.core.cache import cache
from django.db.models import Model, QuerySet
from django.utils import timezone

from pools.errors import LimitExceededException
from pools.models import PoolUser, UserPool


def pool_quota_check(*, pool: UserPool, rows: QuerySet[Model], limit: int, noun: str) -> None:
    """Refuse one more of `rows` (a pool's groups, clients, ...) once the pool holds `limit`.

    Called with the pool's row locked (`user_pool_locked`), so that two concurrent creations
    cannot both pass at the limit.
    """
    if rows.count() >= limit:
        raise LimitExceededException(
            f"The user pool {pool.pool_id} has reached its limit of {limit} {noun}."
        )


WINDOW_SECONDS = 3_600
ATTEMPT_LIMIT_MESSAGE = "Attempt limit exceeded, please try after some time."


class LimitedAction(enum.StrEnum):
    RESEND_CONFIRMATION_CODE = "ResendConfirmationCode"
    CONFIRM_SIGN_UP = "ConfirmSignUp"
    FORGOT_PASSWORD = "ForgotPassword"  # noqa: S105
    CONFIRM_FORGOT_PASSWORD = "ConfirmForgotPassword"  # noqa: S105
    CHANGE_PASSWORD = "ChangePassword"  # noqa: S105
    GET_USER_ATTRIBUTE_VERIFICATION_CODE = "GetUserAttributeVerificationCode"
    VERIFY_USER_ATTRIBUTE = "VerifyUserAttribute"


# Cognito's documented figures. ForgotPassword sends a code, so it gets the allowance of the other
# code sends; ConfirmForgotPassword (5 to 20 an hour in Cognito, by the risk it sees; this server
# rates no risk) gets the allowance of the other confirmations.
HOURLY_LIMITS: dict[LimitedAction, int] = {
    LimitedAction.RESEND_CONFIRMATION_CODE: 5,
    LimitedAction.CONFIRM_SIGN_UP: 15,
    LimitedAction.FORGOT_PASSWORD: 5,
    LimitedAction.CONFIRM_FORGOT_PASSWORD: 15,
    LimitedAction.CHANGE_PASSWORD: 5,
    LimitedAction.GET_USER_ATTRIBUTE_VERIFICATION_CODE: 5,
    LimitedAction.VERIFY_USER_ATTRIBUTE: 15,
}


def _subject(*, pool: UserPool, user: PoolUser | None, username: str) -> str:
    """Whom a counter belongs to: the user, whatever name they were addressed by; for a name that
    names nobody, the name itself, so that unknown users hit the limit exactly as known ones do
    (PreventUserExistenceErrors). Hashed: cache keys must not carry emails, spaces or length."""
    who = (
        f"user:{user.sub}"
        if user is not None
        else f"name:{pool.pool_id}:{pool.normalize_username(username)}"
    )
    return hashlib.sha256(who.encode("utf-8")).hexdigest()


def _counted(key: str) -> int:
    # add() is a no-op when the key exists, so concurrent first attempts cannot reset each other.
    cache.add(key, 0, timeout=2 * WINDOW_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:
        # The key expired between add() and incr(): this attempt opens the window again.
        cache.add(key, 1, timeout=2 * WINDOW_SECONDS)
        return 1


def attempt_record(
    *, action: LimitedAction, pool: UserPool, user: PoolUser | None, username: str = ""
) -> None:
    """Count one attempt at `action` by `user` (or by the unknown `username`), and refuse it with
    LimitExceededException when the last hour's attempts exceed Cognito's allowance.

    Refused attempts count too: a caller who keeps trying stays refused until they stop.
    """
    now = timezone.now().timestamp()
    window, into = divmod(now, WINDOW_SECONDS)
    prefix = f"limits:{action.value}:{_subject(pool=pool, user=user, username=username)}"
    current = _counted(f"{prefix}:{int(window)}")
    previous: int = cache.get(f"{prefix}:{int(window) - 1}", 0)
    estimate = current + previous * (1 - into / WINDOW_SECONDS)
    if estimate > HOURLY_LIMITS[action]:
        raise LimitExceededException(ATTEMPT_LIMIT_MESSAGE)
