"""The hosted UI's logos, at the `ImageUrl` GetUICustomization gives: public, with the version
(the image's digest) in the path, so each one can be cached for good."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from pools.hosted.domains import request_pool
from pools.selectors.branding import ui_customization_image_find
from pools.services.branding import EXTENSIONS

IMAGE_MAX_AGE = 365 * 24 * 3600


def _not_found() -> HttpResponse:
    response = HttpResponse(b"Not found.", status=404, content_type="text/plain; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def ui_customization_image(
    request: HttpRequest, pool_id: str, client_id: str, version: str, extension: str
) -> HttpResponse:
    row = ui_customization_image_find(pool_id=pool_id, client_id=client_id, digest_prefix=version)
    pool = request_pool(request)
    if (
        row is None
        or EXTENSIONS.get(row.image_content_type) != extension
        or (pool is not None and pool.pk != row.pool_id)
    ):
        return _not_found()
    response = HttpResponse(bytes(row.image), content_type=row.image_content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = f"public, max-age={IMAGE_MAX_AGE}, immutable"
    response["ETag"] = f'"{row.image_digest}"'
    # Pages on a custom domain show it too; an image is no document to run anything in.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
