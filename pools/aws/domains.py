"""Hosted-UI domains over the AWS JSON protocol.

botocore's `DomainType` pattern only admits a prefix, yet Cognito takes a full host name for a
custom domain in the same member: the domain operations relax that pattern and the domain service
checks the name for its kind.
"""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsjson import AwsCall, operation
from pools.aws.resources import ACCOUNT, pool_arn
from pools.models import Domain
from pools.selectors.domains import domain_find
from pools.selectors.pools import user_pool_get
from pools.services.domains import domain_create, domain_delete, domain_update
from pools.shapes.domains import domain_shape

_HOST_NAMES = {"Domain"}


def _created(domain: Domain) -> dict[str, Any]:
    """CreateUserPoolDomain's and UpdateUserPoolDomain's output."""
    return {
        "ManagedLoginVersion": domain.managed_login_version,
        "CloudFrontDomain": domain_shape(domain)["CloudFrontDistribution"],
    }


@operation(
    "CreateUserPoolDomain",
    permission="pools.add_domain",
    resource=pool_arn,
    relaxed_patterns=_HOST_NAMES,
)
def create_user_pool_domain(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    domain = domain_create(
        pool=user_pool_get(pool_id=params["UserPoolId"]),
        domain=params["Domain"],
        custom_domain_config=params.get("CustomDomainConfig"),
        managed_login_version=params.get("ManagedLoginVersion"),
    )
    return _created(domain)


@operation(
    "DescribeUserPoolDomain",
    permission="pools.view_domain",
    resource=ACCOUNT,
    relaxed_patterns=_HOST_NAMES,
)
def describe_user_pool_domain(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    domain = domain_find(domain=params["Domain"])
    # Cognito answers an unknown domain with an empty description, not an error.
    return {"DomainDescription": domain_shape(domain) if domain is not None else {}}


@operation(
    "UpdateUserPoolDomain",
    permission="pools.change_domain",
    resource=pool_arn,
    relaxed_patterns=_HOST_NAMES,
)
def update_user_pool_domain(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    domain = domain_update(
        pool=user_pool_get(pool_id=params["UserPoolId"]),
        domain=params["Domain"],
        custom_domain_config=params.get("CustomDomainConfig"),
        managed_login_version=params.get("ManagedLoginVersion"),
    )
    return _created(domain)


@operation(
    "DeleteUserPoolDomain",
    permission="pools.delete_domain",
    resource=pool_arn,
    relaxed_patterns=_HOST_NAMES,
)
def delete_user_pool_domain(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    domain_delete(pool=user_pool_get(pool_id=params["UserPoolId"]), domain=params["Domain"])
    return {}
