"""Counting requests in Django's cache (Redis in production, so every process shares the counts),
and the client address they are counted against.

A fixed window would let a caller spend a whole allowance at its end and again at the start of the
next, so counts are a sliding window estimated from two fixed ones: this window's count plus the
last one's, weighted by how much of it the sliding window still covers.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

# IPv6 clients are counted by their /64: one host commonly holds a whole one.
_IPV6_PREFIX = 64
# The least a window's count is kept, in seconds. Two windows' worth would do on one clock, but
# the processes that share the counts read them by their own clocks, which differ a little: a
# one-second window's count must still be there when the slowest of them reads it as the last.
_MIN_KEEP_SECONDS = 60


def _incremented(key: str, *, timeout: int) -> int:
    # add() is a no-op when the key exists, so concurrent first events cannot reset each other.
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:
        # The key expired between add() and incr(): this event opens the window again.
        cache.add(key, 1, timeout=timeout)
        return 1


def window_count(prefix: str, *, window: int) -> float:
    """Count one event under `prefix`; the estimated number of events in the last `window`
    seconds, this one included."""
    now = timezone.now().timestamp()
    slot, into = divmod(now, window)
    current = _incremented(f"{prefix}:{int(slot)}", timeout=max(2 * window, _MIN_KEEP_SECONDS))
    previous: int = cache.get(f"{prefix}:{int(slot) - 1}", 0)
    return current + previous * (1 - into / window)


def rate_exceeded(prefix: str, *, limit: int, window: int) -> bool:
    """Count one request under `prefix`; whether the window now holds more than `limit`.
    A `limit` of 0 turns the limit off (nothing is counted)."""
    if limit <= 0:
        return False
    return window_count(prefix, window=window) > limit


def client_ip(request: HttpRequest) -> str:
    """The address a request came from, as rate limits count it.

    The peer's address (REMOTE_ADDR), unless COGNITOADMIN_TRUSTED_PROXY_COUNT says that many
    proxies stand in front of the server: then the address the outermost of them saw, which is
    that many entries from the right of X-Forwarded-For (each proxy appends the address of its
    peer). Anything else in the header is the client's to write, so it is never read. IPv6
    addresses are counted by their /64.
    """
    address = request.META.get("REMOTE_ADDR", "")
    hops: int = settings.COGNITOADMIN_TRUSTED_PROXY_COUNT
    if hops > 0:
        forwarded = [
            item.strip()
            for item in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if item.strip()
        ]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64] or "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/{_IPV6_PREFIX}", strict=False))
    return str(parsed)
