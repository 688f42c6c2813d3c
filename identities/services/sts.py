"""STS for identity pools: the classic flow's AssumeRoleWithWebIdentity, and who a caller is.

AssumeRoleWithWebIdentity takes an OpenID token of this server's identity issuer (GetOpenIdToken),
checks the role's trust policy with the token's `aud`, `sub` and `amr`, and gives temporary
credentials for the role, bounded by its MaxSessionDuration.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from cognitoadmin.errors import AccessDeniedException, InvalidParameterException
from identities.errors import (
    ExpiredTokenException,
    InvalidIdentityTokenException,
    NoSuchEntityException,
)
from identities.models import Identity, Role
from identities.selectors.roles import role_get_by_arn
from identities.services.credentials import SessionCredentials, credentials_issue
from identities.services.openid import PROVIDER, OpenIdTokenError, openid_token_verify
from identities.services.policies import trust_policy_allows
from identities.services.roles import role_trust_policy

_NOT_AUTHORIZED = "Not authorized to perform sts:AssumeRoleWithWebIdentity"
DEFAULT_DURATION_SECONDS = 3600


@dataclass(frozen=True)
class AssumedRole:
    role: Role
    credentials: SessionCredentials
    session_token: str
    claims: Mapping[str, Any]


def role_assume_with_web_identity(
    *, role_arn: str, session_name: str, web_identity_token: str, duration_seconds: int | None
) -> AssumedRole:
    try:
        claims = openid_token_verify(token=web_identity_token)
    except OpenIdTokenError as refusal:
        if refusal.expired:
            raise ExpiredTokenException(
                "Token expired: current date/time "
                f"{timezone.now():%Y-%m-%dT%H:%M:%SZ} must be before the expiration date/time."
            ) from None
        raise InvalidIdentityTokenException(
            "The ID Token provided is not a valid JWT. (You may see this error if you sent an "
            "Access Token)"
        ) from None
    try:
        role = role_get_by_arn(arn=role_arn)
    except NoSuchEntityException:
        raise AccessDeniedException(_NOT_AUTHORIZED) from None
    context = {
        "cognito-identity.amazonaws.com:aud": claims["aud"],
        "cognito-identity.amazonaws.com:sub": claims["sub"],
        "cognito-identity.amazonaws.com:amr": claims["amr"],
    }
    if not trust_policy_allows(
        policy=role_trust_policy(role=role), principal_federated=PROVIDER, context=context
    ):
        raise AccessDeniedException(_NOT_AUTHORIZED)
    seconds = duration_seconds or DEFAULT_DURATION_SECONDS
    if seconds > role.max_session_duration:
        raise InvalidParameterException(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        )
    identity = (
        Identity.objects.select_related("pool")
        .filter(identity_id=claims["sub"], pool__identity_pool_id=claims["aud"])
        .first()
    )
    if identity is None:
        # The token outlived its identity: nothing may act for it any more.
        raise InvalidIdentityTokenException("The identity of the web identity token is gone.")
    credentials, token = credentials_issue(
        identity=identity,
        role=role,
        amr=claims["amr"],
        session_name=session_name,
        duration=dt.timedelta(seconds=seconds),
    )
    return AssumedRole(role=role, credentials=credentials, session_token=token, claims=claims)
