"""Pages of the project itself, and the root URL that AWS SDKs post to."""

from __future__ import annotations

from importlib.metadata import version

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from cognitoadmin import awsjson, awsquery

# Browser SDKs (amazon-cognito-identity-js, Amplify) call the endpoint cross-origin.
_CORS_ALLOW_HEADERS = (
    "content-type, x-amz-target, x-amz-user-agent, cache-control, authorization, x-amz-date, "
    "x-amz-security-token, amz-sdk-invocation-id, amz-sdk-request, x-amz-content-sha256"
)
_CORS_EXPOSE_HEADERS = "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, Date"


def cors(
    request: HttpRequest, response: HttpResponse, *, methods: str = "POST, GET, OPTIONS"
) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = request.headers.get("Origin", "*")
    response["Access-Control-Allow-Methods"] = methods
    response["Access-Control-Allow-Headers"] = request.headers.get(
        "Access-Control-Request-Headers", _CORS_ALLOW_HEADERS
    )
    response["Access-Control-Expose-Headers"] = _CORS_EXPOSE_HEADERS
    response["Access-Control-Max-Age"] = "86400"
    response["Vary"] = "Origin"
    return response


def landing(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "landing.html",
        {
            "region": settings.COGNITOADMIN_REGION,
            "version": version("cognitoadmin"),
            "public_url": settings.COGNITOADMIN_PUBLIC_URL,
            "otp_required": settings.COGNITOADMIN_ADMIN_OTP_REQUIRED,
        },
    )


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST", "OPTIONS"])
def root(request: HttpRequest) -> HttpResponse:
    """`/`: the AWS endpoint for POSTs (JSON 1.1 by X-Amz-Target, Query by form), a landing
    page for people."""
    if request.method == "POST":
        if (
            "X-Amz-Target" not in request.headers
            and request.content_type == "application/x-www-form-urlencoded"
        ):
            return cors(request, awsquery.dispatch(request))
        return cors(request, awsjson.dispatch(request))
    if request.method == "OPTIONS":
        return cors(request, HttpResponse(status=204))
    return landing(request)
