"""The RSA keys that sign a pool's ID and access tokens (RS256, `kid` in the token header).

A pool has one active key, created when first needed. Rotation retires it without withdrawing it:
a retired key stays in the JWKS until the last token it could have signed has expired.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cognitoadmin.crypto import seal, unseal
from pools.models import AppClient, SigningKey, UserPool
from pools.selectors.pools import user_pool_locked
from pools.services.clients import UNIT_SECONDS

KEY_SIZE = 2048
PUBLIC_EXPONENT = 65537
SEAL_PURPOSE = "signing_key"
# How long a retired key stays published when the pool has no clients to say otherwise.
DEFAULT_RETIRED_KEY_LIFETIME = dt.timedelta(days=1)


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def rsa_key_material() -> tuple[str, bytes, dict[str, Any]]:
    """A new key's kid, private PEM and public JWK. Generated outside any lock: it takes a while."""
    private = rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=KEY_SIZE)
    pem = private.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    numbers = private.public_key().public_numbers()
    kid = secrets.token_urlsafe(32)
    jwk = {
        "kty": "RSA",
        "kid": kid,
        "use": "sig",
        "alg": "RS256",
        "n": _b64url_uint(numbers.n),
        "e": _b64url_uint(numbers.e),
    }
    return kid, pem, jwk


def _store(pool: UserPool, material: tuple[str, bytes, dict[str, Any]]) -> SigningKey:
    kid, pem, jwk = material
    return SigningKey.objects.create(
        pool=pool,
        kid=kid,
        private_key_sealed=seal(pem, purpose=SEAL_PURPOSE),
        public_jwk=jwk,
        active=True,
    )


def signing_key_active(*, pool: UserPool) -> SigningKey:
    """The key that signs the pool's new tokens, created on first use."""
    key = SigningKey.objects.filter(pool=pool, active=True).first()
    if key is not None:
        return key
    material = rsa_key_material()
    with transaction.atomic():
        user_pool_locked(pool=pool)
        # Another request may have created it while this one generated its material.
        key = SigningKey.objects.filter(pool=pool, active=True).first()
        return key if key is not None else _store(pool, material)


def _longest_token_lifetime(pool: UserPool) -> dt.timedelta:
    longest = 0
    for access, access_unit, id_, id_unit in AppClient.objects.filter(pool=pool).values_list(
        "access_token_validity", "access_token_unit", "id_token_validity", "id_token_unit"
    ):
        longest = max(longest, access * UNIT_SECONDS[access_unit], id_ * UNIT_SECONDS[id_unit])
    return dt.timedelta(seconds=longest) if longest else DEFAULT_RETIRED_KEY_LIFETIME


def signing_key_rotate(*, pool: UserPool) -> SigningKey:
    """Retire the active key (published until its last token expires) and start a new one."""
    material = rsa_key_material()
    with transaction.atomic():
        # Serialises rotations of one pool; the one-active-key constraint backs it in the database.
        user_pool_locked(pool=pool)
        now = timezone.now()
        SigningKey.objects.filter(pool=pool, active=True).update(
            active=False, retired_at=now, expires_at=now + _longest_token_lifetime(pool)
        )
        return _store(pool, material)


def pool_jwks(*, pool: UserPool) -> dict[str, list[dict[str, Any]]]:
    """The JSON Web Key Set at `/<pool id>/.well-known/jwks.json`: the active key first, then the
    retired keys whose tokens may still be valid."""
    signing_key_active(pool=pool)
    keys = SigningKey.objects.filter(pool=pool).filter(
        Q(active=True) | Q(expires_at__gt=timezone.now())
    )
    return {"keys": [dict(key.public_jwk) for key in keys.order_by("-active", "-id")]}


def signing_key_private_pem(*, key: SigningKey) -> bytes:
    return unseal(key.private_key_sealed, purpose=SEAL_PURPOSE)
