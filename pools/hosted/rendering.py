"""What every hosted page does the same way: read the authorize request in its query, read its
form, count its request rate, and answer with a page (no script, no framing, no caching), a
redirect, or an error page, never a 5xx. The sign-in pages (`login.py`) and the self-service
pages (`self_service.py`) are built on these."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cognitoadmin.errors import ServiceError, as_service_error
from cognitoadmin.ratelimits import client_ip
from cognitoadmin.security import HEADER, csp_header
from pools.hosted.domains import request_base_path, request_pool
from pools.selectors.branding import ui_customization_effective
from pools.services.branding import PageBranding, ui_customization_page
from pools.services.federation import FEDERATION_CALLBACK_PATH
from pools.services.hosted import (
    AuthorizeRequest,
    authorize_client_resolve,
    authorize_error_redirect,
    authorize_request_check,
)
from pools.services.limits import request_rate_check

MAX_FIELD_LENGTH = 1024
_ORIGIN = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[A-Za-z0-9.\-:\[\]]+|[A-Za-z][A-Za-z0-9+.\-]*:")


class PageError(Exception):
    """A request that cannot go back to a redirect URI: an error page."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RedirectError(Exception):
    """A request whose error goes back to the client's redirect URI."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


# --- parsing ---------------------------------------------------------------------------------


def query_parameters(request: HttpRequest) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for name, values in request.GET.lists():
        if len(values) > 1:
            raise PageError(f"The {name[:64]} parameter is repeated.")
        parameters[name] = values[0]
    return parameters


def authorize_request_read(request: HttpRequest) -> AuthorizeRequest:
    """The authorize request in the query: an error page until the redirect URI is good, then a
    redirect with the error."""
    try:
        base = authorize_client_resolve(
            parameters=query_parameters(request), pool=request_pool(request)
        )
    except ServiceError as error:
        raise PageError(error.message) from None
    try:
        return authorize_request_check(request=base)
    except ServiceError as error:
        raise RedirectError(
            authorize_error_redirect(
                request=base,
                error=error.oauth_error or "invalid_request",
                description=error.message,
            )
        ) from None


def page_url(request: HttpRequest, name: str, parameters: Mapping[str, str]) -> str:
    """A hosted page's address: under the domain's path when the request came through one."""
    return f"{request_base_path(request)}/{name}?{urlencode(parameters)}"


def form_field(request: HttpRequest, name: str) -> str:
    value = request.POST.get(name, "")
    return value[:MAX_FIELD_LENGTH]


def rate_check(request: HttpRequest, operation: str, params: Mapping[str, Any]) -> None:
    """The page's request counted under the AWS operation it stands for, as the API counts it."""
    request_rate_check(operation=operation, client_ip=client_ip(request), params=params)


# --- rendering -------------------------------------------------------------------------------


def error_status(error: ServiceError) -> int:
    """A refusal's page status: 429 for a rate or tries limit, else 400."""
    return 429 if error.api_status == 429 else 400


def redirect(url: str) -> HttpResponse:
    """A 302 to `url`, a redirect URI the client registered: custom schemes (`myapp://`) too,
    which Django's HttpResponseRedirect refuses."""
    response = HttpResponse(status=302)
    response["Location"] = url
    return response


def _form_targets(request: HttpRequest, authorize: AuthorizeRequest | None) -> list[str] | None:
    """`form-action`: this server, and the origin the form's answer redirects to (browsers apply
    form-action to the redirects that follow a form's submission). None, no restriction, when
    that answer goes to this server's own federation callback (another of its pools signing its
    users in through this one): that pool then redirects on to its own client, wherever that is,
    and Chromium would block the chain's last step. Any other host keeps the restriction."""
    targets = ["'self'"]
    if authorize is not None:
        parts = urlsplit(authorize.redirect_uri)
        if parts.path == FEDERATION_CALLBACK_PATH and parts.netloc in {
            request.get_host(),
            urlsplit(settings.COGNITOADMIN_PUBLIC_URL).netloc,
        }:
            return None
        origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else f"{parts.scheme}:"
        if _ORIGIN.fullmatch(origin):
            targets.append(origin)
    return targets


def _branding(request: HttpRequest, authorize: AuthorizeRequest | None) -> PageBranding | None:
    """The UI customization the page shows: its client's, else its pool's (SetUICustomization);
    a page of no client, through a pool's domain, shows the pool's."""
    client = authorize.client if authorize is not None else None
    pool = client.pool if client is not None else request_pool(request)
    if pool is None:
        return None
    return ui_customization_page(ui_customization_effective(pool=pool, client=client))


def _image_sources(branding: PageBranding | None) -> list[str]:
    """`img-src`: this server, and the origin of the logo (the public URL, which a page on a
    custom domain does not share)."""
    sources = ["'self'", "data:"]
    if branding is not None and branding.image_url:
        parts = urlsplit(branding.image_url)
        sources.append(f"{parts.scheme}://{parts.netloc}")
    return sources


def page(
    request: HttpRequest,
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    authorize: AuthorizeRequest | None = None,
    script: bool = False,
    any_form_target: bool = False,
) -> HttpResponse:
    """A hosted page: its styles allowed by a nonce, no framing, no caching, and no script at all
    unless the page needs one of its own (`script`: the passkey page, which only the browser's
    WebAuthn API can answer, and SAML's same-site re-post), allowed by the same nonce.
    `any_form_target`: no form-action, for a form whose answer redirects to a client that the
    page cannot know yet."""
    nonce = secrets.token_urlsafe(16)
    query = urlencode(authorize.parameters) if authorize is not None else ""
    branding = _branding(request, authorize)
    response = render(
        request,
        template,
        {
            **context,
            "csp_nonce": nonce,
            "query": query,
            "authorize": authorize,
            "base": request_base_path(request),
            "branding": branding,
        },
        status=status,
    )
    policy = {
        **settings.COGNITOADMIN_CSP,
        "default-src": ["'none'"],
        "script-src": [f"'nonce-{nonce}'"] if script else ["'none'"],
        "style-src": [f"'nonce-{nonce}'"],
        "img-src": _image_sources(branding),
        "connect-src": ["'none'"],
        "font-src": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
    form_targets = None if any_form_target else _form_targets(request, authorize)
    if form_targets is None:
        policy.pop("form-action", None)
    else:
        policy["form-action"] = form_targets
    response[HEADER] = csp_header(policy)
    response["Cache-Control"] = "no-store"
    # same-origin, not no-referrer: with no-referrer a browser's form posts say `Origin: null`,
    # which CSRF protection refuses. Other sites (the app's callback) get no Referer either way.
    response["Referrer-Policy"] = "same-origin"
    return response


def error_page(request: HttpRequest, message: str, *, status: int = 400) -> HttpResponse:
    return page(request, "hosted/error.html", {"error": message}, status=status)


def hosted_view(
    view: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Renders `PageError` and `RedirectError`, and any other failure as an error page (never a
    5xx)."""

    def wrapped(request: HttpRequest) -> HttpResponse:
        try:
            return view(request)
        except PageError as failure:
            return error_page(request, failure.message)
        except RedirectError as failure:
            return redirect(failure.url)
        except Exception as exc:
            error = as_service_error(exc)
            if error.http_status >= 500:
                return error_page(request, "Something went wrong. Please try again.", status=400)
            return error_page(request, error.message, status=error_status(error))

    wrapped.__name__ = wrapped.__qualname__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped
