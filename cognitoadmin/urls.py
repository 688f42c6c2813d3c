from django.contrib import admin
from django.urls import include, path, re_path

from cognitoadmin import awsrest, views

urlpatterns = [
    path("", views.root, name="landing"),
    # `/<pool id>/.well-known/...` (the token issuer's discovery documents).
    path("", include("pools.hosted.urls")),
    # `/cognito-identity/.well-known/...` (the identity issuer's discovery documents).
    path("", include("identities.urls")),
    # `/identitypools/...`: the rest-json services (Cognito Sync), routed by path.
    re_path(awsrest.url_pattern(), awsrest.endpoint, name="aws-rest"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("cognitoadmin.api_urls")),
]
