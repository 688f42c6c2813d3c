"""A user pool's federated identity providers over the AWS JSON protocol."""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsjson import AwsCall, operation
from pools.aws.resources import pool_arn
from pools.models import IdentityProvider
from pools.selectors.identity_providers import (
    identity_provider_get,
    identity_provider_get_by_identifier,
    identity_providers_page,
)
from pools.selectors.pools import user_pool_get
from pools.services.federation import (
    identity_provider_create,
    identity_provider_delete,
    identity_provider_update,
)
from pools.shapes.identity_providers import identity_provider_shape, provider_description_shape


def _provider(params: dict[str, Any]) -> IdentityProvider:
    pool = user_pool_get(pool_id=params["UserPoolId"])
    return identity_provider_get(pool=pool, name=params["ProviderName"])


@operation("CreateIdentityProvider", permission="pools.add_identityprovider", resource=pool_arn)
def create_identity_provider(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    provider = identity_provider_create(
        pool=user_pool_get(pool_id=params["UserPoolId"]),
        name=params["ProviderName"],
        provider_type=params["ProviderType"],
        details=params["ProviderDetails"],
        attribute_mapping=params.get("AttributeMapping"),
        idp_identifiers=params.get("IdpIdentifiers", []),
    )
    return {"IdentityProvider": identity_provider_shape(provider)}


@operation("DescribeIdentityProvider", permission="pools.view_identityprovider", resource=pool_arn)
def describe_identity_provider(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return {"IdentityProvider": identity_provider_shape(_provider(params))}


@operation("UpdateIdentityProvider", permission="pools.change_identityprovider", resource=pool_arn)
def update_identity_provider(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    provider = identity_provider_update(
        provider=_provider(params),
        details=params.get("ProviderDetails"),
        attribute_mapping=params.get("AttributeMapping"),
        idp_identifiers=params.get("IdpIdentifiers"),
    )
    return {"IdentityProvider": identity_provider_shape(provider)}


@operation("DeleteIdentityProvider", permission="pools.delete_identityprovider", resource=pool_arn)
def delete_identity_provider(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    identity_provider_delete(provider=_provider(params))
    return {}


@operation("ListIdentityProviders", permission="pools.view_identityprovider", resource=pool_arn)
def list_identity_providers(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    providers, next_token = identity_providers_page(
        pool=user_pool_get(pool_id=params["UserPoolId"]),
        max_results=params.get("MaxResults"),
        next_token=params.get("NextToken"),
    )
    result: dict[str, Any] = {"Providers": [provider_description_shape(p) for p in providers]}
    if next_token is not None:
        result["NextToken"] = next_token
    return result


@operation(
    "GetIdentityProviderByIdentifier", permission="pools.view_identityprovider", resource=pool_arn
)
def get_identity_provider_by_identifier(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    provider = identity_provider_get_by_identifier(
        pool=user_pool_get(pool_id=params["UserPoolId"]), identifier=params["IdpIdentifier"]
    )
    return {"IdentityProvider": identity_provider_shape(provider)}
