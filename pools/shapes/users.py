"""UserType and AdminGetUser's output, as Cognito returns them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import prefetch_related_objects

from pools.models import STANDARD_ATTRIBUTE_COLUMNS, PoolUser
from pools.selectors.users import IDENTITIES_ATTRIBUTE
from pools.services.auth import auth_factors_configured
from pools.services.federated_users import identities_attribute
from pools.services.mfa import mfa_settings_shape


def user_attributes_shape(
    user: PoolUser, *, names: Sequence[str] | None = None
) -> list[dict[str, str]]:
    """`[{"Name", "Value"}]`: `sub` first, then standard and custom attributes that have a value,
    and `identities` for a user with external identities.

    `names` (ListUsers' AttributesToGet) keeps only the attributes named. The identities are read
    through `user.federated_identities`, so a list prefetches them once for all its users.
    """
    all_names = ["sub", *STANDARD_ATTRIBUTE_COLUMNS, *sorted(user.custom_attributes)]
    wanted = all_names if names is None else [n for n in all_names if n in names]
    shape = []
    for name in wanted:
        value = user.attribute_value(name)
        if value is not None:
            shape.append({"Name": name, "Value": value})
    if names is None or IDENTITIES_ATTRIBUTE in names:
        identities = identities_attribute(user.federated_identities.all())
        if identities is not None:
            shape.append({"Name": IDENTITIES_ATTRIBUTE, "Value": identities})
    return shape


def users_identities_prefetch(users: Sequence[PoolUser]) -> Sequence[PoolUser]:
    """`users` with their external identities read at once (one query), for a list whose every
    user's attributes are shown."""
    prefetch_related_objects(list(users), "federated_identities")
    return users


def user_shape(user: PoolUser, *, attributes_to_get: Sequence[str] | None = None) -> dict[str, Any]:
    """UserType (AdminCreateUser, ListUsers, ListUsersInGroup). Dates are datetimes; the protocol
    layer writes them as epoch seconds."""
    return {
        "Username": user.username,
        "Attributes": user_attributes_shape(user, names=attributes_to_get),
        "UserCreateDate": user.created_at,
        "UserLastModifiedDate": user.updated_at,
        "Enabled": user.enabled,
        "UserStatus": user.status,
    }


def admin_get_user_shape(user: PoolUser) -> dict[str, Any]:
    """AdminGetUser's output, with the MFA members of a user who has any (`mfa_settings_shape`)."""
    return {
        "Username": user.username,
        "UserAttributes": user_attributes_shape(user),
        "UserCreateDate": user.created_at,
        "UserLastModifiedDate": user.updated_at,
        "Enabled": user.enabled,
        "UserStatus": user.status,
        **mfa_settings_shape(user),
    }


def user_auth_factors_shape(user: PoolUser) -> dict[str, Any]:
    """GetUserAuthFactors' and AdminGetUserAuthFactors' output: the user's MFA (as GetUser tells
    it, without the legacy MFAOptions) and their USER_AUTH first factors."""
    mfa = mfa_settings_shape(user)
    mfa.pop("MFAOptions", None)
    return {
        "Username": user.username,
        **mfa,
        "ConfiguredUserAuthFactors": auth_factors_configured(user=user),
    }
