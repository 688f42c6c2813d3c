"""A pool's log delivery configuration: as stored, and as the event paths read it (cached)."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache

from pools.models import LogDeliveryConfiguration, UserPool

# Every sign-in and failed message asks; a pool without export must cost no query. The setter
# forgets the cached value at its commit; with the local-memory cache other processes see a
# change within this many seconds (with CACHE_URL's shared cache, at once).
CACHE_SECONDS = 60


def _cache_key(pool: UserPool) -> str:
    # By pool id, not primary key: a database emptied and filled again reuses primary keys.
    return f"pools:log-delivery:{pool.pool_id}"


def log_delivery_get(*, pool: UserPool) -> list[dict[str, Any]]:
    """The pool's LogConfigurations as they were set; none when never set."""
    found = (
        LogDeliveryConfiguration.objects.filter(pool=pool)
        .values_list("log_configurations", flat=True)
        .first()
    )
    return list(found or [])


def log_configurations_of(*, pool: UserPool) -> list[dict[str, Any]]:
    """`log_delivery_get`, read through the cache."""
    key = _cache_key(pool)
    cached: list[dict[str, Any]] | None = cache.get(key)
    if cached is None:
        cached = log_delivery_get(pool=pool)
        cache.set(key, cached, CACHE_SECONDS)
    return cached


def log_configurations_forget(*, pool: UserPool) -> None:
    cache.delete(_cache_key(pool))
