"""A software passkey authenticator and browser for tests: it reads the CredentialCreationOptions
and CredentialRequestOptions JSON this server sends and answers with the RegistrationResponseJSON
and AuthenticationResponseJSON documents a browser's `PublicKeyCredential.toJSON()` gives.

One authenticator holds one credential (a P-256 key, ES256). Its answers can be made wrong on
purpose: another origin, relying party or challenge, no user verification, a chosen counter;
replaying an answer is sending the same document twice. It encodes its own CBOR (the few types
authenticators use), so it does not share the server's parser.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

FLAG_USER_PRESENT = 0x01
FLAG_USER_VERIFIED = 0x04
FLAG_ATTESTED_DATA = 0x40
ES256 = -7
AAGUID = bytes.fromhex("ea9b8d664d011d213ce4b6b48cb575d4")  # any 16 bytes


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _cbor_head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if value < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | info]) + struct.pack(fmt, value)
    raise ValueError(value)


def cbor(value: Any) -> bytes:
    """CBOR (RFC 8949) of ints, bytes, text and maps: all that COSE keys and attestation
    objects hold."""
    if isinstance(value, int):
        return _cbor_head(0, value) if value >= 0 else _cbor_head(1, -1 - value)
    if isinstance(value, bytes):
        return _cbor_head(2, len(value)) + value
    if isinstance(value, str):
        encoded = value.encode()
        return _cbor_head(3, len(encoded)) + encoded
    if isinstance(value, dict):
        return _cbor_head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    raise TypeError(type(value))


class SoftAuthenticator:
    """A platform authenticator in a browser at `origin`. `user_verification` says whether it
    verifies the user (sets UV); a test may change it between ceremonies."""

    def __init__(
        self,
        *,
        origin: str = "https://login.example.com",
        user_verification: bool = True,
        attachment: str = "platform",
        transports: tuple[str, ...] = ("hybrid", "internal"),
    ) -> None:
        self.origin = origin
        self.user_verification = user_verification
        self.attachment = attachment
        self.transports = transports
        self.credential_id = os.urandom(32)
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.rp_id = ""
        self.user_handle = b""
        self.sign_count = 0

    @property
    def id(self) -> str:
        return b64url(self.credential_id)

    def _flags(self, *extra: int) -> bytes:
        flags = FLAG_USER_PRESENT | (FLAG_USER_VERIFIED if self.user_verification else 0)
        for flag in extra:
            flags |= flag
        return bytes([flags])

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": challenge,
                "origin": self.origin if origin is None else origin,
                "crossOrigin": False,
            }
        ).encode()

    def _cose_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        return cbor(
            {
                1: 2,  # kty: EC2
                3: ES256,
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def register(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        challenge: str | None = None,
    ) -> dict[str, Any]:
        """navigator.credentials.create() with the server's `options`; `origin`, `rp_id` and
        `challenge` replace what an honest browser would use."""
        if not any(param["alg"] == ES256 for param in options["pubKeyCredParams"]):
            raise ValueError("ES256 is not offered")
        excluded = {item["id"] for item in options.get("excludeCredentials", [])}
        if self.id in excluded:
            raise ValueError("InvalidStateError: this authenticator is registered already")
        self.rp_id = options["rp"]["id"] if rp_id is None else rp_id
        self.user_handle = unb64url(options["user"]["id"])
        client_data = self._client_data(
            "webauthn.create", options["challenge"] if challenge is None else challenge, origin
        )
        authenticator_data = (
            hashlib.sha256(self.rp_id.encode()).digest()
            + self._flags(FLAG_ATTESTED_DATA)
            + struct.pack(">I", self.sign_count)
            + AAGUID
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + self._cose_key()
        )
        attestation = cbor({"fmt": "none", "attStmt": {}, "authData": authenticator_data})
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "authenticatorAttachment": self.attachment,
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": list(self.transports),
            },
        }

    def authenticate(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        challenge: str | None = None,
        sign_count: int | None = None,
    ) -> dict[str, Any]:
        """navigator.credentials.get() with the server's `options`. The counter goes up by one,
        unless `sign_count` sets it (lower, to play a cloned authenticator)."""
        allowed = {item["id"] for item in options.get("allowCredentials", [])}
        if allowed and self.id not in allowed:
            raise ValueError("NotAllowedError: this authenticator has none of the credentials")
        self.sign_count = self.sign_count + 1 if sign_count is None else sign_count
        client_data = self._client_data(
            "webauthn.get", options["challenge"] if challenge is None else challenge, origin
        )
        signing_rp = options["rpId"] if rp_id is None else rp_id
        authenticator_data = (
            hashlib.sha256(signing_rp.encode()).digest()
            + self._flags()
            + struct.pack(">I", self.sign_count)
        )
        signature = self.private_key.sign(
            authenticator_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "authenticatorAttachment": self.attachment,
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(authenticator_data),
                "signature": b64url(signature),
                "userHandle": b64url(self.user_handle),
            },
        }
