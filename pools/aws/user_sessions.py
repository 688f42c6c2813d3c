"""A user's sessions over the AWS JSON protocol: the user's own, authorised by their access token
(whose sign-in is the current session), and any user's, by a signed operator call naming pool and
user. The rules are in `pools.services.user_sessions`."""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsjson import AwsCall, operation
from pools.aws.resources import pool_arn
from pools.aws.users import request_user
from pools.services.user_sessions import user_session_revoke, user_sessions_page
from pools.services.verification import access_token_verify
from pools.shapes.user_sessions import user_sessions_page_shape


@operation("ListUserSessions")
def list_user_sessions(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    caller = access_token_verify(token=params["AccessToken"])
    sessions, token = user_sessions_page(
        user=caller.user,
        next_token=params.get("NextToken"),
        current_origin_jti=caller.claims["origin_jti"],
    )
    return user_sessions_page_shape(sessions, token)


@operation("AdminListUserSessions", permission="pools.view_pooluser", resource=pool_arn)
def admin_list_user_sessions(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    sessions, token = user_sessions_page(
        user=request_user(params), next_token=params.get("NextToken")
    )
    return user_sessions_page_shape(sessions, token)


@operation("RevokeUserSession")
def revoke_user_session(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    caller = access_token_verify(token=params["AccessToken"])
    user_session_revoke(
        user=caller.user,
        session_id=params["SessionId"],
        associated=params.get("RevokeAssociatedSessions", "NONE"),
        current_origin_jti=caller.claims["origin_jti"],
    )
    return {}


@operation("AdminRevokeUserSession", permission="pools.change_pooluser", resource=pool_arn)
def admin_revoke_user_session(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    user_session_revoke(
        user=request_user(params),
        session_id=params["SessionId"],
        associated=params.get("RevokeAssociatedSessions", "NONE"),
    )
    return {}
