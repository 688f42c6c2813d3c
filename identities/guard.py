"""How the AWS endpoint lets signed calls in: registered with `cognitoadmin.awsjson` at start-up."""

from __future__ import annotations

from django.http import HttpRequest

from cognitoadmin.authorization import Caller, request_caller
from identities.models import AccessKey
from identities.sigv4 import sigv4_call_region, sigv4_verify_any


class OperatorGuard:
    """Signed calls come from operators' access keys or from temporary credentials (SigV4)."""

    def authenticate(self, request: HttpRequest, *, service: str) -> Caller:
        # JSON 1.1 services sign the path `/`, where both path-encoding rules agree.
        signer = sigv4_verify_any(request, services={service}, double_encode_path=True)
        region = sigv4_call_region(request)
        if isinstance(signer, AccessKey):
            return request_caller(
                request, operator=signer.operator, credential=signer, region=region
            )
        # Temporary credentials act as no operator: their role's policies alone decide.
        return request_caller(request, operator=None, credential=signer, region=region)
