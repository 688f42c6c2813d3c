"""The check of an access token that authorises a user's own operations (GetUser, GlobalSignOut,
...): signature, expiry, scope, revocation and the user's state; one query once keys are cached."""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from django.utils import timezone
from jwt.algorithms import RSAAlgorithm

from pools.errors import (
    NotAuthorizedException,
    UserNotFoundException,
)
from pools.models import (
    AppClient,
    PoolUser,
    RefreshToken,
    SigningKey,
)
from pools.services.tokens import (
    ALGORITHM,
    KEY_CACHE_SIZE,
    TOKEN_USE_ACCESS,
    TOKEN_USE_ID,
    USER_ADMIN_SCOPE,
    USER_DISABLED,
    epoch_seconds,
    user_pool_issuer,
)

# Claims every access token of this server has; one without them was not issued here.
_ACCESS_REQUIRED_CLAIMS = ("sub", "iss", "client_id", "token_use", "exp", "iat", "origin_jti")

# The kids `keys.py` makes: 43 characters of URL-safe base64, with room for other lengths.
_KID = re.compile(r"[A-Za-z0-9_-]{1,128}")


# How far ahead of this host's clock another host's may run: a token issued (`iat`) or valid
# (`nbf`) later than that is refused.
CLOCK_SKEW_SECONDS = 60


ACCESS_TOKEN_EXPIRED = "Access Token has expired"  # noqa: S105


ACCESS_TOKEN_INVALID = "Invalid Access Token"  # noqa: S105


ACCESS_TOKEN_REVOKED = "Access Token has been revoked"  # noqa: S105

# Claims every ID token of this server has.
_ID_REQUIRED_CLAIMS = ("sub", "iss", "aud", "token_use", "exp", "iat", "origin_jti")
# Cognito Identity's words for a login token it refuses.
ID_TOKEN_INVALID = "Invalid login token. Not a valid OpenId Connect identity token."  # noqa: S105
ID_TOKEN_EXPIRED = "Invalid login token. Token expired."  # noqa: S105
ID_TOKEN_ISSUER = "Invalid login token. Issuer doesn't match providerName"  # noqa: S105
ID_TOKEN_AUDIENCE = "Invalid login token. Incorrect token audience."  # noqa: S105
ID_TOKEN_REVOKED = "Invalid login token. Token is revoked."  # noqa: S105


@dataclass(frozen=True)
class AccessTokenContext:
    """Who an access token speaks for: the user, the app client it was issued to, its claims."""

    user: PoolUser
    client: AppClient
    claims: dict[str, Any]


@dataclass(frozen=True)
class _VerificationKey:
    pool_pk: int
    pool_id: str
    public_key: RSAPublicKey


@lru_cache(maxsize=KEY_CACHE_SIZE)
def _verification_key(kid: str) -> _VerificationKey:
    """The parsed public key named `kid` and its pool, cached: a key's material never changes.
    An unknown kid raises (and so is not cached)."""
    key = SigningKey.objects.select_related("pool").filter(kid=kid).first()
    if key is None:
        raise NotAuthorizedException(ACCESS_TOKEN_INVALID)
    public_key = RSAAlgorithm.from_jwk(dict(key.public_jwk))
    assert isinstance(public_key, RSAPublicKey)  # noqa: S101 (published keys are public RSA)
    return _VerificationKey(pool_pk=key.pool_id, pool_id=key.pool.pool_id, public_key=public_key)


def _signed_claims(
    token: str, *, token_use: str, required: tuple[str, ...], invalid: str, expired: str
) -> tuple[_VerificationKey, dict[str, Any]]:
    """The claims of a `token_use` token this server signed, checked except against the
    database; `invalid` and `expired` are the refusals' messages."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise NotAuthorizedException(invalid) from None
    kid = header.get("kid")
    # Only RS256: `none` and HMAC (with the public key as the secret) are forgeries. A kid is
    # one this server made (`keys.py`: URL-safe base64); anything else names no key and is not
    # looked up (a NUL byte is no text PostgreSQL can compare).
    if header.get("alg") != ALGORITHM or not isinstance(kid, str) or not _KID.fullmatch(kid):
        raise NotAuthorizedException(invalid)
    try:
        key = _verification_key(kid)
    except NotAuthorizedException:
        raise NotAuthorizedException(invalid) from None
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.public_key,
            algorithms=[ALGORITHM],
            issuer=user_pool_issuer(pool_id=key.pool_id),
            # The audience is checked by the callers that have one; times below against
            # Django's clock, which tests can move.
            options={
                "require": list(required),
                "verify_aud": False,
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.PyJWTError:
        raise NotAuthorizedException(invalid) from None
    times = [claims["exp"], claims["iat"], claims.get("nbf", claims["iat"])]
    if claims["token_use"] != token_use or not all(map(_is_epoch, times)):
        raise NotAuthorizedException(invalid)
    exp, iat, nbf = times
    now = epoch_seconds(timezone.now())
    # Not yet valid: only a host whose clock runs ahead can make one, and its `iat` would let it
    # outlive a global sign-out made before that time.
    if max(iat, nbf) > now + CLOCK_SKEW_SECONDS:
        raise NotAuthorizedException(invalid)
    if exp <= now:
        raise NotAuthorizedException(expired)
    return key, claims


def _access_claims(token: str) -> tuple[_VerificationKey, dict[str, Any]]:
    return _signed_claims(
        token,
        token_use=TOKEN_USE_ACCESS,
        required=_ACCESS_REQUIRED_CLAIMS,
        invalid=ACCESS_TOKEN_INVALID,
        expired=ACCESS_TOKEN_EXPIRED,
    )


def _is_epoch(value: Any) -> bool:
    # bool is an int to Python, not a time to JWT.
    return isinstance(value, int) and not isinstance(value, bool)


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
        user.tokens_valid_after is not None
        and claims["iat"] < epoch_seconds(user.tokens_valid_after)
    ):
        raise NotAuthorizedException(ACCESS_TOKEN_REVOKED)
    return AccessTokenContext(user=user, client=client, claims=claims)


def _sub(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotAuthorizedException(ACCESS_TOKEN_INVALID) from None


def id_token_verify(
    *, token: str, pool_id: str, client_ids: Collection[str], check_user: bool
) -> dict[str, Any]:
    """The claims of an ID token of pool `pool_id` for one of `client_ids`, as an identity pool
    takes it as a login: signed by the pool's key (RS256), unexpired. With `check_user` (an
    identity provider's ServerSideTokenCheck) the user must also still exist and be enabled, and
    the sign-in must not be revoked, as for an access token.
    """
    key, claims = _signed_claims(
        token,
        token_use=TOKEN_USE_ID,
        required=_ID_REQUIRED_CLAIMS,
        invalid=ID_TOKEN_INVALID,
        expired=ID_TOKEN_EXPIRED,
    )
    if key.pool_id != pool_id:
        raise NotAuthorizedException(ID_TOKEN_ISSUER)
    if claims["aud"] not in client_ids:
        raise NotAuthorizedException(ID_TOKEN_AUDIENCE)
    if check_user:
        user, client, revoked = _token_subjects(key, {**claims, "client_id": claims["aud"]})
        if user is None or client is None or not user.enabled:
            raise NotAuthorizedException(ID_TOKEN_REVOKED)
        if revoked or (
            user.tokens_valid_after is not None
            and claims["iat"] < epoch_seconds(user.tokens_valid_after)
        ):
            raise NotAuthorizedException(ID_TOKEN_REVOKED)
    return claims
