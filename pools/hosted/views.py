"""Public, unauthenticated GETs that JWT verifiers and OIDC clients make: the pool's JSON Web Key
Set and its OpenID Provider metadata. Browsers' single-page apps fetch them cross-origin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_http_methods

from cognitoadmin.errors import aws_error_response
from pools.errors import ResourceNotFoundException
from pools.hosted.discovery import user_pool_openid_configuration
from pools.hosted.domains import request_pool
from pools.selectors.pools import user_pool_get
from pools.services.keys import pool_jwks

# Verifiers refetch on an unknown kid, and a rotated-in key signs nothing until it is published,
# so a short cache suffices; the discovery document changes with the deployment and with the
# pool's domains (its endpoints move to them).
JWKS_MAX_AGE = 300
DISCOVERY_MAX_AGE = 300


def public_response(response: HttpResponse, *, max_age: int | None) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    response["Access-Control-Max-Age"] = "86400"
    response["Cache-Control"] = f"public, max-age={max_age}" if max_age else "no-store"
    return response


def _pool_document(
    request: HttpRequest, pool_id: str, *, build: Callable[..., dict[str, Any]], max_age: int
) -> HttpResponse:
    if request.method == "OPTIONS":
        return public_response(HttpResponse(status=204), max_age=max_age)
    try:
        pool = user_pool_get(pool_id=pool_id)
        # Through a pool's domain, only that pool's documents are there.
        if request_pool(request) not in {None, pool}:
            raise ResourceNotFoundException(f"User pool {pool_id} does not exist.")
    except ResourceNotFoundException as error:
        response = aws_error_response(error, content_type="application/json", status=404)
        return public_response(response, max_age=None)
    return public_response(JsonResponse(build(pool=pool)), max_age=max_age)


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def jwks(request: HttpRequest, pool_id: str) -> HttpResponse:
    return _pool_document(request, pool_id, build=pool_jwks, max_age=JWKS_MAX_AGE)


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def openid_configuration(request: HttpRequest, pool_id: str) -> HttpResponse:
    return _pool_document(
        request, pool_id, build=user_pool_openid_configuration, max_age=DISCOVERY_MAX_AGE
    )
