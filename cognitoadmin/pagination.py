"""Opaque, tamper-safe pagination tokens shared by every list (AWS and DRF alike)."""

from __future__ import annotations

from typing import Any

from django.core import signing

from cognitoadmin.errors import InvalidParameterException


def encode_token(payload: dict[str, Any], *, scope: str) -> str:
    """Sign `payload` for one list (`scope` names the list and its tenant, e.g. `users:<pool>`)."""
    return signing.dumps(payload, salt=f"cognitoadmin.pagination:{scope}", compress=True)


def decode_token(token: str, *, scope: str) -> dict[str, Any]:
    try:
        payload = signing.loads(token, salt=f"cognitoadmin.pagination:{scope}")
    except signing.BadSignature:
        raise InvalidParameterException("Invalid pagination token.") from None
    if not isinstance(payload, dict):
        raise InvalidParameterException("Invalid pagination token.")
    return payload
