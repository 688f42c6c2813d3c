"""The AWS endpoint's request rates: every call passes `request_rate_check` before its handler
(registered with `cognitoadmin.awsjson` by the app's `ready()`)."""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsjson import AwsCall
from pools.services.limits import request_rate_check


def request_rate_limit(call: AwsCall, params: dict[str, Any]) -> None:
    if call.service == "cognito-idp" and call.caller is None:
        request_rate_check(operation=call.operation, client_ip=call.client_ip, params=params)
