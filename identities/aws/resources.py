"""The ARNs that signed identity, IAM and STS operations act on, as AWS names them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cognitoadmin.ids import account_id, region


def identity_pool_arn_of(identity_pool_id: str) -> str:
    # An identity pool id starts with its region (`us-east-1:<uuid>`).
    pool_region = identity_pool_id.partition(":")[0] or region()
    return f"arn:aws:cognito-identity:{pool_region}:{account_id()}:identitypool/{identity_pool_id}"


def identity_pool_arn(params: Mapping[str, Any]) -> str:
    """The identity pool named by a call's `IdentityPoolId`."""
    return identity_pool_arn_of(str(params.get("IdentityPoolId", "")))


def role_arn_of(*, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id()}:role{path}{name}"


def role_arn(params: Mapping[str, Any]) -> str:
    """The role named by a call's `RoleName` (IAM's resource ARNs leave the path out when the
    call names no path)."""
    return role_arn_of(path=str(params.get("Path", "/")), name=str(params.get("RoleName", "")))


def policy_arn_of(*, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id()}:policy{path}{name}"


def policy_arn(params: Mapping[str, Any]) -> str:
    """The managed policy a call names by `PolicyArn`, or creates by `PolicyName`."""
    if "PolicyArn" in params:
        return str(params["PolicyArn"])
    return policy_arn_of(path=str(params.get("Path", "/")), name=str(params.get("PolicyName", "")))
