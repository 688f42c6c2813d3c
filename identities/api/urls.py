"""Routes of the management API for IAM roles and policies and identity pools; mounted at /api/v1/
by `cognitoadmin.api_urls`."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

router = SimpleRouter()

urlpatterns = router.urls
