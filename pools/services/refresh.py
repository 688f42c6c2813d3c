"""Refresh tokens redeemed: new ID and access tokens for the same sign-in (REFRESH_TOKEN_AUTH,
GetTokensFromRefreshToken), with the app client's refresh token rotation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from pools.errors import (
    NotAuthorizedException,
    RefreshTokenReuseException,
    UnsupportedOperationException,
)
from pools.models import (
    AppClient,
    Device,
    RefreshToken,
)
from pools.selectors.users import user_locked
from pools.services.sessions import token_session_touch
from pools.services.tokens import (
    REFRESH_TOKEN_INVALID,
    REFRESH_TOKEN_REVOKED,
    USER_DISABLED,
    refresh_token_create,
    tokens_sign,
)


def _refresh_row_usable(row: RefreshToken | None, client: AppClient) -> RefreshToken:
    """`row` if it may still be redeemed by `client`; Cognito's error otherwise."""
    now = timezone.now()
    if row is None or row.client_id != client.pk or row.expires_at <= now:
        raise NotAuthorizedException(REFRESH_TOKEN_INVALID)
    if not row.user.enabled:
        raise NotAuthorizedException(USER_DISABLED)
    if row.revoked_at is not None:
        raise NotAuthorizedException(REFRESH_TOKEN_REVOKED)
    if row.superseded_at is not None:
        grace = dt.timedelta(seconds=client.refresh_token_rotation_grace_seconds)
        if row.superseded_at + grace <= now:
            raise RefreshTokenReuseException(
                "The refresh token was replaced by refresh token rotation."
            )
    return row


def _device_key_check(row: RefreshToken, device_key: str | None) -> None:
    """A refresh token of a sign-in from a confirmed device is redeemed with that device's key
    (DEVICE_KEY, DeviceKey), as Cognito requires; without a confirmed device no key is needed."""
    if not row.device_key or device_key == row.device_key:
        return
    if device_key or Device.objects.filter(device_key=row.device_key, confirmed=True).exists():
        raise NotAuthorizedException(REFRESH_TOKEN_INVALID)


def refresh_token_redeem(
    *,
    client: AppClient,
    row: RefreshToken | None,
    rotate: bool = False,
    device_key: str | None = None,
) -> dict[str, Any]:
    """New ID and access tokens of the sign-in that the refresh token of `row`
    (`refresh_token_find`; None for an unknown token) belongs to: same `origin_jti` and
    `auth_time`, attributes and groups as they are now.

    `rotate` says the caller can hand back a new refresh token (GetTokensFromRefreshToken, the
    token endpoint); REFRESH_TOKEN_AUTH passes False. Whether one is issued is the client's
    RefreshTokenRotation: with it, the new token inherits the old one's expiry and the old one
    works for the client's grace period more, then is refused. Such a client refuses
    REFRESH_TOKEN_AUTH, as Cognito's does.
    """
    if client.refresh_token_rotation_enabled and not rotate:
        raise UnsupportedOperationException(
            "REFRESH_TOKEN_AUTH is not supported for app clients with refresh token rotation "
            "enabled; use GetTokensFromRefreshToken."
        )
    row = _refresh_row_usable(row, client)
    _device_key_check(row, device_key)
    token_session_touch(client=client, row=row)
    new_token: str | None = None
    if rotate and client.refresh_token_rotation_enabled:
        with transaction.atomic():
            user_locked(user_id=row.user_id)
            # Read again under the lock: a concurrent rotation or revocation may have won.
            again = RefreshToken.objects.select_related("user").filter(pk=row.pk).first()
            row = _refresh_row_usable(again, client)
            if row.superseded_at is None:
                row.superseded_at = timezone.now()
                row.save(update_fields=["superseded_at"])
            new_token = refresh_token_create(
                user=row.user,
                client=client,
                origin_jti=row.origin_jti,
                auth_time=row.auth_time,
                scopes=row.scopes,
                device_key=row.device_key,
                expires_at=row.expires_at,
                amr=row.amr,
            )
    result = tokens_sign(
        user=row.user,
        client=client,
        auth_time=row.auth_time,
        origin_jti=row.origin_jti,
        scopes=row.scopes,
        device_key=row.device_key,
        amr=row.amr,
    )
    if new_token is not None:
        result["RefreshToken"] = new_token
    return result
