"""ID, access and refresh tokens as Cognito issues them, their revocation, and the check of an
access token that authorises a user's own operations (GetUser, GlobalSignOut, ...).

ID and access tokens are RS256 JWTs signed with the pool's active key (`kid` in the header) and
carry Cognito's claims. A refresh token is an opaque random string, stored only as a digest in a
`RefreshToken` row. Each sign-in gets such a row even when no refresh token is handed out: its
`origin_jti` is in every token of that sign-in, so revoking the row revokes them all, and checking
an access token costs one indexed lookup of the origin.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from jwt.algorithms import RSAAlgorithm

from cognitoadmin.crypto import digest
from pools.errors import (
    NotAuthorizedException,
    RefreshTokenReuseException,
    UnauthorizedException,
    UnsupportedOperationException,
    UnsupportedTokenTypeException,
    UserNotFoundException,
)
from pools.models import (
    STANDARD_ATTRIBUTE_COLUMNS,
    AppClient,
    Group,
    PoolUser,
    RefreshToken,
    SigningKey,
    UserPool,
)
from pools.selectors.users import user_readable_attribute_names
from pools.services.clients import UNIT_SECONDS
from pools.services.keys import signing_key_active, signing_key_private_pem

ALGORITHM = "RS256"
TOKEN_USE_ACCESS = "access"  # noqa: S105
TOKEN_USE_ID = "id"  # noqa: S105
# The scope of tokens from the user-pools API (as opposed to the OAuth endpoints): it authorises
# the user's own operations.
USER_ADMIN_SCOPE = "aws.cognito.signin.user.admin"
REFRESH_TOKEN_DIGEST_PURPOSE = "refresh_token"  # noqa: S105
# 240 random bytes: 320 URL-safe characters, within the pattern of botocore's TokenModelType.
_REFRESH_TOKEN_BYTES = 240
_VERIFIED_FLAGS = frozenset({"email_verified", "phone_number_verified"})
# Claims every access token of this server has; one without them was not issued here.
_ACCESS_REQUIRED_CLAIMS = ("sub", "iss", "client_id", "token_use", "exp", "iat", "origin_jti")
# Parsed keys kept per process: verification is the hot path of every token-authorised call.
_KEY_CACHE_SIZE = 1024

ACCESS_TOKEN_EXPIRED = "Access Token has expired"  # noqa: S105
ACCESS_TOKEN_INVALID = "Invalid Access Token"  # noqa: S105
ACCESS_TOKEN_REVOKED = "Access Token has been revoked"  # noqa: S105
REFRESH_TOKEN_INVALID = "Invalid Refresh Token"  # noqa: S105
REFRESH_TOKEN_REVOKED = "Refresh Token has been revoked"  # noqa: S105
USER_DISABLED = "User is disabled."


@dataclass(frozen=True)
class AccessTokenContext:
    """Who an access token speaks for: the user, the app client it was issued to, its claims."""

    user: PoolUser
    client: AppClient
    claims: dict[str, Any]


def user_pool_issuer(*, pool: UserPool) -> str:
    """The `iss` of the pool's tokens. pycognito compares it with `<endpoint_url>/<pool id>`
    character for character, so it is built from the public URL exactly so."""
    return f"{settings.COGNITOADMIN_PUBLIC_URL}/{pool.pool_id}"


def _seconds(validity: int, unit: str) -> int:
    return validity * UNIT_SECONDS[unit]


def _epoch(moment: dt.datetime) -> int:
    return int(moment.timestamp())


# --- claims ---------------------------------------------------------------------------------


def _group_claims(user: PoolUser) -> tuple[list[str], dict[str, Any]]:
    """`cognito:groups`, and the ID token's `cognito:roles` / `cognito:preferred_role`.

    The preferred role is that of the role-bearing group with the lowest precedence (a group
    without one loses to any number); when the groups that tie there hold different roles, Cognito
    names none, and neither does this.
    """
    rows = list(
        Group.objects.filter(pool_id=user.pool_id, memberships__user=user)
        .order_by(F("precedence").asc(nulls_last=True), "name")
        .values_list("name", "precedence", "role_arn")
    )
    names = [name for name, _precedence, _role in rows]
    with_roles = [(precedence, role) for _name, precedence, role in rows if role]
    if not with_roles:
        return names, {}
    role_claims: dict[str, Any] = {"cognito:roles": list(dict.fromkeys(r for _p, r in with_roles))}
    best = with_roles[0][0]  # ordered by precedence, nulls last
    preferred = {role for precedence, role in with_roles if precedence == best}
    if len(preferred) == 1:
        role_claims["cognito:preferred_role"] = preferred.pop()
    return names, role_claims


def _attribute_claims(user: PoolUser, client: AppClient) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    for name in user_readable_attribute_names(user=user, client=client):
        if name in _VERIFIED_FLAGS:
            flag = getattr(user, name)
            if flag is not None:
                claims[name] = bool(flag)
            continue
        value = user.attribute_value(name)
        if value is None:
            continue
        if name == "address":
            # OIDC's address claim is an object; Cognito stores the formatted string.
            claims[name] = {"formatted": value}
        elif name == "updated_at" and value.isdigit():
            # OIDC: seconds since the epoch, a JSON number.
            claims[name] = int(value)
        else:
            claims[name] = value
    return claims


@lru_cache(maxsize=_KEY_CACHE_SIZE)
def _private_key(kid: str) -> RSAPrivateKey:
    """The parsed private key named `kid`, cached: parsing costs more than a signature."""
    key = load_pem_private_key(
        signing_key_private_pem(key=SigningKey.objects.get(kid=kid)), password=None
    )
    assert isinstance(key, RSAPrivateKey)  # noqa: S101 (the keys service makes only RSA keys)
    return key


def _active_kid(pool: UserPool) -> str:
    """The kid of the pool's signing key, read alone (the private key is cached by kid)."""
    kid = SigningKey.objects.filter(pool=pool, active=True).values_list("kid", flat=True).first()
    return kid if kid is not None else signing_key_active(pool=pool).kid


