"""Shared reads. Every lookup that takes an id from a request is scoped by its pool."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

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


def user_pool_get(*, pool_id: str) -> UserPool:
    try:
        return UserPool.objects.get(pool_id=pool_id)
    except UserPool.DoesNotExist:
        raise ResourceNotFoundException(f"User pool {pool_id} does not exist.") from None


def user_pool_locked(*, pool: UserPool) -> UserPool:
    """`pool` re-read under a row lock (inside a transaction): serialises the changes that check a
    per-pool limit or invariant, so two concurrent requests cannot both pass the check."""
    return UserPool.objects.select_for_update().get(pk=pool.pk)


def user_get(*, pool: UserPool, username: str) -> PoolUser:
    """The user named `username` in `pool`, applying the pool's case rule."""
    try:
        return PoolUser.objects.get(pool=pool, username_key=pool.normalize_username(username))
    except PoolUser.DoesNotExist:
        raise UserNotFoundException() from None


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


def groups_for_user(*, user: PoolUser) -> QuerySet[Group]:
    return Group.objects.filter(pool_id=user.pool_id, memberships__user=user)


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
