"""`/<pool id>/.well-known/...`: under the issuer, as OIDC discovery and Cognito's clients expect;
the pool users' pages at the root, where Cognito's domain serves them (`/confirmUser`).

The pool-id pattern is botocore's (`[\\w-]+_[0-9a-zA-Z]+`), so these never catch other root paths.
"""

from django.urls import path, re_path

from pools.hosted import pages, views

_POOL = r"(?P<pool_id>[\w-]+_[0-9a-zA-Z]+)"

app_name = "hosted"
urlpatterns = [
    re_path(rf"^{_POOL}/\.well-known/jwks\.json$", views.jwks, name="jwks"),
    re_path(
        rf"^{_POOL}/\.well-known/openid-configuration$",
        views.openid_configuration,
        name="openid-configuration",
    ),
    path("confirmUser", pages.confirm_user, name="confirm-user"),
]
