"""Routes of the management API of conflict rules and the conflict log; mounted at /api/v1/ by
`cognitoadmin.api_urls`."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from sync.api import views

router = SimpleRouter()
router.register(
    r"identity-pools/(?P<pool_id>[^/]+)/conflict-rules",
    views.ConflictRuleViewSet,
    basename="identity-pool-conflict-rule",
)
router.register(
    r"identity-pools/(?P<pool_id>[^/]+)/conflicts",
    views.ConflictViewSet,
    basename="identity-pool-conflict",
)

urlpatterns = router.urls
