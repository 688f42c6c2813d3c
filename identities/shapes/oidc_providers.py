"""OpenID Connect providers as IAM's operations return them."""

from __future__ import annotations

from typing import Any

from identities.models import OpenIdConnectProvider
from identities.shapes.roles import tags_shape


def oidc_provider_shape(provider: OpenIdConnectProvider) -> dict[str, Any]:
    """GetOpenIDConnectProvider's answer."""
    shape: dict[str, Any] = {
        "Url": provider.url,
        "ClientIDList": list(provider.client_id_list),
        "ThumbprintList": list(provider.thumbprint_list),
        "CreateDate": provider.created_at,
    }
    if provider.tags:
        shape["Tags"] = tags_shape(provider.tags)
    return shape
