"""`GET /oauth2/idpresponse`: where an external identity provider sends the browser back.

Until the state names a sign-in this browser started, an error is a page (400) and nothing is
looked up further; after, every refusal goes back to the client's redirect URI as Cognito's
does, `error=invalid_request` with the reason. The rules are `federated_sign_in`'s.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from cognitoadmin.errors import ServiceError
from pools.hosted.login import signed_in_response
from pools.hosted.rendering import PageError, hosted_view, redirect
from pools.services.federated_sign_in import federation_complete, federation_pending
from pools.services.hosted import authorize_error_redirect


@require_safe
@hosted_view
def idp_response(request: HttpRequest) -> HttpResponse:
    try:
        pending = federation_pending(request=request)
    except ServiceError as error:
        raise PageError(error.message) from None
    try:
        authorize, user = federation_complete(request=request, pending=pending)
    except ServiceError as error:
        return redirect(
            authorize_error_redirect(
                request=pending.request, error="invalid_request", description=error.message
            )
        )
    return signed_in_response(request, authorize, user, amr=())
