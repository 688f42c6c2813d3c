"""Revocation: RevokeToken ends one sign-in; GlobalSignOut and the administrators' operations end
all of a user's. This server honours both on every call authorised by an access token."""

from __future__ import annotations

from collections.abc import Sequence

import jwt
from django.db import transaction
from django.utils import timezone

from pools.errors import (
    UnauthorizedException,
    UnsupportedOperationException,
    UnsupportedTokenTypeException,
)
from pools.models import (
    AppClient,
    PoolUser,
    RefreshToken,
)
from pools.selectors.tokens import refresh_token_find
from pools.selectors.users import user_locked


def _looks_like_jwt(token: str) -> bool:
    try:
        jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        return False
    return True


def refresh_token_revoke(*, client: AppClient, refresh_token: str) -> None:
    """RevokeToken: the refresh token and every token of its sign-in (its `origin_jti`) stop
    working; other sign-ins of the user are untouched. An unknown or already revoked token is
    accepted silently, as OAuth revocation (RFC 7009) and Cognito answer it."""
    if not client.enable_token_revocation:
        raise UnsupportedOperationException("Token revocation is not enabled for this client.")
    if _looks_like_jwt(refresh_token):
        raise UnsupportedTokenTypeException("Only refresh tokens can be revoked.")
    row = refresh_token_find(token=refresh_token)
    if row is None:
        return
    if row.client_id != client.pk:
        raise UnauthorizedException("The refresh token was not issued to this client.")
    with transaction.atomic():
        user_locked(user_id=row.user_id)
        RefreshToken.objects.filter(
            user_id=row.user_id, origin_jti=row.origin_jti, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())


@transaction.atomic
def user_tokens_revoke(*, user: PoolUser) -> None:
    """GlobalSignOut / AdminUserGlobalSignOut (and disabling, password resets): every refresh
    token of the user is revoked, and so is every access token issued until now."""
    now = timezone.now()
    # The user's row first: it is the lock that rotations take too (see `user_locked`).
    PoolUser.objects.filter(pk=user.pk).update(tokens_valid_after=now)
    user.tokens_valid_after = now
    RefreshToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)


def sign_in_revoke(*, user_id: int, origin_jti: str) -> None:
    """Every token of one sign-in (its `origin_jti`) stops working, as RevokeToken ends it; for
    a reused authorization code, whose first exchange issued that sign-in (RFC 6749 §4.1.2)."""
    if origin_jti:
        sign_ins_revoke(user_id=user_id, origin_jtis=[origin_jti])


def sign_ins_revoke(*, user_id: int, origin_jtis: Sequence[str]) -> None:
    """Every token of each of these sign-ins of the user stops working, as RevokeToken ends one;
    also the sign-ins a new one evicts beyond the pool's TokenSession.MaxPerUser."""
    with transaction.atomic():
        user_locked(user_id=user_id)
        RefreshToken.objects.filter(
            user_id=user_id, origin_jti__in=origin_jtis, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
