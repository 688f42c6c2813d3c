"""App clients: one of a pool's by id, one by id alone (sign-in names no pool), pages, and a
client's secrets."""

from __future__ import annotations

from django.db.models import QuerySet

from cognitoadmin.awsmodel import model_validate
from pools.errors import ResourceNotFoundException
from pools.models import (
    AppClient,
    AppClientSecret,
    UserPool,
)
from pools.selectors.pages import MAX_PAGE_SIZE, keyset_page


def app_client_get(*, pool: UserPool, client_id: str) -> AppClient:
    try:
        return AppClient.objects.get(pool=pool, client_id=client_id)
    except AppClient.DoesNotExist:
        raise ResourceNotFoundException(f"User pool client {client_id} does not exist.") from None


def app_client_locked(*, client: AppClient) -> AppClient:
    """`client` re-read under a row lock (inside a transaction): serialises changes to its
    secrets, so two concurrent adds cannot both pass the two-secret limit."""
    return AppClient.objects.select_for_update().select_related("pool").get(pk=client.pk)


def app_client_secrets(*, client: AppClient) -> QuerySet[AppClientSecret]:
    """The client's secrets, oldest first (none for a public client)."""
    return AppClientSecret.objects.filter(client=client).order_by("created_at", "id")


def app_client_get_by_id(*, client_id: str, pool: UserPool | None = None) -> AppClient:
    """For flows that carry only a ClientId (sign-up, sign-in): the client names its pool.
    Through a pool's hosted domain, `pool` is the only one whose clients exist."""
    clients = AppClient.objects.select_related("pool")
    if pool is not None:
        clients = clients.filter(pool=pool)
    try:
        return clients.get(client_id=client_id)
    except AppClient.DoesNotExist:
        raise ResourceNotFoundException(f"User pool client {client_id} does not exist.") from None


def app_clients_page(
    *,
    pool: UserPool,
    max_results: int | None,
    next_token: str | None,
    client_type: str | None = None,
) -> tuple[list[AppClient], str | None]:
    """`client_type` REGULAR or DCR keeps only that kind; every client here is REGULAR, since this
    server has no dynamic client registration."""
    model_validate(
        "ListUserPoolClients",
        {
            "UserPoolId": pool.pool_id,
            "MaxResults": max_results,
            "NextToken": next_token,
            "ClientType": client_type,
        },
    )
    clients = AppClient.objects.filter(pool=pool).select_related("pool")
    if client_type == "DCR":
        clients = clients.none()
    return keyset_page(
        clients,
        limit=max_results or MAX_PAGE_SIZE,
        next_token=next_token,
        scope=f"clients:{pool.pool_id}",
    )
