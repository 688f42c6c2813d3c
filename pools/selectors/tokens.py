"""Refresh tokens, found by the token itself: only a keyed digest of it is stored."""

from __future__ import annotations

from cognitoadmin.crypto import digest
from pools.models import RefreshToken

REFRESH_TOKEN_DIGEST_PURPOSE = "refresh_token"  # noqa: S105


def refresh_token_digest(token: str) -> str:
    return digest(token, purpose=REFRESH_TOKEN_DIGEST_PURPOSE)


def refresh_token_find(*, token: str) -> RefreshToken | None:
    """The row of `token` with its user, or None for a token this server never issued."""
    return (
        RefreshToken.objects.select_related("user")
        .filter(token_digest=refresh_token_digest(token))
        .first()
    )
