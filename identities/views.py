"""The identity issuer's public documents: its JSON Web Key Set and OpenID Provider metadata, at
`/cognito-identity/.well-known/`, where verifiers of GetOpenIdToken's tokens look them up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_http_methods

from identities.services.openid import openid_configuration, openid_jwks
from pools.hosted.views import DISCOVERY_MAX_AGE, JWKS_MAX_AGE, public_response


def _document(
    request: HttpRequest, build: Callable[[], dict[str, Any]], max_age: int
) -> HttpResponse:
    if request.method == "OPTIONS":
        return public_response(HttpResponse(status=204), max_age=max_age)
    return public_response(JsonResponse(build()), max_age=max_age)


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def jwks(request: HttpRequest) -> HttpResponse:
    return _document(request, openid_jwks, JWKS_MAX_AGE)


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def discovery(request: HttpRequest) -> HttpResponse:
    return _document(request, openid_configuration, DISCOVERY_MAX_AGE)
