"""MFA over the AWS JSON protocol: authenticator apps (AssociateSoftwareToken,
VerifySoftwareToken, AdminDeleteSoftwareToken) and each user's factors (SetUserMFAPreference,
the legacy SetUserSettings, and their Admin variants).

AssociateSoftwareToken and VerifySoftwareToken are authorised by the user's access token or, in
the middle of a sign-in that owes MFA_SETUP, by its Session.
"""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsjson import AwsCall, operation
from pools.aws.resources import pool_arn
from pools.aws.users import request_user
from pools.errors import InvalidParameterException
from pools.services.auth import auth_software_token_associate, auth_software_token_verify
from pools.services.mfa import (
    SETTINGS_MEMBERS,
    mfa_preference_set,
    mfa_settings_legacy_set,
    software_token_associate,
    software_token_delete,
    software_token_verify,
)
from pools.services.verification import access_token_verify

VERIFIED = {"Status": "SUCCESS"}


def _access_token_or_session(params: dict[str, Any]) -> None:
    if "AccessToken" in params and "Session" in params:
        raise InvalidParameterException("Either AccessToken or Session can be given, not both.")


def _preferences(params: dict[str, Any]) -> dict[str, Any]:
    return {member: params[member] for member in SETTINGS_MEMBERS.values() if member in params}


@operation("AssociateSoftwareToken")
def associate_software_token(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    _access_token_or_session(params)
    if "AccessToken" in params:
        user = access_token_verify(token=params["AccessToken"]).user
        return {"SecretCode": software_token_associate(user=user)}
    association = auth_software_token_associate(session=params.get("Session"))
    return {"SecretCode": association.secret, "Session": association.session}


@operation("VerifySoftwareToken")
def verify_software_token(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    _access_token_or_session(params)
    code, name = params["UserCode"], params.get("FriendlyDeviceName", "")
    if "AccessToken" in params:
        user = access_token_verify(token=params["AccessToken"]).user
        software_token_verify(user=user, code=code, friendly_name=name)
        return dict(VERIFIED)
    session = auth_software_token_verify(
        session=params.get("Session"), code=code, friendly_name=name
    )
    return {**VERIFIED, "Session": session}


@operation("AdminDeleteSoftwareToken", permission="pools.change_pooluser", resource=pool_arn)
def admin_delete_software_token(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    software_token_delete(user=request_user(params))
    return {}


@operation("SetUserMFAPreference")
def set_user_mfa_preference(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    user = access_token_verify(token=params["AccessToken"]).user
    mfa_preference_set(user=user, preferences=_preferences(params))
    return {}


@operation("AdminSetUserMFAPreference", permission="pools.change_pooluser", resource=pool_arn)
def admin_set_user_mfa_preference(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    mfa_preference_set(user=request_user(params), preferences=_preferences(params))
    return {}


@operation("SetUserSettings")
def set_user_settings(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    user = access_token_verify(token=params["AccessToken"]).user
    mfa_settings_legacy_set(user=user, options=params["MFAOptions"])
    return {}


@operation("AdminSetUserSettings", permission="pools.change_pooluser", resource=pool_arn)
def admin_set_user_settings(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    mfa_settings_legacy_set(user=request_user(params), options=params["MFAOptions"])
    return {}