def _sign(kid: str, claims: dict[str, Any]) -> str:
    return jwt.encode(
        claims,
        _private_key(kid),
        algorithm=ALGORITHM,
        # Cognito's header is exactly {"kid", "alg"}: no "typ".
        headers={"kid": kid, "typ": None},
    )


def _tokens_sign(
    *,
    user: PoolUser,
    client: AppClient,
    auth_time: dt.datetime,
    origin_jti: str,
    scopes: Sequence[str],
    device_key: str,
) -> dict[str, Any]:
    """A fresh ID and access token of one sign-in (its `origin_jti` and `auth_time`)."""
    # User and client share the pool; callers usually hold it through the client.
    pool = user.pool if PoolUser.pool.is_cached(user) else client.pool
    kid = _active_kid(pool)
    now = _epoch(timezone.now())
    access_lifetime = _seconds(client.access_token_validity, client.access_token_unit)
    id_lifetime = _seconds(client.id_token_validity, client.id_token_unit)
    groups, role_claims = _group_claims(user)
    event_id = str(uuid.uuid4())
    common: dict[str, Any] = {
        "sub": str(user.sub),
        "iss": user_pool_issuer(pool=pool),
        "origin_jti": origin_jti,
        "event_id": event_id,
        "auth_time": _epoch(auth_time),
        "iat": now,
    }
    group_claim = {"cognito:groups": groups} if groups else {}

    access_claims: dict[str, Any] = {
        **common,
        **group_claim,
        "client_id": client.client_id,
        "token_use": TOKEN_USE_ACCESS,
        "scope": " ".join(scopes),
        "exp": now + access_lifetime,
        "jti": str(uuid.uuid4()),
        "username": user.username,
        "version": 2,
    }
    if device_key:
        access_claims["device_key"] = device_key
    id_claims: dict[str, Any] = {
        **_attribute_claims(user, client),
        **common,
        **group_claim,
        **role_claims,
        "aud": client.client_id,
        "token_use": TOKEN_USE_ID,
        "cognito:username": user.username,
        "exp": now + id_lifetime,
        "jti": str(uuid.uuid4()),
    }
    return {
        "AccessToken": _sign(kid, access_claims),
        "ExpiresIn": access_lifetime,
        "TokenType": "Bearer",
        "IdToken": _sign(kid, id_claims),
    }


