"""Cognito's request rates per API category, and the provisioned limits that raise them
(GetProvisionedLimit, UpdateProvisionedLimit).

Cognito groups the user-pool operations into categories (SignUp, ConfirmSignUp, AdminCreateUser
and AdminConfirmSignUp share UserCreation's 50 requests a second, ...). A category's rate is the
account's: every user pool of the account in its Region draws on the same one, and so does a call
that names no pool. This server serves one account, so each category has one counter for the
whole server, in Django's cache (Redis in production: every process shares it), over one-second
windows. Past the rate a call is refused with TooManyRequestsException before it runs. The counter
is one for every region: Cognito's are per Region, but an unsigned call's region is that of the
pool its client belongs to, which is known only after a lookup this check runs before.

UpdateProvisionedLimit raises an adjustable category's rate, from its default up to the account's
maximum (COGNITOADMIN_API_RATE_LIMIT_MAX here; Service Quotas' account-level maximum in Cognito).
COGNITOADMIN_API_RATE_LIMITS scales every rate, or turns them off.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from cognitoadmin.ratelimits import rate_exceeded
from pools.errors import (
    InvalidParameterException,
    ServiceQuotaExceededException,
    TooManyRequestsException,
)
from pools.models import ProvisionedLimit
from pools.selectors.provisioned_limits import provisioned_limit_find
from pools.services.limits import RATE_EXCEEDED_MESSAGE

API_CATEGORY = "API_CATEGORY"
CATEGORY_KEY = "Category"
WINDOW_SECONDS = 1
# How long a process trusts the rate it cached: the most a rate set elsewhere can lag behind.
_RATE_CACHE_SECONDS = 60


@dataclass(frozen=True)
class CategoryQuota:
    default: int  # requests per second: Cognito's "Default quota (RPS)", its FreeLimitValue
    adjustable: bool
    operations: frozenset[str]


def _quota(default: int, adjustable: bool, *operations: str) -> CategoryQuota:
    return CategoryQuota(default=default, adjustable=adjustable, operations=frozenset(operations))


# The Cognito developer guide, "Quotas in Amazon Cognito", section "Amazon Cognito user pools API
# operation categories and request rate quotas" (docs.aws.amazon.com/cognito/latest/
# developerguide/quotas.html#category_operations): each category's operations, its default rate
# and whether it is adjustable. UserFederation counts responses of third-party IdPs at the
# federation endpoints, no operation of this endpoint. Operations the guide lists in no category
# (the terms documents, GetUserAuthFactors, ...) are counted in none.
API_CATEGORIES: dict[str, CategoryQuota] = {
    "UserAuthentication": _quota(
        120,
        True,
        "InitiateAuth",
        "AdminInitiateAuth",
        "RespondToAuthChallenge",
        "AdminRespondToAuthChallenge",
        "GetTokensFromRefreshToken",
    ),
    "UserCreation": _quota(
        50, True, "SignUp", "ConfirmSignUp", "AdminCreateUser", "AdminConfirmSignUp"
    ),
    "UserFederation": _quota(25, True),
    "UserAccountRecovery": _quota(
        30,
        False,
        "ChangePassword",
        "ConfirmForgotPassword",
        "ForgotPassword",
        "AdminResetUserPassword",
        "AdminSetUserPassword",
    ),
    "UserRead": _quota(120, True, "AdminGetUser", "AdminGetUserAuthFactors", "GetUser"),
    "UserUpdate": _quota(
        25,
        False,
        "AdminAddUserToGroup",
        "AdminDeleteUserAttributes",
        "AdminUpdateUserAttributes",
        "AdminDeleteUser",
        "AdminDisableUser",
        "AdminEnableUser",
        "AdminLinkProviderForUser",
        "AdminDisableProviderForUser",
        "VerifyUserAttribute",
        "DeleteUser",
        "DeleteUserAttributes",
        "UpdateUserAttributes",
        "AdminUserGlobalSignOut",
        "GlobalSignOut",
        "AdminRemoveUserFromGroup",
    ),
    "UserToken": _quota(120, True, "RevokeToken"),
    "UserResourceRead": _quota(
        50,
        True,
        "AdminGetDevice",
        "AdminListGroupsForUser",
        "AdminListDevices",
        "GetDevice",
        "ListDevices",
        "GetUserAttributeVerificationCode",
        "ResendConfirmationCode",
        "AdminListUserAuthEvents",
    ),
    "UserResourceUpdate": _quota(
        25,
        False,
        "AdminForgetDevice",
        "AdminUpdateAuthEventFeedback",
        "AdminSetUserMFAPreference",
        "AdminDeleteSoftwareToken",
        "AdminSetUserSettings",
        "AdminUpdateDeviceStatus",
        "UpdateDeviceStatus",
        "UpdateAuthEventFeedback",
        "ConfirmDevice",
        "SetUserMFAPreference",
        "SetUserSettings",
        "VerifySoftwareToken",
        "AssociateSoftwareToken",
        "ForgetDevice",
    ),
    "UserList": _quota(30, False, "ListUsers", "ListUsersInGroup"),
    "UserPoolRead": _quota(15, False, "DescribeUserPool", "ListUserPools"),
    "UserPoolUpdate": _quota(15, False, "CreateUserPool", "UpdateUserPool", "DeleteUserPool"),
    "UserPoolResourceRead": _quota(
        20,
        False,
        "DescribeIdentityProvider",
        "DescribeResourceServer",
        "DescribeUserImportJob",
        "DescribeUserPoolDomain",
        "GetCSVHeader",
        "GetGroup",
        "GetSigningCertificate",
        "GetIdentityProviderByIdentifier",
        "GetUserPoolMfaConfig",
        "ListGroups",
        "ListIdentityProviders",
        "ListResourceServers",
        "ListTagsForResource",
        "ListUserImportJobs",
        "DescribeRiskConfiguration",
        "GetUICustomization",
        "DescribeManagedLoginBranding",
        "DescribeManagedLoginBrandingByClient",
    ),
    "UserPoolResourceUpdate": _quota(
        15,
        False,
        "AddCustomAttributes",
        "CreateGroup",
        "CreateIdentityProvider",
        "CreateResourceServer",
        "CreateUserImportJob",
        "CreateUserPoolDomain",
        "DeleteGroup",
        "DeleteIdentityProvider",
        "DeleteResourceServer",
        "DeleteUserPoolDomain",
        "SetUserPoolMfaConfig",
        "StartUserImportJob",
        "StopUserImportJob",
        "UpdateGroup",
        "UpdateIdentityProvider",
        "UpdateResourceServer",
        "UpdateUserPoolDomain",
        "SetRiskConfiguration",
        "SetUICustomization",
        "TagResource",
        "UntagResource",
        "CreateManagedLoginBranding",
        "UpdateManagedLoginBranding",
        "DeleteManagedLoginBranding",
    ),
    "UserPoolClientRead": _quota(15, False, "DescribeUserPoolClient", "ListUserPoolClients"),
    "UserPoolClientUpdate": _quota(
        15, False, "CreateUserPoolClient", "DeleteUserPoolClient", "UpdateUserPoolClient"
    ),
    "ClientAuthentication": _quota(150, False, "GetClientToken"),
    "LimitManagement": _quota(1, False, "GetProvisionedLimit", "UpdateProvisionedLimit"),
}
OPERATION_CATEGORY: dict[str, str] = {
    operation: name for name, quota in API_CATEGORIES.items() for operation in quota.operations
}
# The guide's special handling: a challenge response answering NEW_PASSWORD_REQUIRED counts as
# UserAccountRecovery; every other one counts against a quota of its own, three times
# UserAuthentication's, so that signing in (InitiateAuth) does not starve finishing a sign-in.
_CHALLENGE_RESPONSES = frozenset({"RespondToAuthChallenge", "AdminRespondToAuthChallenge"})
_CHALLENGE_FACTOR = 3


def api_category_parse(*, limit_class: str, attributes: Mapping[str, str]) -> str:
    """The category a LimitDefinition names; InvalidParameterException for anything else.

    Cognito documents one key, `Category`: its limits are the account's, so the definition names
    no user pool. Other keys are refused rather than ignored, so that a definition that means
    something else (a pool's own limit, say) is never answered with the account's.
    """
    if limit_class != API_CATEGORY:
        raise InvalidParameterException(f"LimitClass must be {API_CATEGORY}.")
    if set(attributes) != {CATEGORY_KEY}:
        raise InvalidParameterException(
            f"Attributes must hold exactly one key, {CATEGORY_KEY}, naming an API category."
        )
    category = attributes[CATEGORY_KEY]
    if category not in API_CATEGORIES:
        raise InvalidParameterException(
            f"{category[:64]!r} is not an API category; the categories are "
            f"{', '.join(sorted(API_CATEGORIES))}."
        )
    return category


def _cache_key(category: str) -> str:
    return f"provisioned-limit:{category}"


def api_category_rate(*, category: str) -> int:
    """The rate enforced for `category` (before COGNITOADMIN_API_RATE_LIMITS scales it): the one
    UpdateProvisionedLimit set, else the default. Kept in the cache for a minute, so that
    counting a call costs no query; UpdateProvisionedLimit replaces it there at once."""
    cached: int | None = cache.get(_cache_key(category))
    if cached is not None:
        return cached
    rate = provisioned_limit_find(category=category) or API_CATEGORIES[category].default
    cache.set(_cache_key(category), rate, timeout=_RATE_CACHE_SECONDS)
    return rate


@transaction.atomic
def provisioned_limit_update(*, category: str, requests_per_second: int) -> int:
    """Set `category`'s rate, and return it. Only adjustable categories take one, from their
    default (setting the default again ends the provisioned rate) up to the account's maximum."""
    quota = API_CATEGORIES[category]
    if not quota.adjustable:
        raise InvalidParameterException(f"The {category} category is not adjustable.")
    if requests_per_second < quota.default:
        raise InvalidParameterException(
            f"RequestedLimitValue must be at least the default limit of {category}, "
            f"{quota.default} requests per second."
        )
    maximum: int = settings.COGNITOADMIN_API_RATE_LIMIT_MAX
    if requests_per_second > maximum:
        raise ServiceQuotaExceededException(
            f"RequestedLimitValue exceeds the account-level maximum of {category}, "
            f"{maximum} requests per second."
        )
    if requests_per_second == quota.default:
        ProvisionedLimit.objects.filter(category=category).delete()
    else:
        ProvisionedLimit.objects.update_or_create(
            category=category, defaults={"requests_per_second": requests_per_second}
        )
    transaction.on_commit(
        lambda: cache.set(_cache_key(category), requests_per_second, timeout=_RATE_CACHE_SECONDS)
    )
    return requests_per_second


def _counted(operation: str, params: Mapping[str, Any]) -> tuple[str, str, int] | None:
    """The counter a call to `operation` draws on, the category whose rate sets it, and the
    multiple of that rate it holds; None for an operation in no category."""
    category = OPERATION_CATEGORY.get(operation)
    if category is None:
        return None
    if operation in _CHALLENGE_RESPONSES:
        if params.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
            return "UserAccountRecovery", "UserAccountRecovery", 1
        return "UserAuthentication:challenges", category, _CHALLENGE_FACTOR
    return category, category, 1


def api_rate_check(*, operation: str, params: Mapping[str, Any]) -> None:
    """Count one call to `operation` against its category, and refuse it with
    TooManyRequestsException when the category has taken more than its rate in the last second.

    Counted before the operation runs, refused calls included: a caller who keeps calling past
    the rate stays refused until it slows down, as with Cognito.
    """
    scale: float = settings.COGNITOADMIN_API_RATE_LIMITS
    if scale <= 0:
        return
    counted = _counted(operation, params)
    if counted is None:
        return
    counter, category, factor = counted
    limit = max(1, round(api_category_rate(category=category) * factor * scale))
    if rate_exceeded(f"api-rate:{counter}", limit=limit, window=WINDOW_SECONDS):
        raise TooManyRequestsException(RATE_EXCEEDED_MESSAGE)
