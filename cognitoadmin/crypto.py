"""Secrets at rest: AES-256-GCM under a key derived from COGNITOADMIN_MASTER_KEY.

Recoverable secrets (app client secrets, SigV4 secret keys, private signing keys, SRP verifiers) are
sealed; secrets that need only be recognised (refresh tokens, codes) are stored as keyed digests.
The `purpose` is bound as associated data, so a value sealed for one column cannot be replayed in
another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_VERSION = "v1"


class SealError(Exception):
    """A sealed value could not be opened: wrong master key, wrong purpose, or tampered data."""


@cache
def _derive(master: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
        master.encode("utf-8")
    )


def _master() -> str:
    master: str = settings.COGNITOADMIN_MASTER_KEY
    return master


def seal(plaintext: str | bytes, *, purpose: str) -> str:
    data = plaintext.encode("utf-8") if isinstance(plaintext, str) else plaintext
    nonce = os.urandom(12)
    key = _derive(_master(), b"cognitoadmin/seal")
    ciphertext = AESGCM(key).encrypt(nonce, data, purpose.encode("utf-8"))
    return f"{_VERSION}.{base64.urlsafe_b64encode(nonce + ciphertext).decode('ascii')}"


def unseal(token: str, *, purpose: str) -> bytes:
    version, _, payload = token.partition(".")
    if version != _VERSION or not payload:
        raise SealError("Unknown sealed value format.")
    try:
        raw = base64.urlsafe_b64decode(payload.encode("ascii"))
        key = _derive(_master(), b"cognitoadmin/seal")
        return AESGCM(key).decrypt(raw[:12], raw[12:], purpose.encode("utf-8"))
    except (InvalidTag, ValueError) as exc:
        raise SealError("Sealed value could not be opened.") from exc


def unseal_str(token: str, *, purpose: str) -> str:
    return unseal(token, purpose=purpose).decode("utf-8")


def digest(secret: str, *, purpose: str) -> str:
    """Keyed SHA-256 of a high-entropy secret: enough to recognise it, useless to recover it."""
    key = _derive(_master(), b"cognitoadmin/digest/" + purpose.encode("utf-8"))
    return hmac.new(key, secret.encode("utf-8"), hashlib.sha256).hexdigest()
