"""Web addresses that callers give (callback URLs, identity providers' endpoints, terms links),
taken apart without the ValueError `urllib` raises for some (an unclosed IPv6 bracket, a port
out of range), which would otherwise end a request in a 500."""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit


def url_split(url: str) -> SplitResult | None:
    """`url` in its parts, or None when it cannot be parsed as a URL at all."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # checks the port, which urlsplit leaves unread
    except ValueError:
        return None
    return parts


def is_web_url(url: str) -> bool:
    """An absolute http or https URL with a host."""
    parts = url_split(url)
    return parts is not None and parts.scheme in {"http", "https"} and bool(parts.hostname)
