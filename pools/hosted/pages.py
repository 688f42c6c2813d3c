"""Pages that pool users open in a browser: for now the confirmation link of a CONFIRM_WITH_LINK
pool's sign-up email (`/confirmUser`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from cognitoadmin.errors import ServiceError
from pools.hosted.domains import request_pool
from pools.services.signup import sign_up_confirm_by_link

_LINK_PARAMETERS = ("client_id", "user_name", "confirmation_code")


def _private(response: HttpResponse) -> HttpResponse:
    # The address carries the code: keep it out of caches and other sites' Referer.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_safe
def confirm_user(request: HttpRequest) -> HttpResponse:
    """Confirms the sign-up the link names, as ConfirmSignUp does, then offers the app's own page
    (its DefaultRedirectURI, else its first callback URL) to continue to."""
    values = [request.GET.get(name, "") for name in _LINK_PARAMETERS]
    if not all(values):
        error = "This confirmation link is incomplete."
        return _private(render(request, "hosted/confirm_user.html", {"error": error}, status=400))
    client_id, username, code = values
    try:
        client = sign_up_confirm_by_link(
            client_id=client_id, username=username, code=code, pool=request_pool(request)
        )
    except ServiceError as failure:
        status = 429 if failure.api_status == 429 else 400
        context = {"error": str(failure) or "This confirmation link is not valid."}
        return _private(render(request, "hosted/confirm_user.html", context, status=status))
    continue_url = client.default_redirect_uri or next(iter(client.callback_urls), "")
    return _private(render(request, "hosted/confirm_user.html", {"continue_url": continue_url}))
