"""social-auth's backends for Google, Facebook, Login with Amazon and Sign in with Apple, as the
federated sign-in drives them (`federated_sign_in.py`): their endpoints and keys come from the
pool's IdentityProvider row through the strategy's settings (`social_settings`), never from the
backends' constants, and each backend's `do_auth` stops at the provider's verified profile, the
claims `federated_sign_in` turns into the pool's user, instead of running social-auth's pipeline.

The subclasses only read per instance what social-core reads from class constants or fixed URLs:
the token endpoint's method, the profile URL, Apple's issuer and key set. Everything the protocol
checks stays social-core's: the state, the code exchange, Facebook's `appsecret_proof`, Apple's
ES256 client secret and its ID token's signature, `iss`, `aud` and `exp`; Google's whole OpenID
Connect validation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Literal

from django.http import HttpResponse
from django.utils.crypto import constant_time_compare
from jwt import PyJWTError
from social_core.backends.amazon import AmazonOAuth2
from social_core.backends.apple import AppleIdAuth
from social_core.backends.facebook import FacebookOAuth2
from social_core.backends.google_openidconnect import GoogleOpenIdConnect
from social_core.backends.open_id_connect import OpenIdConnectAuth
from social_core.exceptions import AuthConfigurationError, AuthResponseError

from pools.models import ProviderType

# A nonce long enough not to be guessed, as social-auth makes OpenID Connect's.
_NONCE_LENGTH = 64
_APPLE_NONCE_KEY = "cognitoadmin_apple_nonce"


class OidcClaims(OpenIdConnectAuth[HttpResponse]):
    """An OpenID Connect backend that ends with the verified ID token's claims and the userinfo
    endpoint's (by the provider's attributes_request_method), instead of social-auth's
    pipeline."""

    # Nothing of the token response is kept.
    EXTRA_DATA = []

    def user_data(self, access_token: str, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        method = self.setting("ATTRIBUTES_REQUEST_METHOD", "GET")
        data: dict[str, Any] | None = self.validate_userinfo_sub(
            self.get_json(
                self.userinfo_url(),
                method="POST" if method == "POST" else "GET",
                headers={"Authorization": f"Bearer {access_token}"},
            )
        )
        return data

    def do_auth(self, access_token: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        userinfo = self.user_data(access_token) or {}
        return {**userinfo, **(self.id_token or {})}


def _token_method(backend: Any) -> Literal["GET", "POST"]:
    return "GET" if backend.setting("TOKEN_REQUEST_METHOD") == "GET" else "POST"


def _profile(backend: Any, access_token: str) -> dict[str, Any]:
    """The profile endpoint's answer (Facebook's, Amazon's) as the claims, in place of the
    pipeline social-core's `do_auth` would run."""
    data = backend.user_data(access_token)
    if not isinstance(data, dict):
        raise AuthResponseError(backend, code="malformed_response", stage="user_info")
    return data


class GoogleAuth(OidcClaims, GoogleOpenIdConnect[HttpResponse]):
    """Google's OpenID Connect: discovery, keys and userinfo from the provider's `oidc_issuer`,
    its authorize and token URLs from its details."""

    name = "cognitoadmin-google"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ACCESS_TOKEN_METHOD = _token_method(self)