# --- refresh tokens -------------------------------------------------------------------------


def _refresh_digest(token: str) -> str:
    return digest(token, purpose=REFRESH_TOKEN_DIGEST_PURPOSE)


def _refresh_row_create(
    *,
    user: PoolUser,
    client: AppClient,
    origin_jti: str,
    auth_time: dt.datetime,
    scopes: Sequence[str],
    device_key: str,
    expires_at: dt.datetime,
) -> str:
    token = secrets.token_urlsafe(_REFRESH_TOKEN_BYTES)
    RefreshToken.objects.create(
        pool_id=user.pool_id,
        user=user,
        client=client,
        token_digest=_refresh_digest(token),
        origin_jti=origin_jti,
        auth_time=auth_time,
        scopes=list(scopes),
        device_key=device_key,
        expires_at=expires_at,
    )
    return token


def _user_locked(user_id: int) -> None:
    """Lock the user's row (inside a transaction). Whatever adds a refresh token to a sign-in or
    revokes sign-ins takes it first, so rows of one sign-in are only ever revoked together: a
    revocation sees every row that a rotation added, and a rotation sees the revocation."""
    PoolUser.objects.select_for_update().only("pk").get(pk=user_id)


def _sign_in_revoked(*, user: PoolUser, origin_jti: str) -> bool:
    return RefreshToken.objects.filter(
        user=user, origin_jti=origin_jti, revoked_at__isnull=False
    ).exists()


def tokens_issue(
    *,
    user: PoolUser,
    client: AppClient,
    auth_time: dt.datetime | None = None,
    origin_jti: str | None = None,
    with_refresh_token: bool = True,
    scopes: Sequence[str] | None = None,
    device_key: str = "",
) -> dict[str, Any]:
    """The `AuthenticationResult` of a successful authentication.

    Without `origin_jti` this is a new sign-in: it gets a new origin and its refresh-token row
    (also when `with_refresh_token` is False, so that its tokens can still be revoked). With one,
    the tokens continue that sign-in, unless it was revoked, and a refresh token is added only if
    asked for.
    """
    auth_time = auth_time or timezone.now()
    scopes = list(scopes) if scopes is not None else [USER_ADMIN_SCOPE]
    lifetime = _seconds(client.refresh_token_validity, client.refresh_token_unit)
    row_fields: dict[str, Any] = {
        "user": user,
        "client": client,
        "auth_time": auth_time,
        "scopes": scopes,
        "device_key": device_key,
        "expires_at": timezone.now() + dt.timedelta(seconds=lifetime),
    }
    refresh_token: str | None = None
    if origin_jti is None:
        origin_jti = str(uuid.uuid4())
        refresh_token = _refresh_row_create(origin_jti=origin_jti, **row_fields)
    else:
        with transaction.atomic():
            _user_locked(user.pk)
            if _sign_in_revoked(user=user, origin_jti=origin_jti):
                raise NotAuthorizedException(REFRESH_TOKEN_REVOKED)
            if with_refresh_token:
                refresh_token = _refresh_row_create(origin_jti=origin_jti, **row_fields)
    result = _tokens_sign(
        user=user,
        client=client,
        auth_time=auth_time,
        origin_jti=origin_jti,
        scopes=scopes,
        device_key=device_key,
    )
    if with_refresh_token and refresh_token is not None:
        result["RefreshToken"] = refresh_token
    return result


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


