"""Shared reads. Every lookup that takes an id from a request is scoped by its pool."""

from __future__ import annotations

import contextlib
import re
import uuid
from typing import TypeVar

from django.db.models import Case, Model, Q, QuerySet, When

from cognitoadmin.pagination import decode_token, encode_token
from pools.errors import (
    InvalidParameterException,
    ResourceNotFoundException,
    UserNotFoundException,
)
from pools.models import (
    AppClient,
    Domain,
    Group,
    IdentityProvider,
    PoolUser,
    ResourceServer,
    UserPool,
)

_USER_POOL_ARN = re.compile(
    r"arn:aws[\w-]*:cognito-idp:[a-z0-9-]+:\d{12}:userpool/(?P<pool_id>[\w-]+_[0-9a-zA-Z]+)"
)


def user_pool_get(*, pool_id: str) -> UserPool:
    try:
        return UserPool.objects.get(pool_id=pool_id)
    except UserPool.DoesNotExist:
        raise ResourceNotFoundException(f"User pool {pool_id} does not exist.") from None


def user_pool_get_by_arn(*, arn: str) -> UserPool:
    """The pool a tagging call names by ARN. An ARN that is not a user pool's is a bad parameter;
    a user pool ARN of another region or account, or of no pool, is not found."""
    match = _USER_POOL_ARN.fullmatch(arn)
    if match is None:
        raise InvalidParameterException(f"{arn} is not a valid user pool ARN.")
    pool = UserPool.objects.filter(pool_id=match["pool_id"]).first()
    if pool is None or pool.arn != arn:
        raise ResourceNotFoundException(f"User pool {match['pool_id']} does not exist.")
    return pool


def user_pool_locked(*, pool: UserPool) -> UserPool:
    """`pool` re-read under a row lock (inside a transaction): serialises the changes that check a
    per-pool limit or invariant, so two concurrent requests cannot both pass the check."""
    return UserPool.objects.select_for_update().get(pk=pool.pk)


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
            condition |= Q(pool=pool, **reading)
        # Sign-in names are unique per pool, so at most one user per reading; if two readings
        # match different users, the earlier reading wins.
        rank = Case(*(When(Q(**reading), then=index) for index, reading in enumerate(readings)))
        user = users.filter(condition).annotate(reading=rank).order_by("reading").first()
        if user is not None:
            return user
    raise UserNotFoundException()


def _other_user_readings(*, pool: UserPool, name: str) -> list[dict[str, object]]:
    """The conditions under which `name`, when not a username, names a user, in priority order."""
    readings: list[dict[str, object]] = [
        {attribute: name} for attribute in pool.username_attributes
    ]
    for attribute in pool.alias_attributes:
        if attribute == "preferred_username":
            readings.append({"preferred_username": name})
        else:
            readings.append({attribute: name, f"{attribute}_verified": True})
    with contextlib.suppress(ValueError):
        readings.append({"sub": uuid.UUID(name)})
    return readings


def group_get(*, pool: UserPool, name: str) -> Group:
    try:
        return Group.objects.get(pool=pool, name=name)
    except Group.DoesNotExist:
        raise ResourceNotFoundException("Group not found.") from None


def app_client_get(*, pool: UserPool, client_id: str) -> AppClient:
    try:
        return AppClient.objects.get(pool=pool, client_id=client_id)
    except AppClient.DoesNotExist:
        raise ResourceNotFoundException(f"User pool client {client_id} does not exist.") from None


def app_client_get_by_id(*, client_id: str) -> AppClient:
    """For flows that carry only a ClientId (sign-up, sign-in): the client names its pool."""
    try:
        return AppClient.objects.select_related("pool").get(client_id=client_id)
    except AppClient.DoesNotExist:
        raise ResourceNotFoundException(f"User pool client {client_id} does not exist.") from None


def resource_server_get(*, pool: UserPool, identifier: str) -> ResourceServer:
    try:
        return ResourceServer.objects.get(pool=pool, identifier=identifier)
    except ResourceServer.DoesNotExist:
        raise ResourceNotFoundException(f"Resource server {identifier} does not exist.") from None


def domain_get(*, domain: str) -> Domain:
    try:
        return Domain.objects.select_related("pool").get(domain=domain)
    except Domain.DoesNotExist:
        raise ResourceNotFoundException(f"Domain {domain} does not exist.") from None


def identity_provider_get(*, pool: UserPool, name: str) -> IdentityProvider:
    try:
        return IdentityProvider.objects.get(pool=pool, name=name)
    except IdentityProvider.DoesNotExist:
        raise ResourceNotFoundException(f"Identity provider {name} does not exist.") from None


_M = TypeVar("_M", bound=Model)


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
