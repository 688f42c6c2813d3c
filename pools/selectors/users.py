"""Pool users: the user a request names, and the users of a pool (ListUsers, with Cognito's filter
language) or of a group, in pages.

Pages are keyset pages in id order (never OFFSET, never COUNT(*)). A filter becomes one condition
on an indexed (pool, column) pair: `=` an equality, `^=` a `LIKE 'prefix%'` that PostgreSQL serves
from the varchar_pattern_ops index. A page therefore costs the same whatever the pool's size.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Q, QuerySet, When
from django.db.models.functions import Substr
from django.db.models.lookups import Exact

from cognitoadmin.awsmodel import model_validate
from pools.errors import (
    InvalidParameterException,
    UserNotFoundException,
)
from pools.models import (
    STANDARD_ATTRIBUTE_COLUMNS,
    AppClient,
    Group,
    PoolUser,
    UserPool,
    UserStatus,
)
from pools.selectors.pages import MAX_PAGE_SIZE, keyset_page
from pools.selectors.pools import schema_attributes

# The attribute and ID-token claim that list a user's external identities (FederatedIdentity).
IDENTITIES_ATTRIBUTE = "identities"


def user_get(*, pool: UserPool, username: str) -> PoolUser:
    """The user of `pool` that an Admin* operation's `Username` names.

    As botocore documents it: the username (with the pool's case rule); else a sign-in name, that
    is the email or phone number of a UsernameAttributes pool, or in an alias pool a verified
    email or phone number or the preferred_username; else the user's `sub`. Two indexed queries
    at most: the username, then every other reading of the name at once.
    """
    users = pool.users.all()  # the related manager sets `user.pool`, saving a query later
    user = users.filter(username_key=pool.normalize_username(username)).first()
    if user is not None:
        return user
    readings = _other_user_readings(pool=pool, name=username)
    if readings:
        # Each arm of the OR repeats the pool, so that each can use its own (pool, column) index.
        condition = Q()
        for reading in readings:
            condition |= Q(pool=pool) & reading
        # Sign-in names are unique per pool, so at most one user per reading; if two readings
        # match different users, the earlier reading wins.
        rank = Case(*(When(reading, then=index) for index, reading in enumerate(readings)))
        user = users.filter(condition).annotate(reading=rank).order_by("reading").first()
        if user is not None:
            return user
    raise UserNotFoundException()


# Users of an external provider hold no sign-in names: their email may be a local user's too.
_HOLDS_SIGN_IN_NAMES = ~Q(status=UserStatus.EXTERNAL_PROVIDER)


def _other_user_readings(*, pool: UserPool, name: str) -> list[Q]:
    """The conditions under which `name`, when not a username, names a user, in priority order."""
    readings = [
        Q(**{attribute: name}) & _HOLDS_SIGN_IN_NAMES for attribute in pool.username_attributes
    ]
    for attribute in pool.alias_attributes:
        if attribute == "preferred_username":
            readings.append(Q(preferred_username=name) & _HOLDS_SIGN_IN_NAMES)
        else:
            readings.append(
                Q(**{attribute: name, f"{attribute}_verified": True}) & _HOLDS_SIGN_IN_NAMES
            )
    with contextlib.suppress(ValueError):
        readings.append(Q(sub=uuid.UUID(name)))
    return readings


FILTER_MAX_LENGTH = 256


# Searchable attributes and the column each is served by (Cognito's documented list).
_FILTER_COLUMNS = {
    "username": "username",
    "email": "email",
    "phone_number": "phone_number",
    "name": "name",
    "given_name": "given_name",
    "family_name": "family_name",
    "preferred_username": "preferred_username",
    "cognito:user_status": "status",
    "status": "enabled",
    "sub": "sub",
}


_ENABLED_VALUES = {"Enabled": True, "Disabled": False}


_HEX = frozenset("0123456789abcdef-")


_ATTRIBUTE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:")


@dataclass(frozen=True)
class UserFilter:
    attribute: str
    prefix: bool  # `^=` rather than `=`
    value: str


def _filter_error() -> InvalidParameterException:
    """AWS's words for every malformed filter, with no detail (as quoted from real responses in
    aws/aws-sdk-php#1088 and aws/aws-aspnet-cognito-identity-provider#235)."""
    return InvalidParameterException("Error while parsing filter.")


def _skip_spaces(expression: str, at: int) -> int:
    while at < len(expression) and expression[at].isspace():
        at += 1
    return at


def _quoted_value(expression: str, at: int) -> tuple[str, int]:
    """The value of the double-quoted string opening at `at`, and the index after it."""
    if at >= len(expression) or expression[at] != '"':
        raise _filter_error()
    value: list[str] = []
    at += 1
    while at < len(expression):
        char = expression[at]
        if char == '"':
            return "".join(value), at + 1
        if char == "\\":
            if at + 1 >= len(expression) or expression[at + 1] not in '"\\':
                raise _filter_error()
            char = expression[at + 1]
            at += 1
        value.append(char)
        at += 1
    raise _filter_error()


def user_filter_parse(expression: str) -> UserFilter | None:
    """Parse `AttributeName Filter-Type "AttributeValue"`; None for an empty filter (every user).

    Whitespace may surround the name, the operator and the value. Inside the value, `\\"` is a
    double quote and `\\\\` a backslash.
    """
    if len(expression) > FILTER_MAX_LENGTH:
        raise InvalidParameterException(
            "1 validation error detected: Value at 'filter' failed to satisfy constraint: "
            f"Member must have length less than or equal to {FILTER_MAX_LENGTH}"
        )
    at = _skip_spaces(expression, 0)
    if at == len(expression):
        return None
    start = at
    while at < len(expression) and expression[at] in _ATTRIBUTE_CHARS:
        at += 1
    attribute = expression[start:at]
    if not attribute:
        raise _filter_error()
    if attribute not in _FILTER_COLUMNS:
        # moto (#4407) and cognito-local reproduce AWS's words for a name outside the list.
        raise InvalidParameterException(f"Invalid search attribute: {attribute}")
    at = _skip_spaces(expression, at)
    if expression.startswith("^=", at):
        prefix, at = True, at + 2
    elif expression.startswith("=", at):
        prefix, at = False, at + 1
    else:
        raise _filter_error()
    value, at = _quoted_value(expression, _skip_spaces(expression, at))
    if _skip_spaces(expression, at) != len(expression):
        raise _filter_error()
    return UserFilter(attribute=attribute, prefix=prefix, value=value)


def _matching(names: dict[str, Any], user_filter: UserFilter, *, fold: bool) -> list[Any]:
    """The stored values whose names match the filter, for attributes with a few fixed values."""

    def normal(text: str) -> str:
        return text.upper() if fold else text

    wanted = normal(user_filter.value)
    return [
        stored
        for name, stored in names.items()
        if (normal(name).startswith(wanted) if user_filter.prefix else normal(name) == wanted)
    ]


def _filtered(users: QuerySet[PoolUser], user_filter: UserFilter | None) -> QuerySet[PoolUser]:
    if user_filter is None:
        return users
    column = _FILTER_COLUMNS[user_filter.attribute]
    if column == "status":
        statuses = {status.value: status.value for status in UserStatus}
        return users.filter(status__in=_matching(statuses, user_filter, fold=True))
    if column == "enabled":
        return users.filter(enabled__in=_matching(_ENABLED_VALUES, user_filter, fold=False))
    if column == "sub":
        return _sub_filtered(users, user_filter)
    return _text_filtered(users, column, user_filter)


def _text_filtered(
    users: QuerySet[PoolUser], column: str, user_filter: UserFilter
) -> QuerySet[PoolUser]:
    value = user_filter.value
    if value == "":
        # Cognito stores no empty values: `= ""` matches nobody, `^= ""` anybody who has one.
        return users.exclude(**{column: ""}) if user_filter.prefix else users.none()
    if not user_filter.prefix:
        return users.filter(**{column: value})
    # The LIKE of `startswith` is what PostgreSQL's pattern index serves, but SQLite's LIKE ignores
    # ASCII case; comparing the leading characters too keeps the match case-sensitive on both.
    return users.filter(**{f"{column}__startswith": value}).filter(
        Exact(Substr(column, 1, len(value)), value)
    )


def _sub_filtered(users: QuerySet[PoolUser], user_filter: UserFilter) -> QuerySet[PoolUser]:
    value = user_filter.value.lower()
    if not user_filter.prefix:
        try:
            return users.filter(sub=uuid.UUID(value))
        except ValueError:
            return users.none()
    if not set(value) <= _HEX:
        return users.none()
    return users.filter(sub__startswith=value)


def users_page(
    *,
    pool: UserPool,
    filter: str = "",
    limit: int | None = MAX_PAGE_SIZE,
    pagination_token: str | None = None,
    attributes_to_get: Sequence[str] | None = None,
) -> tuple[list[PoolUser], str | None]:
    """ListUsers: one page of the pool's users matching `filter`, and the next page's token.

    A token is valid only for the pool and the filter it was issued for. With `attributes_to_get`
    (the caller then shows only those attributes), Cognito's documented rule applies: each must be
    an attribute of the pool that every user on the page has a value for.
    """
    model_validate(
        "ListUsers",
        {
            "UserPoolId": pool.pool_id,
            "Filter": filter,
            "Limit": limit,
            "PaginationToken": pagination_token,
            "AttributesToGet": None if attributes_to_get is None else list(attributes_to_get),
        },
    )
    user_filter = user_filter_parse(filter)
    key = (
        None
        if user_filter is None
        else [user_filter.attribute, user_filter.prefix, user_filter.value]
    )
    users, next_token = keyset_page(
        _filtered(PoolUser.objects.filter(pool=pool), user_filter),
        limit=limit or MAX_PAGE_SIZE,
        next_token=pagination_token,
        scope=f"users:{pool.pool_id}:{key}",
    )
    if attributes_to_get:
        _attributes_to_get_check(pool=pool, names=attributes_to_get, users=users)
    return users, next_token


def _attributes_to_get_check(
    *, pool: UserPool, names: Sequence[str], users: Sequence[PoolUser]
) -> None:
    known = schema_attributes(pool=pool)
    if any(name not in known for name in names) or any(
        user.attribute_value(name) is None for user in users for name in names
    ):
        raise InvalidParameterException("One or more requested attributes do not exist.")


def users_in_group_page(
    *, group: Group, limit: int | None = MAX_PAGE_SIZE, next_token: str | None = None
) -> tuple[list[PoolUser], str | None]:
    """ListUsersInGroup, in the order users were created."""
    model_validate(
        "ListUsersInGroup",
        {
            "UserPoolId": group.pool.pool_id,
            "GroupName": group.name,
            "Limit": limit,
            "NextToken": next_token,
        },
    )
    return keyset_page(
        PoolUser.objects.filter(pool_id=group.pool_id, memberships__group=group),
        limit=limit or MAX_PAGE_SIZE,
        next_token=next_token,
        scope=f"users-in-group:{group.pool.pool_id}:{group.pk}",
    )


def user_readable_attribute_names(*, user: PoolUser, client: AppClient) -> list[str]:
    """The attributes of `user` that `client` may read (in ID tokens and GetUser), `sub` left out:
    the client's ReadAttributes; none listed means every attribute but developer-only ones."""
    if client.read_attributes:
        return [name for name in client.read_attributes if name != "sub"]
    custom = [name for name in user.custom_attributes if name.startswith("custom:")]
    return [*STANDARD_ATTRIBUTE_COLUMNS, *custom]


def profile_readable_attributes(*, user: PoolUser, client: AppClient) -> list[str]:
    """GetUser: the attributes the user sees through `client`: `sub`, those the client may
    read, and their external identities, as in its ID tokens."""
    return ["sub", *user_readable_attribute_names(user=user, client=client), IDENTITIES_ATTRIBUTE]


def user_for_client_request(*, client: AppClient, username: str) -> PoolUser | None:
    """The user `username` names in the client's pool (username, sign-in attribute or verified
    alias), or None: the caller decides how an unknown user is answered.

    The readings of `user_get`, in the same priority, but always in one query: `user_get` stops
    after the username when it matches, so a name that names nobody would cost a second query,
    which an app client that hides user existence must not let anyone time.
    """
    pool = client.pool
    readings = [
        Q(username_key=pool.normalize_username(username)),
        *_other_user_readings(pool=pool, name=username),
    ]
    condition = Q()
    for reading in readings:
        condition |= Q(pool=pool) & reading
    rank = Case(*(When(reading, then=index) for index, reading in enumerate(readings)))
    user: PoolUser | None = (
        pool.users.filter(condition).annotate(reading=rank).order_by("reading").first()
    )
    return user


def user_locked(*, user_id: int) -> None:
    """Lock the user's row (inside a transaction). Whatever adds a refresh token to a sign-in or
    revokes sign-ins takes it first, so rows of one sign-in are only ever revoked together: a
    revocation sees every row that a rotation added, and a rotation sees the revocation."""
    PoolUser.objects.select_for_update().only("pk").get(pk=user_id)