def refresh_token_redeem(
    *, client: AppClient, refresh_token: str, rotate: bool = False
) -> dict[str, Any]:
    """New ID and access tokens of the sign-in that `refresh_token` belongs to (same `origin_jti`
    and `auth_time`; attributes and groups as they are now).

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
    rows = RefreshToken.objects.select_related("user").filter(
        token_digest=_refresh_digest(refresh_token)
    )
    row = _refresh_row_usable(rows.first(), client)
    new_token: str | None = None
    if rotate and client.refresh_token_rotation_enabled:
        with transaction.atomic():
            _user_locked(row.user_id)
            # Read again under the lock: a concurrent rotation or revocation may have won.
            row = _refresh_row_usable(rows.first(), client)
            if row.superseded_at is None:
                row.superseded_at = timezone.now()
                row.save(update_fields=["superseded_at"])
            new_token = _refresh_row_create(
                user=row.user,
                client=client,
                origin_jti=row.origin_jti,
                auth_time=row.auth_time,
                scopes=row.scopes,
                device_key=row.device_key,
                expires_at=row.expires_at,
            )
    result = _tokens_sign(
        user=row.user,
        client=client,
        auth_time=row.auth_time,
        origin_jti=row.origin_jti,
        scopes=row.scopes,
        device_key=row.device_key,
    )
    if new_token is not None:
        result["RefreshToken"] = new_token
    return result


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
    row = RefreshToken.objects.filter(token_digest=_refresh_digest(refresh_token)).first()
    if row is None:
        return
    if row.client_id != client.pk:
        raise UnauthorizedException("The refresh token was not issued to this client.")
    with transaction.atomic():
        _user_locked(row.user_id)
        RefreshToken.objects.filter(
            user_id=row.user_id, origin_jti=row.origin_jti, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())


@transaction.atomic
def user_tokens_revoke(*, user: PoolUser) -> None:
    """GlobalSignOut / AdminUserGlobalSignOut (and disabling, password resets): every refresh
    token of the user is revoked, and so is every access token issued until now."""
    now = timezone.now()
    # The user's row first: it is the lock that rotations take too (see `_user_locked`).
    PoolUser.objects.filter(pk=user.pk).update(tokens_valid_after=now)
    user.tokens_valid_after = now
    RefreshToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)


# --- access-token verification --------------------------------------------------------------


@dataclass(frozen=True)
class _VerificationKey:
    pool_pk: int
    pool_id: str
    public_key: RSAPublicKey


@lru_cache(maxsize=_KEY_CACHE_SIZE)
def _verification_key(kid: str) -> _VerificationKey:
    """The parsed public key named `kid` and its pool, cached: a key's material never changes.
    An unknown kid raises (and so is not cached)."""
    key = SigningKey.objects.select_related("pool").filter(kid=kid).first()
    if key is None:
        raise NotAuthorizedException(ACCESS_TOKEN_INVALID)
    public_key = RSAAlgorithm.from_jwk(dict(key.public_jwk))
    assert isinstance(public_key, RSAPublicKey)  # noqa: S101 (published keys are public RSA)
    return _VerificationKey(pool_pk=key.pool_id, pool_id=key.pool.pool_id, public_key=public_key)


def _access_claims(token: str) -> tuple[_VerificationKey, dict[str, Any]]:
    """The claims of an access token this server signed, checked except against the database."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise NotAuthorizedException(ACCESS_TOKEN_INVALID) from None
    kid = header.get("kid")
    # Only RS256: `none` and HMAC (with the public key as the secret) are forgeries.
    if header.get("alg") != ALGORITHM or not isinstance(kid, str):
        raise NotAuthorizedException(ACCESS_TOKEN_INVALID)
    key = _verification_key(kid)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.public_key,
            algorithms=[ALGORITHM],
            issuer=f"{settings.COGNITOADMIN_PUBLIC_URL}/{key.pool_id}",
            # Times are checked below against Django's clock, which tests can move.
            options={
                "require": list(_ACCESS_REQUIRED_CLAIMS),
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.PyJWTError:
        raise NotAuthorizedException(ACCESS_TOKEN_INVALID) from None
    if claims["token_use"] != TOKEN_USE_ACCESS or not isinstance(claims["exp"], int):
        raise NotAuthorizedException(ACCESS_TOKEN_INVALID)
    if claims["exp"] <= _epoch(timezone.now()):
        raise NotAuthorizedException(ACCESS_TOKEN_EXPIRED)
    return key, claims


def _token_subjects(
    key: _VerificationKey, claims: dict[str, Any]
) -> tuple[PoolUser | None, AppClient | None, bool]:
    """The token's user, client, and whether its sign-in was revoked.

    One query: the sign-in's refresh-token row brings user and client along; any row of the
    sign-in will do, since they are only ever revoked together. The pool is left to be loaded
    when a caller needs it (the hot path, GetUser, does not). A sign-in whose rows are gone
    (purged after expiry) is looked up directly and counts as not revoked.
    """
    sub = _sub(claims["sub"])
    rows = RefreshToken.objects.select_related("user", "client").filter(
        pool_id=key.pool_pk, origin_jti=claims["origin_jti"]
    )
    # Unordered: sorting would cost more than the lookup.
    row = next(iter(rows.order_by()[:1]), None)
    if row is not None:
        if row.user.sub != sub or row.client.client_id != claims["client_id"]:
            raise NotAuthorizedException(ACCESS_TOKEN_INVALID)
        return row.user, row.client, row.revoked_at is not None
    user = PoolUser.objects.filter(pool_id=key.pool_pk, sub=sub).first()
    client = AppClient.objects.filter(pool_id=key.pool_pk, client_id=claims["client_id"]).first()
    return user, client, False


def access_token_verify(
    *, token: str, required_scope: str | None = USER_ADMIN_SCOPE
) -> AccessTokenContext:
    """The user and client an access token speaks for, if the token is still good: signed by its
    pool's key (RS256), unexpired, with `required_scope`, its sign-in not revoked, issued after the
    user's last global sign-out, the user enabled.

    This authorises every token-authorised call, so it costs one query once the key is cached
    (`user.pool` and `client.pool` are loaded on first use).
    """
    key, claims = _access_claims(token)
    if required_scope is not None and required_scope not in str(claims.get("scope", "")).split():
        raise NotAuthorizedException("Access Token does not have required scopes")
    user, client, revoked = _token_subjects(key, claims)
    if user is None:
        raise UserNotFoundException()
    if client is None:
        raise NotAuthorizedException(ACCESS_TOKEN_INVALID)
    if not user.enabled:
        raise NotAuthorizedException(USER_DISABLED)
    # iat has whole seconds: a token of the sign-out's own second is judged by its origin.
    if revoked or (
        user.tokens_valid_after is not None and claims["iat"] < _epoch(user.tokens_valid_after)
    ):
        raise NotAuthorizedException(ACCESS_TOKEN_REVOKED)
    return AccessTokenContext(user=user, client=client, claims=claims)


def _sub(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotAuthorizedException(ACCESS_TOKEN_INVALID) from None


# --- discovery ------------------------------------------------------------------------------

_CORE_CLAIMS = (
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "jti",
    "origin_jti",
    "event_id",
    "token_use",
    "cognito:username",
    "cognito:groups",
    "cognito:roles",
    "cognito:preferred_role",
)


def user_pool_openid_configuration(*, pool: UserPool) -> dict[str, Any]:
    """The OpenID Provider metadata at `<issuer>/.well-known/openid-configuration`. The OAuth
    endpoints are this server's own: the client_id or token each request carries names the pool."""
    base = settings.COGNITOADMIN_PUBLIC_URL
    issuer = user_pool_issuer(pool=pool)
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{base}/oauth2/authorize",
        "token_endpoint": f"{base}/oauth2/token",
        "userinfo_endpoint": f"{base}/oauth2/userInfo",
        "revocation_endpoint": f"{base}/oauth2/revoke",
        "end_session_endpoint": f"{base}/logout",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "response_types_supported": ["code", "token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "claims_supported": list(dict.fromkeys([*_CORE_CLAIMS, *STANDARD_ATTRIBUTE_COLUMNS])),
    }
