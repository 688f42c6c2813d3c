"""Reads of a user's authentication events, newest first."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from cognitoadmin.pagination import decode_token, encode_token
from pools.errors import InvalidParameterException
from pools.models import AuthEvent, PoolUser
from pools.selectors.pages import MAX_PAGE_SIZE

# The admin's user page shows this many of the newest.
RECENT_AUTH_EVENTS = 50


def auth_events_of(*, user: PoolUser) -> QuerySet[AuthEvent]:
    """The user's events, newest first (the order of the (user, -created, -id) index)."""
    return AuthEvent.objects.filter(user=user).order_by("-created", "-id")


def auth_events_page(
    *, user: PoolUser, max_results: int | None, next_token: str | None
) -> tuple[list[AuthEvent], str | None]:
    """AdminListUserAuthEvents: a page of the user's events, newest first, and the next page's
    token (None at the end). MaxResults 0 or absent is Cognito's 60. A keyset on (created, id)
    rather than `keyset_page`'s primary key alone, as the newest come first."""
    limit = max_results or MAX_PAGE_SIZE
    scope = f"auth-events:{user.pool_id}:{user.pk}"
    events = auth_events_of(user=user)
    if next_token is not None:
        before = decode_token(next_token, scope=scope).get("before")
        if not (
            isinstance(before, list)
            and len(before) == 2
            and isinstance(before[0], str)
            and isinstance(before[1], int)
        ):
            raise InvalidParameterException("Invalid pagination token.")
        try:
            created = dt.datetime.fromisoformat(before[0])
        except ValueError:
            raise InvalidParameterException("Invalid pagination token.") from None
        events = events.filter(Q(created__lt=created) | Q(created=created, id__lt=before[1]))
    rows = list(events[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_token({"before": [last.created.isoformat(), last.pk]}, scope=scope)
