"""IAM's roles, customer-managed policies and OpenID Connect providers, over the AWS Query
protocol (`cognitoadmin.awsquery`).

Each operation needs the Django permission of the model it reads or changes: a role's inline
and attached policies are changes of the role's permissions (`change_role`, except the inline
policies' own `add_`/`view_`/`delete_rolepolicy`); OpenID Connect providers' operations need
`identities.<add|view|change|delete>_openidconnectprovider`.
"""

from __future__ import annotations

from typing import Any

from cognitoadmin.authorization import ACCOUNT
from cognitoadmin.awsjson import AwsCall, operation
from identities.aws.resources import oidc_provider_arn, policy_arn, role_arn
from identities.models import OpenIdConnectProvider, RolePolicy
from identities.selectors.oidc_providers import (
    oidc_provider_get_by_arn,
    oidc_provider_tags_page,
    oidc_providers_list,
)
from identities.selectors.roles import (
    managed_policies_page,
    managed_policy_get_by_arn,
    managed_policy_version_get,
    role_attached_policies_page,
    role_get,
    role_policies_page,
    role_policy_get,
    role_tags_page,
    roles_page,
)
from identities.services.oidc_providers import (
    oidc_provider_client_id_add,
    oidc_provider_client_id_remove,
    oidc_provider_create,
    oidc_provider_delete,
    oidc_provider_tag,
    oidc_provider_thumbprints_update,
    oidc_provider_untag,
)
from identities.services.roles import (
    managed_policy_create,
    managed_policy_delete,
    role_create,
    role_delete,
    role_policy_attach,
    role_policy_delete,
    role_policy_detach,
    role_policy_put,
    role_tag,
    role_untag,
    role_update,
    role_update_assume_role_policy,
)
from identities.shapes.oidc_providers import oidc_provider_shape
from identities.shapes.roles import (
    attached_policy_shape,
    policy_shape,
    policy_version_shape,
    role_policy_shape,
    role_shape,
    tags_shape,
)


def _page(member: str, items: list[Any], marker: str | None) -> dict[str, Any]:
    # IAM always says whether a list is truncated; the marker comes only with a next page.
    result: dict[str, Any] = {member: items, "IsTruncated": marker is not None}
    if marker is not None:
        result["Marker"] = marker
    return result


def _paging(params: dict[str, Any]) -> dict[str, Any]:
    return {"marker": params.get("Marker"), "max_items": params.get("MaxItems")}


# --- Roles ---------------------------------------------------------------------------------------


