"""Sign-in lockout, as Cognito documents it for every plan.

After five failed sign-in attempts a user is locked out for one second, and every further failure
doubles that, up to about fifteen minutes (2^(n-5) s for n failures). Attempts made while locked
out are refused with "Password attempts exceeded" and are not counted. Fifteen minutes without a
failure start the count again, and so does a correct password.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from pools.errors import NotAuthorizedException
from pools.models import PoolUser

LOCKOUT_THRESHOLD = 5
LOCKOUT_MAX = dt.timedelta(minutes=15)
LOCKOUT_QUIET_RESET = dt.timedelta(minutes=15)
LOCKED_OUT_MESSAGE = "Password attempts exceeded"

_LOCKOUT_FIELDS = ("failed_sign_in_count", "last_failed_sign_in_at", "locked_until")


def lockout_duration(*, failures: int) -> dt.timedelta:
    """How long `failures` consecutive failures lock a user out (zero below the threshold)."""
    if failures < LOCKOUT_THRESHOLD:
        return dt.timedelta(0)
    # 2^10 s is already past the cap, so larger exponents need not be computed.
    seconds = 2 ** min(failures - LOCKOUT_THRESHOLD, 10)
    return min(dt.timedelta(seconds=seconds), LOCKOUT_MAX)


def lockout_check(*, user: PoolUser) -> None:
    """Refuse the attempt while `user` is locked out; it does not count as a failure."""
    if user.locked_until is not None and timezone.now() < user.locked_until:
        raise NotAuthorizedException(LOCKED_OUT_MESSAGE)


@transaction.atomic
def lockout_record_failure(*, user: PoolUser) -> None:
    """Count one failed attempt (wrong password or SRP proof) and lock the user out past five.

    The count is read under a row lock, so concurrent failures are each counted once. One that
    lands while a concurrent failure has just locked the user is part of the lockout and does not
    count, as any attempt during a lockout.
    """
    now = timezone.now()
    row = PoolUser.objects.select_for_update().only("pk", *_LOCKOUT_FIELDS).get(pk=user.pk)
    if row.locked_until is None or now >= row.locked_until:
        quiet = row.last_failed_sign_in_at is None or (
            now - row.last_failed_sign_in_at >= LOCKOUT_QUIET_RESET
        )
        row.failed_sign_in_count = 1 if quiet else row.failed_sign_in_count + 1
        row.last_failed_sign_in_at = now
        duration = lockout_duration(failures=row.failed_sign_in_count)
        row.locked_until = now + duration if duration else None
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
