"""The management API root, /api/v1/: the apps' APIs, the OpenAPI schema and its documentation.

The documentation pages load Swagger UI and Redoc from drf-spectacular-sidecar's static files,
so they work without internet access.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)

from cognitoadmin import api_schema  # noqa: F401  (registers the schema's auth extensions)

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
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html"),
        name="redoc",
    ),
    re_path(r"^", not_found),
]
