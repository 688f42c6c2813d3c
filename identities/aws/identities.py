"""Identities of identity pools over cognito-identity's JSON protocol: ids, credentials, OpenID
tokens, developer identities and unlinking."""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsjson import AwsCall, operation
from cognitoadmin.errors import ResourceNotFoundException
from identities.aws.resources import identity_pool_arn
from identities.models import Identity
from identities.selectors.developer_identities import developer_identity_lookup
from identities.selectors.identity_pools import identity_get, identity_pool_get
from identities.services.identities import (
    developer_identities_merge,
    developer_identity_unlink,
    identity_credentials,
    identity_developer_openid_token,
    identity_get_id,
    identity_openid_token,
    identity_unlink,
)

# The most identifiers LookupDeveloperIdentity returns when the call names no MaxResults.
_LOOKUP_PAGE = 60


def _identity(params: dict[str, Any]) -> Identity:
    return identity_get(identity_id=params["IdentityId"])


def _pool_identity(params: dict[str, Any]) -> Identity:
    """The call's identity, which must belong to the call's identity pool."""
    pool = identity_pool_get(identity_pool_id=params["IdentityPoolId"])
    identity = _identity(params)
    if identity.pool_id != pool.pk:
        # Another pool's identity is not found from this one, as on AWS.
        raise ResourceNotFoundException(f"Identity '{identity.identity_id}' not found.")
    return identity


@operation("GetId", service="cognito-identity")
def get_id(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    identity = identity_get_id(
        pool=identity_pool_get(identity_pool_id=params["IdentityPoolId"]),
        logins=params.get("Logins", {}),
        account_id=params.get("AccountId"),
    )
    return {"IdentityId": identity.identity_id}


@operation("GetCredentialsForIdentity", service="cognito-identity")
def get_credentials_for_identity(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    identity, credentials, token = identity_credentials(
        identity=_identity(params),
        logins=params.get("Logins", {}),
        custom_role_arn=params.get("CustomRoleArn"),
    )
    return {
        "IdentityId": identity.identity_id,
        "Credentials": {
            "AccessKeyId": credentials.access_key_id,
            "SecretKey": credentials.secret_access_key,
            "SessionToken": token,
            "Expiration": credentials.expires_at,
        },
    }


@operation("GetOpenIdToken", service="cognito-identity")
def get_open_id_token(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    identity, token = identity_openid_token(
        identity=_identity(params), logins=params.get("Logins", {})
    )
    return {"IdentityId": identity.identity_id, "Token": token}


@operation(
    "GetOpenIdTokenForDeveloperIdentity",
    service="cognito-identity",
    permission="identities.add_identity",
    resource=identity_pool_arn,
)
def get_open_id_token_for_developer_identity(
    call: AwsCall, params: dict[str, Any]
) -> dict[str, Any]:
    pool = identity_pool_get(identity_pool_id=params["IdentityPoolId"])
    identity, token = identity_developer_openid_token(
        pool=pool,
        identity=_pool_identity(params) if "IdentityId" in params else None,
        logins=params["Logins"],
        duration_seconds=params.get("TokenDuration"),
    )
    return {"IdentityId": identity.identity_id, "Token": token}


@operation(
    "LookupDeveloperIdentity",
    service="cognito-identity",
    permission="identities.view_identity",
    resource=identity_pool_arn,
)
def lookup_developer_identity(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    identity, identifiers, next_token = developer_identity_lookup(
        pool=identity_pool_get(identity_pool_id=params["IdentityPoolId"]),
        identity=_pool_identity(params) if "IdentityId" in params else None,
        developer_user_identifier=params.get("DeveloperUserIdentifier"),
        limit=params.get("MaxResults", _LOOKUP_PAGE),
        next_token=params.get("NextToken"),
    )
    result: dict[str, Any] = {
        "IdentityId": identity.identity_id,
        "DeveloperUserIdentifierList": identifiers,
    }
    if next_token is not None:
        result["NextToken"] = next_token
    return result


@operation(
    "MergeDeveloperIdentities",
    service="cognito-identity",
    permission="identities.change_identity",
    resource=identity_pool_arn,
)
def merge_developer_identities(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    identity = developer_identities_merge(
        pool=identity_pool_get(identity_pool_id=params["IdentityPoolId"]),
        provider_name=params["DeveloperProviderName"],
        source=params["SourceUserIdentifier"],
        destination=params["DestinationUserIdentifier"],
    )
    return {"IdentityId": identity.identity_id}


@operation(
    "UnlinkDeveloperIdentity",
    service="cognito-identity",
    permission="identities.change_identity",
    resource=identity_pool_arn,
)
def unlink_developer_identity(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    developer_identity_unlink(
        identity=_pool_identity(params),
        provider_name=params["DeveloperProviderName"],
        developer_user_identifier=params["DeveloperUserIdentifier"],
    )
    return {}


@operation("UnlinkIdentity", service="cognito-identity")
def unlink_identity(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    identity_unlink(
        identity=_identity(params),
        logins=params["Logins"],
        logins_to_remove=params["LoginsToRemove"],
    )
    return {}
