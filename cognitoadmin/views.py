"""Pages of the project itself (the apps' pages live in each app)."""

from __future__ import annotations

from importlib.metadata import version

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods


# The AWS endpoint's POST joins these methods on the same path later; the page stays the GET.
@require_http_methods(["GET", "HEAD"])
def landing(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "landing.html",
        {
            "region": settings.COGNITOADMIN_REGION,
            "version": version("cognitoadmin"),
            "public_url": settings.COGNITOADMIN_PUBLIC_URL,
        },
    )
