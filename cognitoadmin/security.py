"""Content-Security-Policy, which Django 5.2 does not set itself: one policy for every response,
and `csp_replace` for the views whose pages need another (the API docs' Swagger UI and Redoc).

The other security headers are Django's own settings (`SECURE_*`, `X_FRAME_OPTIONS`), set by
SecurityMiddleware and XFrameOptionsMiddleware.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

HEADER = "Content-Security-Policy"

View = Callable[..., HttpResponseBase]


def csp_header(policy: Mapping[str, list[str]]) -> str:
    """`{"default-src": ["'self'"], ...}` as the header's text."""
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


def csp_replace(**directives: list[str]) -> Callable[[View], View]:
    """The view's responses get COGNITOADMIN_CSP with `directives` replaced (`worker_src=[...]`
    for `worker-src`)."""
    changes = {name.replace("_", "-"): sources for name, sources in directives.items()}

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            response = view(request, *args, **kwargs)
            response[HEADER] = csp_header({**settings.COGNITOADMIN_CSP, **changes})
            return response

        return wrapped

    return decorate


class ContentSecurityPolicyMiddleware:
    """Sets COGNITOADMIN_CSP on every response that has no policy of its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = csp_header(settings.COGNITOADMIN_CSP)
        return response
