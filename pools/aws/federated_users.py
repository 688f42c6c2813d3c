"""Users' external identities (AdminLinkProviderForUser, AdminDisableProviderForUser) and the
pool's SAML signing certificate (GetSigningCertificate), over the AWS JSON protocol."""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsjson import AwsCall, operation
from pools.aws.resources import pool_arn
from pools.selectors.pools import user_pool_get
from pools.services.federated_users import (
    federated_identity_disable,
    federated_identity_link,
    saml_signing_certificate_get,
)


@operation("AdminLinkProviderForUser", permission="pools.change_pooluser", resource=pool_arn)
def admin_link_provider_for_user(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    federated_identity_link(
        pool=user_pool_get(pool_id=params["UserPoolId"]),
        destination=params["DestinationUser"],
        source=params["SourceUser"],
    )
    return {}


@operation("AdminDisableProviderForUser", permission="pools.change_pooluser", resource=pool_arn)
def admin_disable_provider_for_user(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    federated_identity_disable(
        pool=user_pool_get(pool_id=params["UserPoolId"]), user=params["User"]
    )
    return {}


@operation("GetSigningCertificate", permission="pools.view_userpool", resource=pool_arn)
def get_signing_certificate(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    pool = user_pool_get(pool_id=params["UserPoolId"])
    return {"Certificate": saml_signing_certificate_get(pool=pool)}
