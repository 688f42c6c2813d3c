"""The AWS endpoint's request rates: every cognito-idp call passes them before its handler
(registered with `cognitoadmin.awsjson` by the app's `ready()`): its API category's rate for the
account (`api_rate_check`), and for the unsigned operations that send messages or check secrets
the rates per client address and per user (`request_rate_check`)."""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsjson import AwsCall
from pools.services.limits import request_rate_check
from pools.services.provisioned_limits import api_rate_check


def request_rate_limit(call: AwsCall, params: dict[str, Any]) -> None:
    if call.service != "cognito-idp":
        return
    # A caller's own limits first: calls they refuse must not spend the account's rates.
    if call.caller is None:
        request_rate_check(operation=call.operation, client_ip=call.client_ip, params=params)
    api_rate_check(operation=call.operation, params=params)