class FacebookAuth(FacebookOAuth2[HttpResponse]):
    """Facebook's Graph API at the provider's URLs: `/me` asked for the fields the pool's
    mapping uses, with social-core's `appsecret_proof`."""

    name = "cognitoadmin-facebook"
    EXTRA_DATA = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ACCESS_TOKEN_METHOD = _token_method(self)
        # social-core formats the URL with its Graph API version; the stored URL has its own,
        # and Graph's field syntax (`picture{url}`) must reach Facebook as written.
        self.USER_DATA_URL = self.setting("USER_DATA_URL").replace("{", "{{").replace("}", "}}")

    def do_auth(self, access_token: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return _profile(self, access_token)


class AmazonAuth(AmazonOAuth2[HttpResponse]):
    """Login with Amazon, its profile at the provider's `attributes_url`."""

    name = "cognitoadmin-amazon"
    EXTRA_DATA = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ACCESS_TOKEN_METHOD = _token_method(self)

    def user_data(self, access_token: str, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        data: dict[str, Any] | None = self.get_json(
            self.setting("USER_DATA_URL"), headers={"Authorization": f"Bearer {access_token}"}
        )
        return data

    def do_auth(self, access_token: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return _profile(self, access_token)


class AppleAuth(AppleIdAuth[HttpResponse]):
    """Sign in with Apple: the ID token checked against the key set at `<oidc_issuer>/auth/keys`
    and `iss` = `oidc_issuer`, and against a nonce bound to the sign-in's state, which
    social-core's backend does not send."""

    name = "cognitoadmin-apple"
    EXTRA_DATA = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        issuer = self.setting("ID_TOKEN_ISSUER")
        self.ID_TOKEN_ISSUER = issuer
        self.JWK_URL = f"{issuer.rstrip('/')}/auth/keys"
        self.ACCESS_TOKEN_METHOD = _token_method(self)
        # social-core takes the client id of the client secret from the request when it names
        # one; the callback's query is the browser's to write, the client id is the pool's.
        self.data = {key: value for key, value in self.data.items() if key != "client_id"}

    def generate_client_secret(self) -> str:
        """social-core's ES256 client secret; a private key it cannot sign with is the
        provider's configuration at fault, said so rather than failing unexplained."""
        try:
            secret: str = super().generate_client_secret()  # type: ignore[no-untyped-call]
        except (ValueError, TypeError, PyJWTError):
            raise AuthConfigurationError(
                self, parameter="private_key", code="invalid_setting", stage="begin"
            ) from None
        return secret

    def auth_params(self, state: str | None = None) -> dict[str, str]:
        params: dict[str, str] = super().auth_params(state)  # type: ignore[no-untyped-call]
        if state:
            nonce = self.strategy.random_string(_NONCE_LENGTH)
            key = self.transaction_key(state)
            self.strategy.session_set(
                key, {**(self.strategy.session_get(key) or {}), _APPLE_NONCE_KEY: nonce}
            )
            params["nonce"] = nonce
        return params

    def decode_id_token(self, id_token: str) -> dict[str, Any]:
        decoded: dict[str, Any] = super().decode_id_token(id_token)  # type: ignore[no-untyped-call]
        transaction = self._oauth2_transaction or {}
        expected = transaction.get(_APPLE_NONCE_KEY)
        nonce = decoded.get("nonce")
        if not (
            isinstance(expected, str)
            and isinstance(nonce, str)
            and constant_time_compare(nonce, expected)
        ):
            raise AuthResponseError(
                self,
                "Incorrect id_token: nonce",
                code="nonce_mismatch",
                stage="token_validation",
            )
        return decoded

    def do_auth(self, access_token: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        response = kwargs.get("response") or {}
        claims = self.decode_id_token(response.get(self.TOKEN_KEY) or access_token)
        # Apple names the user once, on the first sign-in, in the posted `user` field, outside
        # the ID token.
        try:
            user = json.loads(self.data.get("user") or "{}")
        except (ValueError, RecursionError):
            user = {}
        name = user.get("name") if isinstance(user, dict) else None
        if isinstance(name, dict):
            first, last = name.get("firstName"), name.get("lastName")
            names = {"firstName": first, "lastName": last}
            claims |= {key: value for key, value in names.items() if isinstance(value, str)}
            full = " ".join(part for part in (first, last) if isinstance(part, str) and part)
            if full:
                claims["name"] = full
        return claims


SOCIAL_BACKENDS: dict[str, type[Any]] = {
    ProviderType.GOOGLE: GoogleAuth,
    ProviderType.FACEBOOK: FacebookAuth,
    ProviderType.LOGIN_WITH_AMAZON: AmazonAuth,
    ProviderType.SIGN_IN_WITH_APPLE: AppleAuth,
}


def _facebook_fields_url(details: Mapping[str, str], mapping: Mapping[str, str]) -> str:
    """Facebook's `/me?fields=`, completed with `id` and the fields the mapping reads, as
    Cognito's `attributes_url_add_attributes=true` asks."""
    url = details["attributes_url"]
    if details.get("attributes_url_add_attributes") != "true":
        return url
    fields = list(dict.fromkeys(["id", *mapping.values()]))
    return url + ",".join(fields)


def social_settings(
    *, provider_type: str, details: Mapping[str, str], mapping: Mapping[str, str]
) -> dict[str, Any]:
    """The strategy's settings for a social provider's backend, from its stored details."""
    common: dict[str, Any] = {
        # Facebook lists its scopes with commas, the others with spaces.
        "SCOPE": [scope for scope in re.split(r"[\s,]+", details["authorize_scopes"]) if scope],
        "IGNORE_DEFAULT_SCOPE": True,
        "AUTHORIZATION_URL": details["authorize_url"],
        "ACCESS_TOKEN_URL": details["token_url"],
        "TOKEN_REQUEST_METHOD": details.get("token_request_method", "POST"),
    }
    if provider_type == ProviderType.SIGN_IN_WITH_APPLE:
        return {
            **common,
            "CLIENT": details["client_id"],
            "TEAM": details["team_id"],
            "KEY": details["key_id"],
            "SECRET": details["private_key"],
            "ID_TOKEN_ISSUER": details["oidc_issuer"],
        }
    common |= {"KEY": details["client_id"], "SECRET": details["client_secret"]}
    if provider_type == ProviderType.GOOGLE:
        issuer = details["oidc_issuer"]
        return {
            **common,
            "OIDC_ENDPOINT": issuer.rstrip("/"),
            "ID_TOKEN_ISSUER": issuer,
            # Discovery's: Cognito's stored People API URL answers in another shape than claims.
            "USERINFO_URL": "",
            "JWKS_URI": "",
        }
    if provider_type == ProviderType.FACEBOOK:
        return {**common, "USER_DATA_URL": _facebook_fields_url(details, mapping)}
    return {**common, "USER_DATA_URL": details["attributes_url"]}
