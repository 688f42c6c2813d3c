"""A pool's federated identity providers: by name, by identifier, and in pages."""

from __future__ import annotations

from cognitoadmin.awsmodel import model_validate
from pools.errors import ResourceNotFoundException
from pools.models import (
    IdentityProvider,
    UserPool,
)
from pools.selectors.pages import MAX_PAGE_SIZE, keyset_page


def identity_provider_get(*, pool: UserPool, name: str) -> IdentityProvider:
    try:
        return IdentityProvider.objects.get(pool=pool, name=name)
    except IdentityProvider.DoesNotExist:
        raise ResourceNotFoundException(f"Identity provider {name} does not exist.") from None


def identity_providers_page(
    *, pool: UserPool, max_results: int | None, next_token: str | None
) -> tuple[list[IdentityProvider], str | None]:
    model_validate(
        "ListIdentityProviders",
        {"UserPoolId": pool.pool_id, "MaxResults": max_results, "NextToken": next_token},
    )
    return keyset_page(
        IdentityProvider.objects.filter(pool=pool).select_related("pool"),
        limit=max_results or MAX_PAGE_SIZE,
        next_token=next_token,
        scope=f"identity-providers:{pool.pool_id}",
    )


def identity_provider_get_by_identifier(*, pool: UserPool, identifier: str) -> IdentityProvider:
    # At most 300 providers per pool, each with at most 50 identifiers: a scan of the pool's rows is
    # cheap and works on every database (SQLite has no JSON containment lookup).
    for provider in IdentityProvider.objects.filter(pool=pool).select_related("pool"):
        if identifier in provider.idp_identifiers:
            return provider
    raise ResourceNotFoundException(f"Identity provider with identifier {identifier} not found.")
