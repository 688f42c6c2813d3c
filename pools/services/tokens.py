"""ID, access and refresh tokens as Cognito issues them at a sign-in.

ID and access tokens are RS256 JWTs signed with the pool's active key (`kid` in the header) and
carry Cognito's claims. A refresh token is an opaque random string, stored only as a digest in a
`RefreshToken` row. Each sign-in gets such a row even when no refresh token is handed out: its
`origin_jti` is in every token of that sign-in, so revoking the row revokes them all
(`revocation.py`), and checking an access token (`verification.py`) costs one indexed lookup of
the origin. Redeeming a refresh token is `refresh.py`'s.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, IntegerField, Value
from django.db.models.fields.json import KT
from django.utils import timezone

from pools.errors import NotAuthorizedException
from pools.models import (
    AppClient,
    FederatedIdentity,
    Group,
    PoolUser,
    RefreshToken,
    SigningKey,
    UserPool,
)
from pools.selectors.tokens import refresh_token_digest
from pools.selectors.users import (
    IDENTITIES_ATTRIBUTE,
    user_locked,
    user_readable_attribute_names,
)
from pools.services.attributes import VERIFIED_FLAGS
from pools.services.clients import UNIT_SECONDS
from pools.services.federated_users import identities_claim
from pools.services.keys import signing_key_active, signing_key_private_pem
from pools.services.sessions import token_sessions_make_room

ALGORITHM = "RS256"
TOKEN_USE_ACCESS = "access"  # noqa: S105
TOKEN_USE_ID = "id"  # noqa: S105
# The scope of tokens from the user-pools API (as opposed to the OAuth endpoints): it authorises
# the user's own operations.
USER_ADMIN_SCOPE = "aws.cognito.signin.user.admin"
# 240 random bytes: 320 URL-safe characters, within the pattern of botocore's TokenModelType.
_REFRESH_TOKEN_BYTES = 240
# Parsed keys kept per process: verification is the hot path of every token-authorised call.
KEY_CACHE_SIZE = 1024

REFRESH_TOKEN_INVALID = "Invalid Refresh Token"  # noqa: S105
REFRESH_TOKEN_REVOKED = "Refresh Token has been revoked"  # noqa: S105
USER_DISABLED = "User is disabled."


def user_pool_issuer(*, pool_id: str) -> str:
    """The `iss` of the pool's tokens. pycognito compares it with `<endpoint_url>/<pool id>`
    character for character, so it is built from the public URL exactly so."""
    return f"{settings.COGNITOADMIN_PUBLIC_URL}/{pool_id}"


def _seconds(validity: int, unit: str) -> int:
    return validity * UNIT_SECONDS[unit]


def epoch_seconds(moment: dt.datetime) -> int:
    return int(moment.timestamp())


# --- claims ---------------------------------------------------------------------------------


_GROUP_ROW = "g"
_IDENTITY_ROW = "i"


def _groups_and_identities(user: PoolUser) -> tuple[list[Any], list[FederatedIdentity]]:
    """The user's groups (name, precedence, role) and external identities, in one query: every
    token pays for it, and users without identities must not pay a second one."""
    groups = (
        Group.objects.filter(pool_id=user.pool_id, memberships__user=user)
        .order_by()
        .values_list(
            Value(_GROUP_ROW),
            "name",
            "role_arn",
            Value(""),
            "precedence",
            Value(False),
            Value(None, output_field=DateTimeField()),
            Value(""),
        )
    )
    identities = (
        FederatedIdentity.objects.filter(user=user)
        .order_by()
        .values_list(
            Value(_IDENTITY_ROW),
            "provider",
            "uid",
            "provider_type",
            Value(None, output_field=IntegerField()),
            "primary",
            "created",
            # A SAML IdP's entity id, for the claim's `issuer`.
            KT("extra_data__issuer"),
        )
    )
    group_rows: list[Any] = []
    identity_rows: list[FederatedIdentity] = []
    for kind, name, value, provider_type, precedence, primary, created, issuer in groups.union(
        identities, all=True
    ):
        if kind == _GROUP_ROW:
            group_rows.append((name, precedence, value))
        else:
            identity_rows.append(
                FederatedIdentity(
                    provider=name,
                    uid=value,
                    provider_type=provider_type,
                    primary=primary,
                    created=created,
                    extra_data={"issuer": issuer} if issuer else {},
                )
            )
    # Groups by precedence (none last), then name; identities as they were made.
    group_rows.sort(key=lambda row: (row[1] is None, row[1] or 0, row[0]))
    identity_rows.sort(key=lambda identity: identity.created)
    return group_rows, identity_rows


def _group_claims(rows: list[Any]) -> tuple[list[str], dict[str, Any]]:
    """`cognito:groups`, and the ID token's `cognito:roles` / `cognito:preferred_role`, from the
    user's groups (name, precedence, role) in precedence order.

    The preferred role is that of the role-bearing group with the lowest precedence (a group
    without one loses to any number); when the groups that tie there hold different roles, Cognito
    names none, and neither does this.
    """
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


def user_attribute_claims(
    *, user: PoolUser, client: AppClient, names: Iterable[str] | None = None
) -> dict[str, Any]:
    """The user's attributes that `client` may read, as OIDC claims (the ID token's, userInfo's):
    verified flags as booleans, the address as an object, `updated_at` as a number. `names`
    narrows them further (userInfo's scopes)."""
    readable = user_readable_attribute_names(user=user, client=client)
    if names is not None:
        wanted = set(names)
        readable = [name for name in readable if name in wanted]
    claims: dict[str, Any] = {}
    for name in readable:
        if name in VERIFIED_FLAGS:
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


@lru_cache(maxsize=KEY_CACHE_SIZE)
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


def tokens_sign(
    *,
    user: PoolUser,
    client: AppClient,
    auth_time: dt.datetime,
    origin_jti: str,
    scopes: Sequence[str],
    device_key: str,
    amr: Sequence[str] = (),
    nonce: str = "",
    with_at_hash: bool = False,
) -> dict[str, Any]:
    """A fresh ID and access token of one sign-in (its `origin_jti` and `auth_time`). `amr`
    names the methods of an MFA sign-in; a password alone gets no claim, as from Cognito.
    The hosted flow's ID token also carries the authorize request's `nonce` and `at_hash`
    (OIDC Core §3.1.3.6: the left half of the access token's SHA-256, base64url)."""
    # User and client share the pool; callers usually hold it through the client.
    pool = user.pool if PoolUser.pool.is_cached(user) else client.pool
    kid = _active_kid(pool)
    now = epoch_seconds(timezone.now())
    access_lifetime = _seconds(client.access_token_validity, client.access_token_unit)
    id_lifetime = _seconds(client.id_token_validity, client.id_token_unit)
    group_rows, identities = _groups_and_identities(user)
    groups, role_claims = _group_claims(group_rows)
    event_id = str(uuid.uuid4())
    common: dict[str, Any] = {
        "sub": str(user.sub),
        "iss": user_pool_issuer(pool_id=pool.pool_id),
        "origin_jti": origin_jti,
        "event_id": event_id,
        "auth_time": epoch_seconds(auth_time),
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
        **user_attribute_claims(user=user, client=client),
        **common,
        **group_claim,
        **role_claims,
        "aud": client.client_id,
        "token_use": TOKEN_USE_ID,
        "cognito:username": user.username,
        **({IDENTITIES_ATTRIBUTE: identities_claim(identities)} if identities else {}),
        **({"amr": list(amr)} if amr else {}),
        "exp": now + id_lifetime,
        "jti": str(uuid.uuid4()),
    }
    access_token = _sign(kid, access_claims)
    if nonce:
        id_claims["nonce"] = nonce
    if with_at_hash:
        id_claims["at_hash"] = access_token_hash(access_token)
    return {
        "AccessToken": access_token,
        "ExpiresIn": access_lifetime,
        "TokenType": "Bearer",
        "IdToken": _sign(kid, id_claims),
    }


def access_token_hash(access_token: str) -> str:
    """`at_hash` for RS256: base64url (unpadded) of the left half of SHA-256 of the token."""
    half = hashlib.sha256(access_token.encode("ascii")).digest()[:16]
    return base64.urlsafe_b64encode(half).rstrip(b"=").decode("ascii")


def client_access_token_sign(*, client: AppClient, scopes: Sequence[str]) -> dict[str, Any]:
    """The access token of a client_credentials grant: the client speaks for itself (`sub` is
    its id), with the resource-server scopes it was granted, for its access-token validity. It
    belongs to no sign-in, so it has no `origin_jti`, `username` or ID token, and no user
    operation accepts it."""
    pool = client.pool
    now = epoch_seconds(timezone.now())
    lifetime = _seconds(client.access_token_validity, client.access_token_unit)
    claims: dict[str, Any] = {
        "sub": client.client_id,
        "token_use": TOKEN_USE_ACCESS,
        "scope": " ".join(scopes),
        "auth_time": now,
        "iss": user_pool_issuer(pool_id=pool.pool_id),
        "exp": now + lifetime,
        "iat": now,
        "version": 2,
        "jti": str(uuid.uuid4()),
        "client_id": client.client_id,
    }
    return {
        "AccessToken": _sign(_active_kid(pool), claims),
        "ExpiresIn": lifetime,
        "TokenType": "Bearer",
    }


# --- refresh tokens -------------------------------------------------------------------------


def refresh_token_create(
    *,
    user: PoolUser,
    client: AppClient,
    origin_jti: str,
    auth_time: dt.datetime,
    scopes: Sequence[str],
    device_key: str,
    expires_at: dt.datetime,
    amr: Sequence[str] = (),
) -> str:
    token = secrets.token_urlsafe(_REFRESH_TOKEN_BYTES)
    RefreshToken.objects.create(
        pool_id=user.pool_id,
        user=user,
        client=client,
        token_digest=refresh_token_digest(token),
        origin_jti=origin_jti,
        auth_time=auth_time,
        scopes=list(scopes),
        device_key=device_key,
        expires_at=expires_at,
        amr=list(amr),
    )
    return token


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
    amr: Sequence[str] = (),
    nonce: str = "",
    with_at_hash: bool = False,
    issued: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The `AuthenticationResult` of a successful authentication. `nonce` and `with_at_hash` are
    for the hosted flow's ID token (`tokens_sign`); `issued` is told the new sign-in's origin.

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
        "amr": amr,
    }
    refresh_token: str | None = None
    if origin_jti is None:
        origin_jti = str(uuid.uuid4())
        tracked = client.pool.session_tracking_enabled
        # Only a pool that limits sessions needs its count and the new row in one transaction.
        with transaction.atomic() if tracked else nullcontext():
            token_sessions_make_room(user=user, pool=client.pool)
            refresh_token = refresh_token_create(origin_jti=origin_jti, **row_fields)
    else:
        with transaction.atomic():
            user_locked(user_id=user.pk)
            if _sign_in_revoked(user=user, origin_jti=origin_jti):
                raise NotAuthorizedException(REFRESH_TOKEN_REVOKED)
            if with_refresh_token:
                refresh_token = refresh_token_create(origin_jti=origin_jti, **row_fields)
    result = tokens_sign(
        user=user,
        client=client,
        auth_time=auth_time,
        origin_jti=origin_jti,
        scopes=scopes,
        device_key=device_key,
        amr=amr,
        nonce=nonce,
        with_at_hash=with_at_hash,
    )
    if issued is not None:
        issued(origin_jti)
    if with_refresh_token and refresh_token is not None:
        result["RefreshToken"] = refresh_token
    return result


# --- access-token verification --------------------------------------------------------------


# --- discovery ------------------------------------------------------------------------------
