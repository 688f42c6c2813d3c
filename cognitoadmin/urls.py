from django.contrib import admin
from django.urls import include, path

from cognitoadmin import views

urlpatterns = [
    path("", views.root, name="landing"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("cognitoadmin.api_urls")),
]
