"""`/oauth2/idpresponse`: where an external identity provider sends the browser back.

Until the state names a sign-in this browser started, an error is a page (400) and nothing is
looked up further; after, every refusal goes back to the client's redirect URI as Cognito's
does, `error=invalid_request` with the reason. The rules are `federated_sign_in`'s.

Sign in with Apple answers by a form it posts from its own site (`response_mode=form_post`).
That cross-site POST carries no SameSite=Lax cookie, so the browser's session, which holds the
state, is not there to check: the POST is answered by a redirect to the same callback as a GET
with the answer's fields, and that top-level GET navigation carries the session cookie as any
other callback does. The POST itself reads and writes no session (a fresh session cookie would
replace the browser's own) and so needs no CSRF token; the state check on the GET binds the
answer to the browser.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from cognitoadmin.errors import ServiceError
from pools.hosted.login import signed_in_response
from pools.hosted.rendering import PageError, hosted_view, redirect
from pools.services.federated_sign_in import federation_complete, federation_pending
from pools.services.hosted import MAX_PARAMETER_LENGTH, authorize_error_redirect

# What a provider's form post answers with; anything else it posts is not carried on.
_POSTED_FIELDS = ("code", "state", "user", "error", "error_description")


def _posted_answer(request: HttpRequest) -> HttpResponse:
    values = {name: value for name in _POSTED_FIELDS if (value := request.POST.get(name))}
    if any(len(value) > MAX_PARAMETER_LENGTH for value in values.values()):
        raise PageError("The identity provider's answer is too long.")
    response = HttpResponse(status=303)
    response["Location"] = f"{request.path}?{urlencode(values)}"
    return response


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@hosted_view
def idp_response(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _posted_answer(request)
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
