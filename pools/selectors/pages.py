"""Keyset pages: every list of this app, on the AWS endpoint and the API alike."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

from cognitoadmin.pagination import decode_token, encode_token
from pools.errors import InvalidParameterException

_M = TypeVar("_M", bound=Model)

# Cognito's largest page, and the one a list gives when it is asked for none (or for 0), for every
# list but ListResourceServers (its own, smaller maximum is beside it).
MAX_PAGE_SIZE = 60


def keyset_page(
    queryset: QuerySet[_M], *, limit: int, next_token: str | None, scope: str
) -> tuple[list[_M], str | None]:
    """One page of `queryset` in primary-key order and the next page's token (None at the end).

    Keyset rather than offset pagination: a page costs the same at any depth and rows created or
    deleted meanwhile neither repeat nor vanish. `scope` names the list and its tenant, so a token
    is refused by any other list or pool.
    """
    if next_token is not None:
        after = decode_token(next_token, scope=scope).get("after")
        if not isinstance(after, int):
            raise InvalidParameterException("Invalid pagination token.")
        queryset = queryset.filter(pk__gt=after)
    rows = list(queryset.order_by("pk")[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_token({"after": rows[-1].pk}, scope=scope)
