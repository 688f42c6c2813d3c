"""Sign-in lockout, as Cognito documents it for every plan.

After five failed sign-in attempts a user is locked out for one second, and every further failure
doubles that, up to about fifteen minutes (2^(n-5) s for n failures). Attempts made while locked
out are refused with "Password attempts exceeded" and are not counted. Fifteen minutes without a
failure start the count again, and so does a correct password.

A name that names nobody, asked through an app client that hides user existence
(PreventUserExistenceErrors ENABLED), walks the same schedule with the same answers: otherwise the
sixth wrong password would tell that a name exists. Its count is kept in Django's cache (Redis in
production, shared by every process), keyed on the pool and the name as the pool normalizes it, and
never in the database. An entry holds its own timestamps, compared with `timezone.now()` as the
rows' are, and expires from the cache once the quiet window has passed, so entries for names tried
once by a scanner do not outlive the window: the cache holds at most the names failed in the last
fifteen minutes.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from pools.errors import NotAuthorizedException
from pools.models import PoolUser, UserPool

LOCKOUT_THRESHOLD = 5
LOCKOUT_MAX = dt.timedelta(minutes=15)
LOCKOUT_QUIET_RESET = dt.timedelta(minutes=15)
LOCKED_OUT_MESSAGE = "Password attempts exceeded"

_LOCKOUT_FIELDS = ("failed_sign_in_count", "last_failed_sign_in_at", "locked_until")

# Unknown names: the cache key's prefix.
_UNKNOWN_KEY_PREFIX = "lockout:unknown:"

# count, last failure, locked until (None when not locked out)
_Count = tuple[int, dt.datetime | None, dt.datetime | None]


def lockout_duration(*, failures: int) -> dt.timedelta:
    """How long `failures` consecutive failures lock a user out (zero below the threshold)."""
    if failures < LOCKOUT_THRESHOLD:
        return dt.timedelta(0)
    # 2^10 s is already past the cap, so larger exponents need not be computed.
    seconds = 2 ** min(failures - LOCKOUT_THRESHOLD, 10)
    return min(dt.timedelta(seconds=seconds), LOCKOUT_MAX)


def lockout_check(*, user: PoolUser) -> None:
    """Refuse the attempt while `user` is locked out; it does not count as a failure."""
    # The cache read an unknown name's check makes (`lockout_check_unknown`), made for a user
    # too: the two checks then cost the same, and their time tells nothing.
    cache.get(lockout_unknown_key(pool=user.pool, username=user.username))
    if _is_locked(user.locked_until, timezone.now()):
        raise NotAuthorizedException(LOCKED_OUT_MESSAGE)


def _is_locked(locked_until: dt.datetime | None, now: dt.datetime) -> bool:
    return locked_until is not None and now < locked_until


def _quiet(last_failed_at: dt.datetime | None, now: dt.datetime) -> bool:
    """No failure for the quiet window: the count starts again."""
    return last_failed_at is None or now - last_failed_at >= LOCKOUT_QUIET_RESET


def _failure_counted(count: _Count, now: dt.datetime) -> _Count | None:
    """The count after one more failure at `now`, or None when the failure lands during a lockout
    and does not count. The one rule for users and unknown names alike."""
    failures, last_failed_at, locked_until = count
    if _is_locked(locked_until, now):
        return None
    failures = 1 if _quiet(last_failed_at, now) else failures + 1
    duration = lockout_duration(failures=failures)
    return failures, now, (now + duration if duration else None)


@transaction.atomic
def lockout_record_failure(*, user: PoolUser) -> None:
    """Count one failed attempt (wrong password or SRP proof) and lock the user out past five.

    The count is read under a row lock, so concurrent failures are each counted once. One that
    lands while a concurrent failure has just locked the user is part of the lockout and does not
    count, as any attempt during a lockout.
    """
    row = PoolUser.objects.select_for_update().only("pk", *_LOCKOUT_FIELDS).get(pk=user.pk)
    counted = _failure_counted(
        (row.failed_sign_in_count, row.last_failed_sign_in_at, row.locked_until), timezone.now()
    )
    if counted is not None:
        row.failed_sign_in_count, row.last_failed_sign_in_at, row.locked_until = counted
        # Not `updated_at`: a failed sign-in is no change to the user.
        row.save(update_fields=list(_LOCKOUT_FIELDS))
    for field in _LOCKOUT_FIELDS:
        setattr(user, field, getattr(row, field))


def lockout_record_success(*, user: PoolUser) -> None:
    """A correct password ends the count; a user with no failures costs no write."""
    if not user.failed_sign_in_count and user.locked_until is None:
        return
    PoolUser.objects.filter(pk=user.pk).update(
        failed_sign_in_count=0, last_failed_sign_in_at=None, locked_until=None
    )
    user.failed_sign_in_count = 0
    user.last_failed_sign_in_at = None
    user.locked_until = None


# --- names that name nobody (PreventUserExistenceErrors ENABLED) ------------------------------


def lockout_unknown_key(*, pool: UserPool, username: str) -> str:
    """The cache key of an unknown name's count: the pool and the name as the pool compares
    names, hashed (cache keys must not carry emails, spaces or length)."""
    name = f"{pool.pool_id}:{pool.normalize_username(username)}"
    return _UNKNOWN_KEY_PREFIX + hashlib.sha256(name.encode("utf-8")).hexdigest()


def _unknown_count(key: str) -> _Count:
    """An unknown name's count as stored; (0, None, None) once the quiet window has passed, by
    Django's clock, whether or not the cache has dropped the entry yet."""
    stored = cache.get(key)
    if stored is None:
        return 0, None, None
    failures, last_failed_at, locked_until = stored
    if _quiet(last_failed_at, timezone.now()):
        return 0, None, None
    return failures, last_failed_at, locked_until


def lockout_check_unknown(*, pool: UserPool, username: str) -> None:
    """`lockout_check` for a name that names nobody: refused while its failures lock it out."""
    _failures, _last, locked_until = _unknown_count(
        lockout_unknown_key(pool=pool, username=username)
    )
    if _is_locked(locked_until, timezone.now()):
        raise NotAuthorizedException(LOCKED_OUT_MESSAGE)


def lockout_record_failure_unknown(*, pool: UserPool, username: str) -> None:
    """`lockout_record_failure` for a name that names nobody: the same count, in the cache. The
    entry expires from the cache with the quiet window, which every counted failure restarts."""
    key = lockout_unknown_key(pool=pool, username=username)
    # Read and written without a lock: of failures at the same moment one may go uncounted,
    # which a flood of them makes up for at once, and two cache round trips fewer keep this
    # as fast as a user's counted failure.
    counted = _failure_counted(_unknown_count(key), timezone.now())
    if counted is not None:
        cache.set(key, counted, timeout=LOCKOUT_QUIET_RESET.total_seconds())
