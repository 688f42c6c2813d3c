"""HTTP POSTs to the operator's own services (an SMS gateway, a push gateway, a function
standing in for a Lambda), signed so that the receiver can tell the request is ours and fresh.

With a secret, a request carries `X-Cognitoadmin-Timestamp` (Unix seconds) and
`X-Cognitoadmin-Signature: sha256=<hex>`, the HMAC-SHA256 of `<timestamp>.<body>` under the
secret. Any 2xx is an answer; 429 and 5xx, a timeout, no connection or an answer that is not HTTP
are `transient` failures (a later attempt may succeed), another status is not.
"""

from __future__ import annotations

import hmac
import http.client
import time
import urllib.error
import urllib.request

SIGNATURE_HEADER = "X-Cognitoadmin-Signature"
TIMESTAMP_HEADER = "X-Cognitoadmin-Timestamp"


class DeliveryFailure(Exception):
    """A message not handed over; `transient` says whether trying again may succeed, `status`
    is the HTTP status the receiver answered, if it answered."""

    def __init__(self, reason: str, *, transient: bool, status: int | None = None) -> None:
        super().__init__(reason)
        self.transient = transient
        self.status = status


def signature_headers(secret: str, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode() + b"." + body, "sha256")
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: f"sha256={mac.hexdigest()}"}


def webhook_post(
    url: str, body: bytes, *, secret: str, timeout: float, max_answer: int = 1 << 20
) -> bytes:
    """POST the JSON `body` to `url`; return the answer's body (at most `max_answer` bytes, or
    DeliveryFailure). Raises DeliveryFailure for anything but a 2xx."""
    headers = {"Content-Type": "application/json", "User-Agent": "cognitoadmin"}
    if secret:
        headers.update(signature_headers(secret, body))
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (the operator's URL)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            answer: bytes = response.read(max_answer + 1)
    except urllib.error.HTTPError as exc:
        transient = exc.code == 429 or exc.code >= 500
        raise DeliveryFailure(
            f"The webhook answered HTTP {exc.code}.", transient=transient, status=exc.code
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryFailure(
            f"The webhook could not be reached: {reason}", transient=True
        ) from None
    except http.client.HTTPException as exc:
        # An answer that is not HTTP (a bad status line, a body cut short): transient, like a
        # server in trouble, not a crash of the caller that would leave its work stuck.
        raise DeliveryFailure(
            f"The webhook's answer is not HTTP ({type(exc).__name__}).", transient=True
        ) from None
    if len(answer) > max_answer:
        raise DeliveryFailure(
            f"The webhook's answer is longer than {max_answer} bytes.", transient=False
        )
    return answer
