"""Session configuration of user pools and app clients over the AWS JSON protocol."""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsjson import AwsCall, operation
from pools.aws.resources import pool_arn
from pools.selectors.clients import app_client_get
from pools.selectors.pools import user_pool_get
from pools.services.sessions import (
    app_client_session_configuration_set,
    user_pool_session_configuration_set,
)
from pools.shapes.sessions import (
    app_client_session_configuration_shape,
    user_pool_session_configuration_shape,
)


@operation("GetUserPoolSessionConfiguration", permission="pools.view_userpool", resource=pool_arn)
def get_user_pool_session_configuration(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return user_pool_session_configuration_shape(user_pool_get(pool_id=params["UserPoolId"]))


@operation("SetUserPoolSessionConfiguration", permission="pools.change_userpool", resource=pool_arn)
def set_user_pool_session_configuration(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    pool = user_pool_session_configuration_set(
        pool=user_pool_get(pool_id=params["UserPoolId"]),
        tracking=params["UserSessionTracking"],
        token_session=params["TokenSession"],
    )
    return user_pool_session_configuration_shape(pool)


@operation(
    "GetUserPoolClientSessionConfiguration", permission="pools.view_appclient", resource=pool_arn
)
def get_user_pool_client_session_configuration(
    call: AwsCall, params: dict[str, Any]
) -> dict[str, Any]:
    pool = user_pool_get(pool_id=params["UserPoolId"])
    client = app_client_get(pool=pool, client_id=params["ClientId"])
    return app_client_session_configuration_shape(client)


@operation(
    "SetUserPoolClientSessionConfiguration", permission="pools.change_appclient", resource=pool_arn
)
def set_user_pool_client_session_configuration(
    call: AwsCall, params: dict[str, Any]
) -> dict[str, Any]:
    pool = user_pool_get(pool_id=params["UserPoolId"])
    client = app_client_session_configuration_set(
        client=app_client_get(pool=pool, client_id=params["ClientId"]),
        sso_session=params["SSOSession"],
    )
    return app_client_session_configuration_shape(client)
