"""IdentityProviderType and ProviderDescription, as the IdP operations return them."""

from __future__ import annotations

from typing import Any

from pools.models import IdentityProvider
from pools.services.federation import UNDISCLOSED_DETAILS, identity_provider_details


def identity_provider_shape(provider: IdentityProvider) -> dict[str, Any]:
    # DescribeIdentityProvider shows the client secret but not Apple's private key.
    details = {
        key: value
        for key, value in identity_provider_details(provider=provider).items()
        if key not in UNDISCLOSED_DETAILS
    }
    return {
        "UserPoolId": provider.pool.pool_id,
        "ProviderName": provider.name,
        "ProviderType": provider.provider_type,
        "ProviderDetails": details,
        "AttributeMapping": dict(provider.attribute_mapping),
        "IdpIdentifiers": list(provider.idp_identifiers),
        "LastModifiedDate": provider.updated_at,
        "CreationDate": provider.created_at,
    }


def provider_description_shape(provider: IdentityProvider) -> dict[str, Any]:
    return {
        "ProviderName": provider.name,
        "ProviderType": provider.provider_type,
        "LastModifiedDate": provider.updated_at,
        "CreationDate": provider.created_at,
    }
