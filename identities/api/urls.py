"""Routes of the management API for IAM roles, policies and OpenID Connect providers and for
identity pools; mounted at /api/v1/ by `cognitoadmin.api_urls`."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from identities.api import identity_pools, oidc_providers, roles

router = SimpleRouter()
router.register("iam/roles", roles.RoleViewSet, basename="iam-role")
router.register(
    r"iam/roles/(?P<role_name>[^/]+)/policies", roles.RolePolicyViewSet, basename="iam-role-policy"
)
router.register("iam/policies", roles.ManagedPolicyViewSet, basename="iam-policy")
router.register(
    "iam/oidc-providers", oidc_providers.OpenIdConnectProviderViewSet, basename="iam-oidc-provider"
)
router.register("identity-pools", identity_pools.IdentityPoolViewSet, basename="identity-pool")
router.register(
    r"identity-pools/(?P<pool_id>[^/]+)/identities",
    identity_pools.IdentityViewSet,
    basename="identity-pool-identity",
)

urlpatterns = router.urls
