"""`/<pool id>/.well-known/...`: under the issuer, as OIDC discovery and Cognito's clients expect;
the pool users' pages and the OAuth 2.0 endpoints at the root, where Cognito's domain serves them
(`/confirmUser`, `/oauth2/token`, ...), at the URLs the discovery document lists.

The pool-id pattern is botocore's (`[\\w-]+_[0-9a-zA-Z]+`), so these never catch other root paths.
"""

from django.urls import path, re_path

from pools.hosted import branding, federation, login, oauth, pages, saml, self_service, views

_POOL = r"(?P<pool_id>[\w-]+_[0-9a-zA-Z]+)"

app_name = "hosted"
urlpatterns = [
    re_path(rf"^{_POOL}/\.well-known/jwks\.json$", views.jwks, name="jwks"),
    re_path(
        rf"^{_POOL}/\.well-known/openid-configuration$",
        views.openid_configuration,
        name="openid-configuration",
    ),
    re_path(rf"^{_POOL}/saml2/metadata$", saml.pool_metadata, name="saml2-pool-metadata"),
    re_path(
        rf"^{_POOL}/(?P<client_id>ALL|[a-z0-9]+)/(?P<version>[0-9a-f]{{16}})"
        r"/assets/images/image\.(?P<extension>png|jpg)$",
        branding.ui_customization_image,
        name="ui-customization-image",
    ),
    path("confirmUser", pages.confirm_user, name="confirm-user"),
    path("oauth2/authorize", login.authorize, name="oauth2-authorize"),
    path("oauth2/idpresponse", federation.idp_response, name="oauth2-idpresponse"),
    path("saml2/idpresponse", saml.idp_response, name="saml2-idpresponse"),
    path("saml2/metadata", saml.domain_metadata, name="saml2-metadata"),
    path("login", login.login, name="login"),
    path("mfa", login.mfa, name="mfa"),
    path("passkey", login.passkey, name="passkey"),
    path("selectMfa", login.select_mfa, name="select-mfa"),
    path("mfaSetup", login.mfa_setup, name="mfa-setup"),
    path("forceChangePassword", login.new_password, name="force-change-password"),
    path("logout", login.logout, name="logout"),
    path("signup", self_service.signup, name="signup"),
    path("confirm", self_service.confirm, name="confirm"),
    path("forgotPassword", self_service.forgot_password, name="forgot-password"),
    path(
        "confirmForgotPassword",
        self_service.confirm_forgot_password,
        name="confirm-forgot-password",
    ),
    path("oauth2/token", oauth.token, name="oauth2-token"),
    path("oauth2/revoke", oauth.revoke, name="oauth2-revoke"),
    path("oauth2/userInfo", oauth.user_info, name="oauth2-userinfo"),
]
