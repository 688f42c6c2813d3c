"""Role, Policy, PolicyVersion and their kin, as IAM's operations return them.

IAM sends every policy document URL-encoded (RFC 3986), whatever the member: botocore's `iam`
handler (`json_decode_policies`) decodes each `policyDocumentType` member and parses it, so boto3
hands its callers a dict, and the AWS CLI prints the JSON.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from identities.models import ManagedPolicy, Role, RolePolicy
from identities.selectors.roles import DEFAULT_VERSION_ID, managed_policy_attachment_count


def policy_document_shape(document: Any) -> str:
    return quote(json.dumps(document, separators=(",", ":")), safe="")


def tags_shape(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def role_shape(role: Role, *, listed: bool = False) -> dict[str, Any]:
    """GetRole's and CreateRole's Role; `listed`: ListRoles', which leaves out the tags and the
    last use, as IAM's lists do."""
    shape: dict[str, Any] = {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.role_id,
        "Arn": role.arn,
        "CreateDate": role.created_at,
        "AssumeRolePolicyDocument": policy_document_shape(role.assume_role_policy),
        "MaxSessionDuration": role.max_session_duration,
    }
    if role.description:
        shape["Description"] = role.description
    if listed:
        return shape
    if role.tags:
        shape["Tags"] = tags_shape(role.tags)
    shape["RoleLastUsed"] = (
        {"LastUsedDate": role.last_used_at} if role.last_used_at is not None else {}
    )
    return shape


def role_policy_shape(policy: RolePolicy) -> dict[str, Any]:
    """GetRolePolicy's answer."""
    return {
        "RoleName": policy.role.name,
        "PolicyName": policy.name,
        "PolicyDocument": policy_document_shape(policy.document),
    }


def policy_shape(policy: ManagedPolicy, *, listed: bool = False) -> dict[str, Any]:
    """GetPolicy's and CreatePolicy's Policy; `listed`: ListPolicies', without the description
    and the tags."""
    shape: dict[str, Any] = {
        "PolicyName": policy.name,
        "PolicyId": policy.policy_id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": DEFAULT_VERSION_ID,
        "AttachmentCount": managed_policy_attachment_count(policy),
        "PermissionsBoundaryUsageCount": 0,
        "IsAttachable": True,
        "CreateDate": policy.created_at,
        "UpdateDate": policy.updated_at,
    }
    if listed:
        return shape
    if policy.description:
        shape["Description"] = policy.description
    if policy.tags:
        shape["Tags"] = tags_shape(policy.tags)
    return shape


def policy_version_shape(policy: ManagedPolicy) -> dict[str, Any]:
    """The policy's one version, with its document; it dates from the last change."""
    return {
        "Document": policy_document_shape(policy.document),
        "VersionId": DEFAULT_VERSION_ID,
        "IsDefaultVersion": True,
        "CreateDate": policy.updated_at,
    }


def attached_policy_shape(policy: ManagedPolicy) -> dict[str, Any]:
    return {"PolicyName": policy.name, "PolicyArn": policy.arn}
