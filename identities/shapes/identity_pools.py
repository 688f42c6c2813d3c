"""IdentityPool (CreateIdentityPool, DescribeIdentityPool, UpdateIdentityPool), its short
description (ListIdentityPools), GetIdentityPoolRoles' and the principal tag maps' outputs, and
IdentityDescription (ListIdentities, DescribeIdentity). Dates are `datetime`s; the AWS layer
writes them as epoch seconds."""

from __future__ import annotations

from typing import Any

from identities.models import Identity, IdentityPool


def identity_pool_shape(pool: IdentityPool) -> dict[str, Any]:
    # Cognito leaves out the providers, lists and tags a pool does not have.
    shape: dict[str, Any] = {
        "IdentityPoolId": pool.identity_pool_id,
        "IdentityPoolName": pool.name,
        "AllowUnauthenticatedIdentities": pool.allow_unauthenticated,
        "AllowClassicFlow": pool.allow_classic_flow,
    }
    optional = {
        "SupportedLoginProviders": dict(pool.supported_login_providers),
        "DeveloperProviderName": pool.developer_provider_name,
        "OpenIdConnectProviderARNs": list(pool.open_id_connect_provider_arns),
        "CognitoIdentityProviders": [dict(p) for p in pool.cognito_identity_providers],
        "SamlProviderARNs": list(pool.saml_provider_arns),
        "IdentityPoolTags": dict(pool.tags),
    }
    shape.update({member: value for member, value in optional.items() if value})
    return shape


def identity_pool_summary_shape(pool: IdentityPool) -> dict[str, Any]:
    return {"IdentityPoolId": pool.identity_pool_id, "IdentityPoolName": pool.name}


def identity_pool_roles_shape(pool: IdentityPool) -> dict[str, Any]:
    roles = {
        "authenticated": pool.authenticated_role_arn,
        "unauthenticated": pool.unauthenticated_role_arn,
    }
    shape: dict[str, Any] = {
        "IdentityPoolId": pool.identity_pool_id,
        "Roles": {kind: arn for kind, arn in roles.items() if arn},
    }
    if pool.role_mappings:
        shape["RoleMappings"] = dict(pool.role_mappings)
    return shape


def principal_tag_map_shape(pool: IdentityPool, provider: str) -> dict[str, Any]:
    """A provider's principal tag map; one never set maps nothing."""
    mapping = pool.principal_tag_maps.get(provider, {})
    return {
        "IdentityPoolId": pool.identity_pool_id,
        "IdentityProviderName": provider,
        "UseDefaults": bool(mapping.get("UseDefaults", False)),
        "PrincipalTags": dict(mapping.get("PrincipalTags", {})),
    }


def identity_shape(identity: Identity) -> dict[str, Any]:
    """IdentityDescription: the providers linked (each once), not the subjects there."""
    providers = dict.fromkeys(login.provider for login in identity.logins.all())
    return {
        "IdentityId": identity.identity_id,
        "Logins": list(providers),
        "CreationDate": identity.created_at,
        "LastModifiedDate": identity.updated_at,
    }
