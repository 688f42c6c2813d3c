"""Identity pools' OpenID tokens: this server is their issuer, as Cognito Identity is for AWS.

GetOpenIdToken and GetOpenIdTokenForDeveloperIdentity hand out RS256 JWTs whose `sub` is the
identity id, `aud` the identity pool id and `amr` how the identity signed in; STS's
AssumeRoleWithWebIdentity and the `cognito-identity.amazonaws.com` login take them back. The
issuer publishes its keys and discovery document at `<PUBLIC_URL>/cognito-identity/.well-known/`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.conf import settings
from django.utils import timezone
from jwt.algorithms import RSAAlgorithm

from cognitoadmin.crypto import seal, unseal
from identities.models import OpenIdSigningKey
from pools.services.keys import rsa_key_material

ALGORITHM = "RS256"
SEAL_PURPOSE = "openid_signing_key"
# The provider name of these tokens in Logins maps and trust policies, as on AWS.
PROVIDER = "cognito-identity.amazonaws.com"
# GetOpenIdToken's tokens last ten minutes; a developer may ask for up to a day.
DEFAULT_DURATION_SECONDS = 600
MAX_DURATION_SECONDS = 86_400
CLOCK_SKEW_SECONDS = 60
_KID = re.compile(r"[A-Za-z0-9_-]{1,128}")
_REQUIRED = ("sub", "aud", "iss", "exp", "iat", "amr")

TOKEN_INVALID = "Invalid login token. Not a valid OpenId Connect identity token."  # noqa: S105
TOKEN_EXPIRED = "Invalid login token. Token expired."  # noqa: S105


class OpenIdTokenError(Exception):
    """A token this issuer did not sign, or one that has expired (`expired`)."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.expired = expired


def openid_issuer() -> str:
    return f"{settings.COGNITOADMIN_PUBLIC_URL}/cognito-identity"


def _signing_key() -> OpenIdSigningKey:
    key = OpenIdSigningKey.objects.order_by("id").first()
    if key is not None:
        return key
    kid, pem, jwk = rsa_key_material()
    # Two first requests may both make one: the oldest then signs, and both are published.
    OpenIdSigningKey.objects.create(
        kid=kid, private_key_sealed=seal(pem, purpose=SEAL_PURPOSE), public_jwk=jwk
    )
    first: OpenIdSigningKey = OpenIdSigningKey.objects.order_by("id").first()  # type: ignore[assignment]
    return first


@lru_cache(maxsize=16)
def _private_key(kid: str, sealed: str) -> RSAPrivateKey:
    private = load_pem_private_key(unseal(sealed, purpose=SEAL_PURPOSE), password=None)
    assert isinstance(private, RSAPrivateKey)  # noqa: S101 (only RSA keys are made)
    return private


@lru_cache(maxsize=16)
def _public_key(kid: str) -> RSAPublicKey | None:
    row = OpenIdSigningKey.objects.filter(kid=kid).first()
    if row is None:
        return None
    public = RSAAlgorithm.from_jwk(dict(row.public_jwk))
    assert isinstance(public, RSAPublicKey)  # noqa: S101 (published keys are public RSA)
    return public


def openid_token_issue(
    *,
    identity_id: str,
    identity_pool_id: str,
    amr: Sequence[str],
    duration_seconds: int = DEFAULT_DURATION_SECONDS,
) -> str:
    key = _signing_key()
    now = int(timezone.now().timestamp())
    claims: dict[str, Any] = {
        "sub": identity_id,
        "aud": identity_pool_id,
        "iss": openid_issuer(),
        "amr": list(amr),
        "iat": now,
        "exp": now + duration_seconds,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(
        claims,
        _private_key(key.kid, key.private_key_sealed),
        algorithm=ALGORITHM,
        headers={"kid": key.kid},
    )


def openid_token_verify(*, token: str) -> dict[str, Any]:
    """The claims of an OpenID token this issuer signed and that is still valid."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise OpenIdTokenError(TOKEN_INVALID) from None
    kid = header.get("kid")
    if header.get("alg") != ALGORITHM or not isinstance(kid, str) or not _KID.fullmatch(kid):
        raise OpenIdTokenError(TOKEN_INVALID)
    public = _public_key(kid)
    if public is None:
        raise OpenIdTokenError(TOKEN_INVALID)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            public,
            algorithms=[ALGORITHM],
            issuer=openid_issuer(),
            options={
                "require": list(_REQUIRED),
                "verify_aud": False,
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.PyJWTError:
        raise OpenIdTokenError(TOKEN_INVALID) from None
    exp, iat = claims["exp"], claims["iat"]
    well_typed = (
        all(isinstance(t, int) and not isinstance(t, bool) for t in (exp, iat))
        and isinstance(claims["sub"], str)
        and isinstance(claims["aud"], str)
        and isinstance(claims["amr"], list)
        and all(isinstance(method, str) for method in claims["amr"])
    )
    if not well_typed:
        raise OpenIdTokenError(TOKEN_INVALID)
    now = int(timezone.now().timestamp())
    if iat > now + CLOCK_SKEW_SECONDS:
        raise OpenIdTokenError(TOKEN_INVALID)
    if exp <= now:
        raise OpenIdTokenError(TOKEN_EXPIRED, expired=True)
    return claims


def openid_jwks() -> dict[str, list[dict[str, Any]]]:
    _signing_key()
    return {"keys": [dict(row.public_jwk) for row in OpenIdSigningKey.objects.order_by("id")]}


def openid_configuration() -> dict[str, Any]:
    issuer = openid_issuer()
    return {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "claims_supported": ["sub", "aud", "iss", "exp", "iat", "amr"],
    }
