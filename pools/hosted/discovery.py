"""OpenID Connect discovery: the OpenID Provider metadata of a pool's issuer."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from pools.models import (
    STANDARD_ATTRIBUTE_COLUMNS,
    UserPool,
)
from pools.services.domains import pool_base_url
from pools.services.tokens import (
    ALGORITHM,
    user_pool_issuer,
)

_CORE_CLAIMS = (
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "jti",
    "origin_jti",
    "event_id",
    "token_use",
    "cognito:username",
    "cognito:groups",
    "cognito:roles",
    "cognito:preferred_role",
)


def user_pool_openid_configuration(*, pool: UserPool) -> dict[str, Any]:
    """The OpenID Provider metadata at `<issuer>/.well-known/openid-configuration`. The OAuth
    endpoints are on the pool's domain (its custom domain first) where it has one, else this
    server's own root, where the client_id or token each request carries names the pool."""
    base = pool_base_url(pool) or settings.COGNITOADMIN_PUBLIC_URL
    issuer = user_pool_issuer(pool_id=pool.pool_id)
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{base}/oauth2/authorize",
        "token_endpoint": f"{base}/oauth2/token",
        "userinfo_endpoint": f"{base}/oauth2/userInfo",
        "revocation_endpoint": f"{base}/oauth2/revoke",
        "end_session_endpoint": f"{base}/logout",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "response_types_supported": ["code", "token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "claims_supported": list(dict.fromkeys([*_CORE_CLAIMS, *STANDARD_ATTRIBUTE_COLUMNS])),
    }
