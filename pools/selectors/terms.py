"""Terms documents of a pool's app clients: by id, by client and name, and in pages."""

from __future__ import annotations

import uuid

from cognitoadmin.awsmodel import model_validate
from pools.errors import ResourceNotFoundException
from pools.models import AppClient, Terms, UserPool
from pools.selectors.pages import keyset_page

MAX_TERMS_PAGE = 60


def terms_get(*, pool: UserPool, terms_id: str) -> Terms:
    """The pool's terms document of that id; another pool's, or none, is not found."""
    missing = ResourceNotFoundException(f"Terms {terms_id[:64]} do not exist.")
    try:
        key = uuid.UUID(terms_id)
    except ValueError:
        raise missing from None
    found = Terms.objects.filter(pool=pool, terms_id=key).select_related("pool", "client").first()
    if found is None:
        raise missing
    return found


def terms_locked(*, terms: Terms) -> Terms:
    """`terms` re-read under a row lock (inside a transaction); deleted meanwhile, not found."""
    rows = Terms.objects.select_for_update(of=("self",)).select_related("pool", "client")
    found = rows.filter(pk=terms.pk).first()
    if found is None:
        raise ResourceNotFoundException(f"Terms {terms.terms_id} do not exist.")
    return found


def terms_get_by_client(*, client: AppClient, name: str) -> Terms:
    found = Terms.objects.filter(client=client, name=name).select_related("pool", "client").first()
    if found is None:
        raise ResourceNotFoundException(
            f"App client {client.client_id} has no terms named {name[:64]}."
        )
    return found


def terms_of_client(*, client: AppClient) -> dict[str, Terms]:
    """The client's documents by name (terms-of-use, privacy-policy)."""
    return {row.name: row for row in Terms.objects.filter(client=client)}


def terms_page(
    *, pool: UserPool, max_results: int | None, next_token: str | None
) -> tuple[list[Terms], str | None]:
    model_validate(
        "ListTerms",
        {"UserPoolId": pool.pool_id, "MaxResults": max_results, "NextToken": next_token},
    )
    return keyset_page(
        Terms.objects.filter(pool=pool).select_related("pool", "client"),
        limit=max_results or MAX_TERMS_PAGE,
        next_token=next_token,
        scope=f"terms:{pool.pool_id}",
    )
