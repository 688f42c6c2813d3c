"""SessionDescriptionType, as ListUserSessions and AdminListUserSessions return it. Dates are
datetimes; the protocol layer writes them as epoch seconds. Neither the device, the address nor
the place of a session's last activity is recorded, so DeviceType, LastIPAddress and LastLocation
are left out (the model makes every member optional)."""

from __future__ import annotations

from typing import Any

from pools.services.user_sessions import UserSession


def user_session_shape(session: UserSession) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "SessionId": session.session_id,
        "SessionType": session.session_type,
        "CreateDate": session.created_at,
        "LastActiveDate": session.last_active_at,
        "IsCurrentSession": session.is_current,
    }
    if session.client_id is not None:
        shape["ClientId"] = session.client_id
    if session.origin_session_id is not None:
        shape["OriginSessionId"] = session.origin_session_id
    return shape


def user_sessions_page_shape(sessions: list[UserSession], next_token: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {"Sessions": [user_session_shape(s) for s in sessions]}
    if next_token is not None:
        result["NextToken"] = next_token
    return result
