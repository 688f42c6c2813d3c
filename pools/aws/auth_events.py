"""A user's authentication events over the AWS JSON protocol: AdminListUserAuthEvents, signed
by an operator who may view the pool's users."""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsjson import AwsCall, operation
from pools.aws.resources import pool_arn
from pools.aws.users import request_user
from pools.selectors.auth_events import auth_events_page
from pools.services.auth_events import auth_events_listable_check
from pools.shapes.auth_events import auth_event_shape


@operation("AdminListUserAuthEvents", permission="pools.view_pooluser", resource=pool_arn)
def admin_list_user_auth_events(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    user = request_user(params)
    auth_events_listable_check(pool=user.pool)
    events, token = auth_events_page(
        user=user, max_results=params.get("MaxResults"), next_token=params.get("NextToken")
    )
    result: dict[str, Any] = {"AuthEvents": [auth_event_shape(event) for event in events]}
    if token is not None:
        result["NextToken"] = token
    return result
