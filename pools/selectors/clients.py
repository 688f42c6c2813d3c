"""App clients: one of a pool's by id, one by id alone (sign-in names no pool), and pages."""

from __future__ import annotations

from cognitoadmin.awsmodel import model_validate
from pools.errors import ResourceNotFoundException
from pools.models import (
    AppClient,
    UserPool,
)
from pools.selectors.pages import MAX_PAGE_SIZE, keyset_page


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
