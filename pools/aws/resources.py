"""What cognito-idp's signed operations act on, for their authorization (IAM's resource types)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cognitoadmin.authorization import ACCOUNT
from cognitoadmin.ids import user_pool_arn

__all__ = ["ACCOUNT", "pool_arn", "tagged_arn"]


def pool_arn(params: Mapping[str, Any]) -> str:
    """The user pool the call names by `UserPoolId` (whether it exists or not: the answer to a
    caller who may not act there must not say)."""
    return user_pool_arn(params["UserPoolId"])


def tagged_arn(params: Mapping[str, Any]) -> str:
    """The tagging operations name their resource by ARN."""
    resource: str = params["ResourceArn"]
    return resource
