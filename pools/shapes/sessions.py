"""The outputs of the session configuration operations: the pool's
(Get/SetUserPoolSessionConfiguration) and an app client's
(Get/SetUserPoolClientSessionConfiguration)."""

from __future__ import annotations

from typing import Any

from pools.models import AppClient, UserPool
from pools.services.sessions import TRACKING_DISABLED, TRACKING_ENABLED


def user_pool_session_configuration_shape(pool: UserPool) -> dict[str, Any]:
    return {
        "UserPoolId": pool.pool_id,
        "UserSessionTracking": TRACKING_ENABLED
        if pool.session_tracking_enabled
        else TRACKING_DISABLED,
        "TokenSession": {"MaxPerUser": pool.token_sessions_max_per_user},
    }


def app_client_session_configuration_shape(client: AppClient) -> dict[str, Any]:
    return {
        "UserPoolId": client.pool.pool_id,
        "ClientId": client.client_id,
        "SSOSession": {"MaxValidityMinutes": client.sso_session_max_validity_minutes},
    }
