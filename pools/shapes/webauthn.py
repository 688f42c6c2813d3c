"""WebAuthnCredentialDescription, as ListWebAuthnCredentials returns it. Dates are datetimes; the
protocol layer writes them as epoch seconds."""

from __future__ import annotations

from typing import Any

from pools.models import WebAuthnCredential


def webauthn_credential_shape(credential: WebAuthnCredential) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "CredentialId": credential.credential_id,
        "FriendlyCredentialName": credential.friendly_name,
        "RelyingPartyId": credential.relying_party_id,
        "AuthenticatorTransports": list(credential.transports),
        "CreatedAt": credential.created_at,
    }
    if credential.authenticator_attachment:
        shape["AuthenticatorAttachment"] = credential.authenticator_attachment
    return shape
