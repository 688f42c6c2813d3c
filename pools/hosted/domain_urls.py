"""The URLconf of a request through a pool's domain: the hosted pages and the OAuth 2.0
endpoints, nothing of the AWS endpoint, the admin or the management API."""

from django.urls import include, path

urlpatterns = [path("", include("pools.hosted.urls"))]
