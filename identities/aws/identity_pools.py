"""Identity pools, their roles, principal tag maps and tags, and their identities, over the AWS
JSON protocol (AWSCognitoIdentityService)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cognitoadmin.authorization import ACCOUNT
from cognitoadmin.awsjson import AwsCall, operation
from cognitoadmin.ids import identity_pool_arn as identity_pool_arn_of
from cognitoadmin.regions import call_region
from identities.aws.resources import identity_pool_arn
from identities.models import IdentityPool
from identities.selectors.identity_pools import (
    identities_page,
    identity_get,
    identity_pool_get,
    identity_pool_get_by_arn,
    identity_pool_ids_of,
    identity_pool_provider_check,
    identity_pools_page,
)
from identities.services.identity_pools import (
    identities_delete,
    identity_pool_create,
    identity_pool_delete,
    identity_pool_set_principal_tag_map,
    identity_pool_set_roles,
    identity_pool_tag,
    identity_pool_untag,
    identity_pool_update,
)
from identities.shapes.identity_pools import (
    identity_pool_roles_shape,
    identity_pool_shape,
    identity_pool_summary_shape,
    identity_shape,
    principal_tag_map_shape,
)

SERVICE = "cognito-identity"


def identities_arn(params: Mapping[str, Any]) -> str:
    """The pool the identities a call names belong to; a call that names identities of several
    pools, or none that exist, acts on the whole account."""
    ids = params.get("IdentityIdsToDelete") or [params.get("IdentityId", "")]
    pools = identity_pool_ids_of(identity_ids=ids)
    return identity_pool_arn_of(pools.pop()) if len(pools) == 1 else ACCOUNT


def resource_arn(params: Mapping[str, Any]) -> str:
    return str(params.get("ResourceArn", ""))


def _pool(params: Mapping[str, Any]) -> IdentityPool:
    return identity_pool_get(identity_pool_id=params["IdentityPoolId"])


def _page(member: str, items: list[dict[str, Any]], next_token: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {member: items}
    if next_token is not None:
        result["NextToken"] = next_token
    return result


@operation(
    "CreateIdentityPool",
    service=SERVICE,
    permission="identities.add_identitypool",
    resource=ACCOUNT,
)
def create_identity_pool(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return identity_pool_shape(identity_pool_create(settings=params))


@operation(
    "DescribeIdentityPool",
    service=SERVICE,
    permission="identities.view_identitypool",
    resource=identity_pool_arn,
)
def describe_identity_pool(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return identity_pool_shape(_pool(params))


@operation(
    "UpdateIdentityPool",
    service=SERVICE,
    permission="identities.change_identitypool",
    resource=identity_pool_arn,
)
def update_identity_pool(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return identity_pool_shape(identity_pool_update(pool=_pool(params), settings=params))


@operation(
    "DeleteIdentityPool",
    service=SERVICE,
    permission="identities.delete_identitypool",
    resource=identity_pool_arn,
)
def delete_identity_pool(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    identity_pool_delete(pool=_pool(params))
    return {}


@operation(
    "ListIdentityPools",
    service=SERVICE,
    permission="identities.view_identitypool",
    resource=ACCOUNT,
)
def list_identity_pools(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    pools, next_token = identity_pools_page(
        max_results=params["MaxResults"],
        next_token=params.get("NextToken"),
        region=call_region(),
    )
    return _page("IdentityPools", [identity_pool_summary_shape(p) for p in pools], next_token)


@operation(
    "GetIdentityPoolRoles",
    service=SERVICE,
    permission="identities.view_identitypool",
    resource=identity_pool_arn,
)
def get_identity_pool_roles(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return identity_pool_roles_shape(_pool(params))


@operation(
    "SetIdentityPoolRoles",
    service=SERVICE,
    permission="identities.change_identitypool",
    resource=identity_pool_arn,
)
def set_identity_pool_roles(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    identity_pool_set_roles(
        pool=_pool(params), roles=params["Roles"], role_mappings=params.get("RoleMappings")
    )
    return {}


@operation(
    "GetPrincipalTagAttributeMap",
    service=SERVICE,
    permission="identities.view_identitypool",
    resource=identity_pool_arn,
)
def get_principal_tag_attribute_map(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    pool = _pool(params)
    identity_pool_provider_check(pool=pool, provider=params["IdentityProviderName"])
    return principal_tag_map_shape(pool, params["IdentityProviderName"])


@operation(
    "SetPrincipalTagAttributeMap",
    service=SERVICE,
    permission="identities.change_identitypool",
    resource=identity_pool_arn,
)
def set_principal_tag_attribute_map(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    pool = identity_pool_set_principal_tag_map(
        pool=_pool(params),
        provider=params["IdentityProviderName"],
        use_defaults=params.get("UseDefaults"),
        principal_tags=params.get("PrincipalTags"),
    )
    return principal_tag_map_shape(pool, params["IdentityProviderName"])


@operation(
    "TagResource",
    service=SERVICE,
    permission="identities.change_identitypool",
    resource=resource_arn,
)
def tag_resource(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    identity_pool_tag(pool=identity_pool_get_by_arn(arn=params["ResourceArn"]), tags=params["Tags"])
    return {}


@operation(
    "UntagResource",
    service=SERVICE,
    permission="identities.change_identitypool",
    resource=resource_arn,
)
def untag_resource(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    identity_pool_untag(
        pool=identity_pool_get_by_arn(arn=params["ResourceArn"]), keys=params["TagKeys"]
    )
    return {}


@operation(
    "ListTagsForResource",
    service=SERVICE,
    permission="identities.view_identitypool",
    resource=resource_arn,
)
def list_tags_for_resource(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return {"Tags": dict(identity_pool_get_by_arn(arn=params["ResourceArn"]).tags)}


@operation(
    "ListIdentities",
    service=SERVICE,
    permission="identities.view_identity",
    resource=identity_pool_arn,
)
def list_identities(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    pool = _pool(params)
    identities, next_token = identities_page(
        pool=pool,
        max_results=params["MaxResults"],
        next_token=params.get("NextToken"),
        hide_disabled=params.get("HideDisabled", False),
    )
    result = _page("Identities", [identity_shape(i) for i in identities], next_token)
    return {"IdentityPoolId": pool.identity_pool_id, **result}


@operation(
    "DescribeIdentity",
    service=SERVICE,
    permission="identities.view_identity",
    resource=identities_arn,
)
def describe_identity(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return identity_shape(identity_get(identity_id=params["IdentityId"]))


@operation(
    "DeleteIdentities",
    service=SERVICE,
    permission="identities.delete_identity",
    resource=identities_arn,
)
def delete_identities(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    identities_delete(identity_ids=params["IdentityIdsToDelete"])
    return {"UnprocessedIdentityIds": []}
