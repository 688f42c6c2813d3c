"""The ARNs that signed identity, IAM and STS operations act on, as AWS names them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cognitoadmin.ids import iam_arn, iam_oidc_provider_arn
from cognitoadmin.ids import identity_pool_arn as _identity_pool_arn


def identity_pool_arn(params: Mapping[str, Any]) -> str:
    """The identity pool named by a call's `IdentityPoolId`."""
    return _identity_pool_arn(str(params.get("IdentityPoolId", "")))


def role_arn_of(*, path: str, name: str) -> str:
    return iam_arn("role", path=path, name=name)


def role_arn(params: Mapping[str, Any]) -> str:
    """The role named by a call's `RoleName` (IAM's resource ARNs leave the path out when the
    call names no path)."""
    return role_arn_of(path=str(params.get("Path", "/")), name=str(params.get("RoleName", "")))


def policy_arn_of(*, path: str, name: str) -> str:
    return iam_arn("policy", path=path, name=name)


def policy_arn(params: Mapping[str, Any]) -> str:
    """The managed policy a call names by `PolicyArn`, or creates by `PolicyName`."""
    if "PolicyArn" in params:
        return str(params["PolicyArn"])
    return policy_arn_of(path=str(params.get("Path", "/")), name=str(params.get("PolicyName", "")))


def oidc_provider_arn(params: Mapping[str, Any]) -> str:
    """The OpenID Connect provider a call names by ARN, or creates by `Url`."""
    if "OpenIDConnectProviderArn" in params:
        return str(params["OpenIDConnectProviderArn"])
    url = str(params.get("Url", ""))
    return iam_oidc_provider_arn(url.split("://", 1)[-1])
