"""The hosted UI's branding (UI customizations): which level a request names, and which row a
client's pages show."""

from __future__ import annotations

from django.db.models import Q

from pools.models import AppClient, UICustomization, UserPool
from pools.selectors.clients import app_client_get

# The ClientId that names the pool's default on the wire.
ALL_CLIENTS = "ALL"


def ui_customization_client(*, pool: UserPool, client_id: str | None) -> AppClient | None:
    """The app client a UI customization call names: None for the pool's default (no ClientId, or
    "ALL"); another pool's client, or none, is ResourceNotFoundException."""
    if client_id is None or client_id == ALL_CLIENTS:
        return None
    return app_client_get(pool=pool, client_id=client_id)


# The admin's branding page lists the clients to choose from; a pool has a few, at most this many.
MAX_LISTED_CLIENTS = 500


def ui_customization_clients(*, pool: UserPool) -> list[AppClient]:
    """The pool's app clients by name, each a level a customization may be set for."""
    return list(AppClient.objects.filter(pool=pool).order_by("name", "id")[:MAX_LISTED_CLIENTS])


def ui_customization_get(*, pool: UserPool, client: AppClient | None) -> UICustomization | None:
    """The row of that level itself: the client's own, or the pool's default (no client)."""
    rows = UICustomization.objects.filter(pool=pool)
    rows = rows.filter(client=client) if client is not None else rows.filter(client__isnull=True)
    return rows.select_related("pool", "client").first()


def ui_customization_effective(
    *, pool: UserPool, client: AppClient | None
) -> UICustomization | None:
    """What a client's pages show (GetUICustomization's answer): the client's own, else the
    pool's default, else None. One query."""
    level = Q(client__isnull=True) if client is None else Q(client=client) | Q(client__isnull=True)
    rows = UICustomization.objects.filter(level, pool=pool).select_related("pool", "client")
    # At most two rows: the client's own one first.
    found = sorted(rows, key=lambda row: row.client_id is None)
    return found[0] if found else None


def ui_customization_image_find(
    *, pool_id: str, client_id: str, digest_prefix: str
) -> UICustomization | None:
    """The row whose logo a URL names, if that logo is still its current one."""
    rows = UICustomization.objects.filter(pool__pool_id=pool_id).exclude(image_digest="")
    if client_id == ALL_CLIENTS:
        rows = rows.filter(client__isnull=True)
    else:
        rows = rows.filter(client__client_id=client_id)
    row = rows.first()
    if row is None or not digest_prefix or not row.image_digest.startswith(digest_prefix):
        return None
    return row
