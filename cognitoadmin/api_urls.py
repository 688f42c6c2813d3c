"""The management API root, /api/v1/: the apps' APIs, the OpenAPI schema and its documentation.

The documentation pages load Swagger UI and Redoc from drf-spectacular-sidecar's static files,
so they work without internet access, and run no inline script (Swagger UI's start-up script is
served by its view, `?script`), so the site's Content-Security-Policy holds there too; Redoc's
search runs in a worker made from a blob: URL, which their policy adds.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from cognitoadmin import api_schema  # noqa: F401  (registers the schema's auth extensions)
from cognitoadmin.security import csp_replace

_docs_policy = csp_replace(worker_src=["'self'", "blob:"])

app_name = "api"


# Exempt: it changes nothing, and a CSRF refusal would answer Django's HTML page instead.
@csrf_exempt
def not_found(request: HttpRequest) -> JsonResponse:
    """Unknown API paths answer in the API's error shape rather than with an HTML page."""
    return JsonResponse(
        {
            "code": "ResourceNotFoundException",
            "message": f"No API endpoint at {request.path} (paths end with a slash).",
        },
        status=404,
    )


urlpatterns = [
    path("", include("pools.api.urls")),
    path("", include("identities.api.urls")),
    path("", include("sync.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        _docs_policy(SpectacularSwaggerSplitView.as_view(url_name="api:schema")),
        name="docs",
    ),
    path(
        "redoc/",
        _docs_policy(
            SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html")
        ),
        name="redoc",
    ),
    re_path(r"^", not_found),
]
