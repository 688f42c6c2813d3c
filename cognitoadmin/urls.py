from django.contrib import admin
from django.urls import include, path

from cognitoadmin import views

urlpatterns = [
    path("", views.root, name="landing"),
    # `/<pool id>/.well-known/...` (the token issuer's discovery documents).
    path("", include("pools.hosted.urls")),
    # `/cognito-identity/.well-known/...` (the identity issuer's discovery documents).
    path("", include("identities.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("cognitoadmin.api_urls")),
]
