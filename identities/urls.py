"""The identity issuer's documents (`identities.views`), under its issuer URL."""

from django.urls import path

from identities import views

app_name = "identities"
urlpatterns = [
    path("cognito-identity/.well-known/jwks.json", views.jwks, name="jwks"),
    path(
        "cognito-identity/.well-known/openid-configuration",
        views.discovery,
        name="openid-configuration",
    ),
]
