"""STS over the Query protocol: the classic flow's AssumeRoleWithWebIdentity, and
GetCallerIdentity, which AWS tools call first to check their credentials."""

from __future__ import annotations

from typing import Any

from cognitoadmin.authorization import ACCOUNT, EVERY_CALLER
from cognitoadmin.awsjson import AwsCall, operation
from cognitoadmin.ids import account_id
from identities.models import AccessKey
from identities.services.authorization import operator_arn
from identities.services.credentials import SessionCredentials
from identities.services.openid import PROVIDER
from identities.services.sts import role_assume_with_web_identity


@operation("AssumeRoleWithWebIdentity", service="sts")
def assume_role_with_web_identity(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    assumed = role_assume_with_web_identity(
        role_arn=params["RoleArn"],
        session_name=params["RoleSessionName"],
        web_identity_token=params["WebIdentityToken"],
        duration_seconds=params.get("DurationSeconds"),
    )
    credentials = assumed.credentials
    return {
        "Credentials": {
            "AccessKeyId": credentials.access_key_id,
            "SecretAccessKey": credentials.secret_access_key,
            "SessionToken": assumed.session_token,
            "Expiration": credentials.expires_at,
        },
        "SubjectFromWebIdentityToken": credentials.identity_id,
        "AssumedRoleUser": {
            "AssumedRoleId": f"{assumed.role.role_id}:{credentials.session_name}",
            "Arn": credentials.assumed_role_arn,
        },
        "Provider": PROVIDER,
        "Audience": credentials.identity_pool_id,
    }


# Every caller may ask who it is, as on AWS, whatever its policies say.
@operation("GetCallerIdentity", service="sts", permission=EVERY_CALLER, resource=ACCOUNT)
def get_caller_identity(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    assert call.caller is not None  # noqa: S101 (a signed operation has a caller)
    signer = call.caller.credential
    if isinstance(signer, SessionCredentials):
        return {
            "UserId": f"{signer.access_key_id}:{signer.session_name}",
            "Account": account_id(),
            "Arn": signer.assumed_role_arn,
        }
    assert isinstance(signer, AccessKey)  # noqa: S101 (the guard gives keys or sessions)
    return {
        "UserId": signer.access_key_id,
        "Account": account_id(),
        "Arn": operator_arn(signer.operator),
    }
