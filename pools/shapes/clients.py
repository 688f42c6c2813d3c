"""UserPoolClientType, UserPoolClientDescription and the client secret descriptors, as the client
operations return them."""

from __future__ import annotations

from typing import Any

from pools.models import AppClient, AppClientSecret
from pools.services.clients import app_client_secret


def app_client_shape(client: AppClient, *, include_secret: bool) -> dict[str, Any]:
    """`include_secret` where Cognito returns the secret (CreateUserPoolClient,
    DescribeUserPoolClient); list members with nothing in them are left out, as Cognito does."""
    shape: dict[str, Any] = {
        "UserPoolId": client.pool.pool_id,
        "ClientName": client.name,
        "ClientId": client.client_id,
    }
    if include_secret and client.has_secret:
        shape["ClientSecret"] = app_client_secret(client=client)
    shape |= {
        "LastModifiedDate": client.updated_at,
        "CreationDate": client.created_at,
        "RefreshTokenValidity": client.refresh_token_validity,
        "AccessTokenValidity": client.access_token_validity,
        "IdTokenValidity": client.id_token_validity,
        "TokenValidityUnits": {
            "AccessToken": client.access_token_unit,
            "IdToken": client.id_token_unit,
            "RefreshToken": client.refresh_token_unit,
        },
    }
    optional = {
        # Empty read/write lists mean Cognito's defaults, which it does not list.
        "ReadAttributes": client.read_attributes,
        "WriteAttributes": client.write_attributes,
        "ExplicitAuthFlows": client.explicit_auth_flows,
        "SupportedIdentityProviders": client.supported_identity_providers,
        "CallbackURLs": client.callback_urls,
        "LogoutURLs": client.logout_urls,
        "DefaultRedirectURI": client.default_redirect_uri,
        "AllowedOAuthFlows": client.allowed_oauth_flows,
        "AllowedOAuthScopes": client.allowed_oauth_scopes,
    }
    shape |= {member: value for member, value in optional.items() if value}
    shape["AllowedOAuthFlowsUserPoolClient"] = client.allowed_oauth_flows_user_pool_client
    if client.analytics_configuration:
        shape["AnalyticsConfiguration"] = client.analytics_configuration
    shape |= {
        "PreventUserExistenceErrors": client.prevent_user_existence_errors,
        "EnableTokenRevocation": client.enable_token_revocation,
        "EnablePropagateAdditionalUserContextData": (
            client.enable_propagate_additional_user_context_data
        ),
        "AuthSessionValidity": client.auth_session_validity,
        "RefreshTokenRotation": {
            "Feature": "ENABLED" if client.refresh_token_rotation_enabled else "DISABLED",
            "RetryGracePeriodSeconds": client.refresh_token_rotation_grace_seconds,
        },
    }
    return shape


def app_client_description_shape(client: AppClient) -> dict[str, Any]:
    return {
        "ClientId": client.client_id,
        "UserPoolId": client.pool.pool_id,
        "ClientName": client.name,
    }


def client_secret_descriptor_shape(
    secret: AppClientSecret, *, value: str | None = None
) -> dict[str, Any]:
    """ClientSecretDescriptorType; `value` only where Cognito returns one (AddUserPoolClientSecret
    for a secret it generated): ListUserPoolClientSecrets never shows a secret."""
    shape: dict[str, Any] = {"ClientSecretId": secret.secret_id}
    if value is not None:
        shape["ClientSecretValue"] = value
    shape["ClientSecretCreateDate"] = secret.created_at
    return shape
