"""Routes of the management API for user pools; mounted at /api/v1/ by `cognitoadmin.api_urls`."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from pools.api import views

POOL = r"pools/(?P<pool_id>[^/]+)"

router = SimpleRouter()
router.register("pools", views.UserPoolViewSet, basename="pool")
router.register(f"{POOL}/users", views.PoolUserViewSet, basename="pool-user")
router.register(f"{POOL}/groups", views.GroupViewSet, basename="pool-group")
router.register(f"{POOL}/clients", views.AppClientViewSet, basename="pool-client")
router.register(
    f"{POOL}/resource-servers", views.ResourceServerViewSet, basename="pool-resource-server"
)
router.register(f"{POOL}/domains", views.DomainViewSet, basename="pool-domain")
router.register(f"{POOL}/deliveries", views.DeliveryViewSet, basename="pool-delivery")

urlpatterns = router.urls