@operation("CreateRole", service="iam", permission="identities.add_role", resource=role_arn)
def create_role(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    role = role_create(
        name=params["RoleName"],
        assume_role_policy_document=params["AssumeRolePolicyDocument"],
        path=params.get("Path", "/"),
        description=params.get("Description", ""),
        max_session_duration=params.get("MaxSessionDuration"),
        tags=params.get("Tags", ()),
        permissions_boundary=params.get("PermissionsBoundary"),
        max_signin_session_duration=params.get("MaxSigninSessionDuration"),
    )
    return {"Role": role_shape(role)}


@operation("GetRole", service="iam", permission="identities.view_role", resource=role_arn)
def get_role(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return {"Role": role_shape(role_get(name=params["RoleName"]))}


@operation("ListRoles", service="iam", permission="identities.view_role", resource=ACCOUNT)
def list_roles(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    roles, marker = roles_page(path_prefix=params.get("PathPrefix"), **_paging(params))
    return _page("Roles", [role_shape(role, listed=True) for role in roles], marker)


@operation("UpdateRole", service="iam", permission="identities.change_role", resource=role_arn)
def update_role(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    role_update(
        role=role_get(name=params["RoleName"]),
        description=params.get("Description"),
        max_session_duration=params.get("MaxSessionDuration"),
        max_signin_session_duration=params.get("MaxSigninSessionDuration"),
    )
    return {}


@operation("DeleteRole", service="iam", permission="identities.delete_role", resource=role_arn)
def delete_role(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    role_delete(role=role_get(name=params["RoleName"]))
    return {}


@operation(
    "UpdateAssumeRolePolicy",
    service="iam",
    permission="identities.change_role",
    resource=role_arn,
)
def update_assume_role_policy(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    role_update_assume_role_policy(
        role=role_get(name=params["RoleName"]), document=params["PolicyDocument"]
    )
    return {}


@operation("TagRole", service="iam", permission="identities.change_role", resource=role_arn)
def tag_role(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    role_tag(role=role_get(name=params["RoleName"]), tags=params["Tags"])
    return {}


@operation("UntagRole", service="iam", permission="identities.change_role", resource=role_arn)
def untag_role(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    role_untag(role=role_get(name=params["RoleName"]), keys=params["TagKeys"])
    return {}


@operation("ListRoleTags", service="iam", permission="identities.view_role", resource=role_arn)
def list_role_tags(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    tags, marker = role_tags_page(role=role_get(name=params["RoleName"]), **_paging(params))
    return _page("Tags", tags_shape(dict(tags)), marker)


# --- Inline policies -----------------------------------------------------------------------------


@operation(
    "PutRolePolicy", service="iam", permission="identities.add_rolepolicy", resource=role_arn
)
def put_role_policy(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    role_policy_put(
        role=role_get(name=params["RoleName"]),
        name=params["PolicyName"],
        document=params["PolicyDocument"],
    )
    return {}


def _role_policy(params: dict[str, Any]) -> RolePolicy:
    return role_policy_get(role=role_get(name=params["RoleName"]), name=params["PolicyName"])


@operation(
    "GetRolePolicy", service="iam", permission="identities.view_rolepolicy", resource=role_arn
)
def get_role_policy(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return role_policy_shape(_role_policy(params))


@operation(
    "DeleteRolePolicy",
    service="iam",
    permission="identities.delete_rolepolicy",
    resource=role_arn,
)
def delete_role_policy(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    role_policy_delete(policy=_role_policy(params))
    return {}


@operation(
    "ListRolePolicies", service="iam", permission="identities.view_rolepolicy", resource=role_arn
)
def list_role_policies(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    policies, marker = role_policies_page(role=role_get(name=params["RoleName"]), **_paging(params))
    return _page("PolicyNames", [policy.name for policy in policies], marker)


# --- Managed policies ----------------------------------------------------------------------------


@operation(
    "CreatePolicy", service="iam", permission="identities.add_managedpolicy", resource=policy_arn
)
def create_policy(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    policy = managed_policy_create(
        name=params["PolicyName"],
        document=params["PolicyDocument"],
        path=params.get("Path", "/"),
        description=params.get("Description", ""),
        tags=params.get("Tags", ()),
    )
    return {"Policy": policy_shape(policy)}


@operation(
    "GetPolicy", service="iam", permission="identities.view_managedpolicy", resource=policy_arn
)
def get_policy(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return {"Policy": policy_shape(managed_policy_get_by_arn(arn=params["PolicyArn"]))}


@operation(
    "GetPolicyVersion",
    service="iam",
    permission="identities.view_managedpolicy",
    resource=policy_arn,
)
def get_policy_version(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    policy = managed_policy_version_get(arn=params["PolicyArn"], version_id=params["VersionId"])
    return {"PolicyVersion": policy_version_shape(policy)}


@operation(
    "ListPolicies", service="iam", permission="identities.view_managedpolicy", resource=ACCOUNT
)
def list_policies(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    policies, marker = managed_policies_page(
        scope=params.get("Scope"),
        only_attached=params.get("OnlyAttached", False),
        path_prefix=params.get("PathPrefix"),
        usage_filter=params.get("PolicyUsageFilter"),
        **_paging(params),
    )
    return _page("Policies", [policy_shape(p, listed=True) for p in policies], marker)


@operation(
    "DeletePolicy",
    service="iam",
    permission="identities.delete_managedpolicy",
    resource=policy_arn,
)
def delete_policy(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    managed_policy_delete(policy=managed_policy_get_by_arn(arn=params["PolicyArn"]))
    return {}


# --- Attached policies ---------------------------------------------------------------------------


@operation(
    "AttachRolePolicy", service="iam", permission="identities.change_role", resource=role_arn
)
def attach_role_policy(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    role = role_get(name=params["RoleName"])
    policy = managed_policy_get_by_arn(arn=params["PolicyArn"], attachable=True)
    role_policy_attach(role=role, policy=policy)
    return {}


@operation(
    "DetachRolePolicy", service="iam", permission="identities.change_role", resource=role_arn
)
def detach_role_policy(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    role = role_get(name=params["RoleName"])
    role_policy_detach(role=role, policy=managed_policy_get_by_arn(arn=params["PolicyArn"]))
    return {}


@operation(
    "ListAttachedRolePolicies",
    service="iam",
    permission="identities.view_role",
    resource=role_arn,
)
def list_attached_role_policies(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    policies, marker = role_attached_policies_page(
        role=role_get(name=params["RoleName"]),
        path_prefix=params.get("PathPrefix"),
        **_paging(params),
    )
    return _page("AttachedPolicies", [attached_policy_shape(p) for p in policies], marker)


# --- OpenID Connect providers --------------------------------------------------------------------

_OIDC: dict[str, Any] = {"service": "iam", "resource": oidc_provider_arn}


def _provider(params: dict[str, Any]) -> OpenIdConnectProvider:
    return oidc_provider_get_by_arn(arn=params["OpenIDConnectProviderArn"])


@operation(
    "CreateOpenIDConnectProvider", permission="identities.add_openidconnectprovider", **_OIDC
)
def create_open_id_connect_provider(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    provider = oidc_provider_create(
        url=params["Url"],
        client_ids=params.get("ClientIDList", ()),
        thumbprints=params.get("ThumbprintList", ()),
        tags=params.get("Tags", ()),
        context_provider=params.get("ContextProvider"),
        identity_center_instance_arn=params.get("IdentityCenterInstanceArn"),
    )
    result: dict[str, Any] = {"OpenIDConnectProviderArn": provider.arn}
    if provider.tags:
        result["Tags"] = tags_shape(provider.tags)
    return result


@operation("GetOpenIDConnectProvider", permission="identities.view_openidconnectprovider", **_OIDC)
def get_open_id_connect_provider(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return oidc_provider_shape(_provider(params))


@operation(
    "ListOpenIDConnectProviders",
    service="iam",
    permission="identities.view_openidconnectprovider",
    resource=ACCOUNT,
)
def list_open_id_connect_providers(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return {"OpenIDConnectProviderList": [{"Arn": p.arn} for p in oidc_providers_list()]}


@operation(
    "DeleteOpenIDConnectProvider", permission="identities.delete_openidconnectprovider", **_OIDC
)
def delete_open_id_connect_provider(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    oidc_provider_delete(provider=_provider(params))
    return {}


@operation(
    "AddClientIDToOpenIDConnectProvider",
    permission="identities.change_openidconnectprovider",
    **_OIDC,
)
def add_client_id_to_open_id_connect_provider(
    call: AwsCall, params: dict[str, Any]
) -> dict[str, Any]:
    oidc_provider_client_id_add(provider=_provider(params), client_id=params["ClientID"])
    return {}


@operation(
    "RemoveClientIDFromOpenIDConnectProvider",
    permission="identities.change_openidconnectprovider",
    **_OIDC,
)
def remove_client_id_from_open_id_connect_provider(
    call: AwsCall, params: dict[str, Any]
) -> dict[str, Any]:
    oidc_provider_client_id_remove(provider=_provider(params), client_id=params["ClientID"])
    return {}


@operation(
    "UpdateOpenIDConnectProviderThumbprint",
    permission="identities.change_openidconnectprovider",
    **_OIDC,
)
def update_open_id_connect_provider_thumbprint(
    call: AwsCall, params: dict[str, Any]
) -> dict[str, Any]:
    oidc_provider_thumbprints_update(
        provider=_provider(params), thumbprints=params["ThumbprintList"]
    )
    return {}


@operation(
    "TagOpenIDConnectProvider", permission="identities.change_openidconnectprovider", **_OIDC
)
def tag_open_id_connect_provider(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    oidc_provider_tag(provider=_provider(params), tags=params["Tags"])
    return {}


@operation(
    "UntagOpenIDConnectProvider", permission="identities.change_openidconnectprovider", **_OIDC
)
def untag_open_id_connect_provider(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    oidc_provider_untag(provider=_provider(params), keys=params["TagKeys"])
    return {}


@operation(
    "ListOpenIDConnectProviderTags", permission="identities.view_openidconnectprovider", **_OIDC
)
def list_open_id_connect_provider_tags(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    tags, marker = oidc_provider_tags_page(provider=_provider(params), **_paging(params))
    return _page("Tags", tags_shape(dict(tags)), marker)
