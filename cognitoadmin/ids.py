"""Identifiers shaped as Cognito's, so SDKs and their validators accept them."""

from __future__ import annotations

import secrets
import string

from django.conf import settings

from cognitoadmin.regions import region_for_new, resource_region

_ALNUM = string.ascii_letters + string.digits
_LOWER_ALNUM = string.ascii_lowercase + string.digits


def random_string(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def region() -> str:
    """The region new resources are made in: the signed call's, else COGNITOADMIN_REGION."""
    return region_for_new()


def account_id() -> str:
    value: str = settings.COGNITOADMIN_ACCOUNT_ID
    return value


def new_user_pool_id(pool_region: str | None = None) -> str:
    return f"{pool_region or region()}_{random_string(_ALNUM, 9)}"


def new_app_client_id() -> str:
    return random_string(_LOWER_ALNUM, 26)


def new_app_client_secret() -> str:
    return random_string(_LOWER_ALNUM, 51)


def user_pool_arn(pool_id: str) -> str:
    return f"arn:aws:cognito-idp:{resource_region(pool_id)}:{account_id()}:userpool/{pool_id}"


def identity_pool_arn(identity_pool_id: str) -> str:
    pool_region = resource_region(identity_pool_id)
    return f"arn:aws:cognito-identity:{pool_region}:{account_id()}:identitypool/{identity_pool_id}"


def iam_arn(kind: str, *, path: str, name: str) -> str:
    """An IAM role's or policy's ARN (`kind` "role" or "policy"): IAM is global, no region."""
    return f"arn:aws:iam::{account_id()}:{kind}{path}{name}"


def iam_oidc_provider_arn(url: str) -> str:
    """An IAM OpenID Connect provider's ARN; `url` as IAM keeps it, without its scheme."""
    return f"arn:aws:iam::{account_id()}:oidc-provider/{url}"
