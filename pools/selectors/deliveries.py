"""The messages sent to a pool's users (the outbox's records), one or a page at a time."""

from __future__ import annotations

from cognitoadmin.authorization import action_declare
from pools.errors import ResourceNotFoundException
from pools.models import Delivery, UserPool
from pools.selectors.pages import keyset_page

# What the admin and the API ask before they show any: Cognito keeps no such records.
LIST_DELIVERIES = action_declare(
    "cognitoadmin:ListDeliveries", permission="pools.view_delivery"
).name

# Records are this server's own (no AWS list to copy): a page's size is the API's choice.
MAX_DELIVERIES_PAGE = 100


def delivery_get(*, pool: UserPool, delivery_id: int) -> Delivery:
    try:
        return Delivery.objects.select_related("user").get(pool=pool, pk=delivery_id)
    except Delivery.DoesNotExist:
        raise ResourceNotFoundException(f"Delivery {delivery_id} does not exist.") from None


def deliveries_page(
    *,
    pool: UserPool,
    limit: int,
    next_token: str | None,
    status: str | None = None,
    kind: str | None = None,
    channel: str | None = None,
) -> tuple[list[Delivery], str | None]:
    """The pool's records, oldest first, keeping those of `status`, `kind` and `channel` when
    given; a page's token works only with the same filters."""
    filters = {
        name: value
        for name, value in (("status", status), ("kind", kind), ("channel", channel))
        if value
    }
    queryset = Delivery.objects.filter(pool=pool, **filters).select_related("user")
    scope = f"deliveries:{pool.pool_id}:" + ",".join(f"{k}={v}" for k, v in sorted(filters.items()))
    return keyset_page(
        queryset, limit=min(limit, MAX_DELIVERIES_PAGE), next_token=next_token, scope=scope
    )
