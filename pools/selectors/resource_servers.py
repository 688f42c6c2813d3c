"""Resource servers of a pool, by identifier and in pages."""

from __future__ import annotations

from cognitoadmin.awsmodel import model_validate
from pools.errors import ResourceNotFoundException
from pools.models import (
    ResourceServer,
    UserPool,
)
from pools.selectors.pages import keyset_page


def resource_server_get(*, pool: UserPool, identifier: str) -> ResourceServer:
    try:
        return ResourceServer.objects.get(pool=pool, identifier=identifier)
    except ResourceServer.DoesNotExist:
        raise ResourceNotFoundException(f"Resource server {identifier} does not exist.") from None


MAX_RESOURCE_SERVERS_PAGE = 50


def resource_servers_page(
    *, pool: UserPool, max_results: int | None, next_token: str | None
) -> tuple[list[ResourceServer], str | None]:
    model_validate(
        "ListResourceServers",
        {"UserPoolId": pool.pool_id, "MaxResults": max_results, "NextToken": next_token},
    )
    return keyset_page(
        ResourceServer.objects.filter(pool=pool).select_related("pool"),
        limit=max_results or MAX_RESOURCE_SERVERS_PAGE,
        next_token=next_token,
        scope=f"resource-servers:{pool.pool_id}",
    )


def resource_server_scope_names(*, pool: UserPool) -> set[str]:
    """Every custom scope of the pool's resource servers, as granted: `<identifier>/<scope>`."""
    return {
        f"{identifier}/{scope['ScopeName']}"
        for identifier, scopes in ResourceServer.objects.filter(pool=pool).values_list(
            "identifier", "scopes"
        )
        for scope in scopes
    }
