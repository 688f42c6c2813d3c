"""SAML 2.0: `POST /saml2/idpresponse`, where a SAML identity provider posts its response, and
the pool's SP metadata (`GET /saml2/metadata` on its domain, `/<pool id>/saml2/metadata` at
this server's root).

The IdP's POST comes from another site, and the session cookie is SameSite=Lax: a browser does
not send it with that POST. So the first POST is answered with a page of this server that posts
the same fields again, to itself (by a script, or its button without one): that second POST is
same-site and carries the session that holds the pending sign-in. Until RelayState names a
sign-in, an error is a page (400); after, every refusal goes back to the client's redirect URI,
`error=invalid_request` with the reason. The rules are `saml_sign_in`'s.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from cognitoadmin.errors import ServiceError
from pools.errors import ResourceNotFoundException
from pools.hosted.domains import request_base_path, request_pool
from pools.hosted.login import signed_in_response
from pools.hosted.rendering import (
    MAX_FIELD_LENGTH,
    PageError,
    hosted_view,
    page,
    rate_check,
    redirect,
)
from pools.models import UserPool
from pools.selectors.pools import user_pool_get
from pools.services.federation import SAML_CALLBACK_PATH
from pools.services.hosted import authorize_error_redirect
from pools.services.saml_sign_in import (
    MAX_SAML_RESPONSE_LENGTH,
    saml_pending,
    saml_sign_in_complete,
    saml_sp_metadata,
)

# Marks the second, same-site POST.
RETURNED_FIELD = "cognitoadmin_returned"
METADATA_CONTENT_TYPE = "application/samlmetadata+xml"


@csrf_exempt
@require_POST
@hosted_view
def idp_response(request: HttpRequest) -> HttpResponse:
    # Read whole and bounded here: form_field would cut them short without a word.
    saml_response = request.POST.get("SAMLResponse", "")
    relay_state = request.POST.get("RelayState", "")
    if not saml_response or len(saml_response) > MAX_SAML_RESPONSE_LENGTH:
        raise PageError(
            f"The request must carry a SAMLResponse of at most {MAX_SAML_RESPONSE_LENGTH} "
            "characters."
        )
    if len(relay_state) > MAX_FIELD_LENGTH:
        raise PageError(f"The RelayState is longer than {MAX_FIELD_LENGTH} characters.")
    if request.POST.get(RETURNED_FIELD) != "1":
        return page(
            request,
            "hosted/saml_return.html",
            {
                "action": request_base_path(request) + SAML_CALLBACK_PATH,
                "fields": {
                    "SAMLResponse": saml_response,
                    "RelayState": relay_state,
                    RETURNED_FIELD: "1",
                },
            },
            script=True,
            # The second POST redirects to the app's callback, not known before the session
            # is read (and form-action applies to a form's redirects).
            any_form_target=True,
        )
    # Each answer costs the IdP's metadata and a signature check: counted as the starts are.
    rate_check(request, "OAuth2Federation", {})
    try:
        pending = saml_pending(request=request, relay_state=relay_state, pool=request_pool(request))
    except ServiceError as error:
        raise PageError(error.message) from None
    try:
        authorize, user = saml_sign_in_complete(
            pending=pending, saml_response=saml_response, relay_state=relay_state
        )
    except ServiceError as error:
        return redirect(
            authorize_error_redirect(
                request=pending.request, error="invalid_request", description=error.message
            )
        )
    return signed_in_response(request, authorize, user, amr=())


def _metadata_response(pool: UserPool) -> HttpResponse:
    response = HttpResponse(saml_sp_metadata(pool=pool), content_type=METADATA_CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "HEAD"])
def domain_metadata(request: HttpRequest) -> HttpResponse:
    """The SP metadata of the pool whose domain the request came through."""
    pool = request_pool(request)
    if pool is None:
        raise Http404("SP metadata is served on a pool's domain or under its pool id.")
    return _metadata_response(pool)


@require_http_methods(["GET", "HEAD"])
def pool_metadata(request: HttpRequest, pool_id: str) -> HttpResponse:
    try:
        pool = user_pool_get(pool_id=pool_id)
    except ResourceNotFoundException:
        raise Http404(f"User pool {pool_id} does not exist.") from None
    # Through a pool's domain, only that pool's metadata is there.
    if request_pool(request) not in {None, pool}:
        raise Http404(f"User pool {pool_id} does not exist.")
    return _metadata_response(pool)
