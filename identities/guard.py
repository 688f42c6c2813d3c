"""How the AWS endpoint lets signed calls in: registered with `cognitoadmin.awsjson` at start-up."""

from __future__ import annotations

from django.http import HttpRequest

from cognitoadmin.authorization import Caller
from identities.sigv4 import sigv4_verify


class OperatorGuard:
    """Signed calls come from operators' access keys (SigV4)."""

    def authenticate(self, request: HttpRequest, *, service: str) -> Caller:
        # JSON 1.1 services sign the path `/`, where both path-encoding rules agree.
        key = sigv4_verify(request, services={service}, double_encode_path=True)
        return Caller(operator=key.operator, credential=key)
