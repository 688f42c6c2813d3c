"""Functions of the operator's that stand in for Lambda functions.

No Lambda runs here: an ARN configured where Cognito calls a Lambda function is mapped, in
COGNITOADMIN_FUNCTION_URLS, to a URL of a service of the operator's. Invoking it POSTs the event
as JSON to that URL (signed with COGNITOADMIN_FUNCTION_SECRET, see cognitoadmin.webhooks) and
reads the JSON object it answers, as Lambda returns a function's result. One attempt, bounded by
COGNITOADMIN_FUNCTION_TIMEOUT: the caller of the operation waits for it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings

from cognitoadmin.webhooks import DeliveryFailure, webhook_post

# Lambda's own limit on a synchronous invocation's result.
MAX_RESULT_BYTES = 6 * 1024 * 1024


class FunctionError(Exception):
    """The function could not be called, failed, or answered no JSON object; `throttled` when it
    answered HTTP 429, as Lambda answers a throttled invocation."""

    def __init__(self, reason: str, *, throttled: bool = False) -> None:
        super().__init__(reason)
        self.throttled = throttled


def function_url(arn: str) -> str | None:
    url: str | None = settings.COGNITOADMIN_FUNCTION_URLS.get(arn)
    return url


def function_invoke(arn: str, event: Mapping[str, Any]) -> dict[str, Any]:
    url = function_url(arn)
    if url is None:
        raise FunctionError(f"No URL is configured for {arn} (COGNITOADMIN_FUNCTION_URLS).")
    body = json.dumps(event, ensure_ascii=False).encode("utf-8")
    try:
        answer = webhook_post(
            url,
            body,
            secret=settings.COGNITOADMIN_FUNCTION_SECRET,
            timeout=settings.COGNITOADMIN_FUNCTION_TIMEOUT,
            max_answer=MAX_RESULT_BYTES,
        )
    except DeliveryFailure as failure:
        raise FunctionError(str(failure), throttled=failure.status == 429) from None
    try:
        result = json.loads(answer)
    except (ValueError, RecursionError):
        raise FunctionError("The function's answer is not JSON.") from None
    if not isinstance(result, dict):
        raise FunctionError("The function's answer is not a JSON object.")
    return result
