"""`/<pool id>/.well-known/...`: under the issuer, as OIDC discovery and Cognito's clients expect.

The pool-id pattern is botocore's (`[\\w-]+_[0-9a-zA-Z]+`), so these never catch other root paths.
"""

from django.urls import re_path

from pools.hosted import views

_POOL = r"(?P<pool_id>[\w-]+_[0-9a-zA-Z]+)"

app_name = "hosted"
urlpatterns = [
    re_path(rf"^{_POOL}/\.well-known/jwks\.json$", views.jwks, name="jwks"),
    re_path(
        rf"^{_POOL}/\.well-known/openid-configuration$",
        views.openid_configuration,
        name="openid-configuration",
    ),
]
