"""The OAuth 2.0 endpoints that need no sign-in page: `/oauth2/token` (authorization_code,
refresh_token and client_credentials grants), `/oauth2/revoke` (RFC 7009) and `/oauth2/userInfo`
(OIDC). The authorization endpoint and the sign-in pages are `pools/hosted/login.py`.

These views parse HTTP (the form, HTTP Basic, the bearer token) and render RFC 6749 §5.2 and
RFC 6750 errors; every rule is a service's, the same one the AWS operations call: the refresh
grant is GetTokensFromRefreshToken's, revocation RevokeToken's, userInfo checks the access token
as GetUser does; the authorization-code grant is `hosted.authorization_code_redeem`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from cognitoadmin.errors import (
    RequestEntityTooLargeException,
    as_service_error,
    oauth_error_response,
)
from cognitoadmin.ratelimits import client_ip
from cognitoadmin.views import cors
from pools.errors import (
    InsufficientScopeException,
    InvalidParameterException,
    UnauthorizedException,
    UnsupportedGrantTypeException,
)
from pools.hosted.domains import request_pool
from pools.models import AppClient
from pools.selectors.tokens import refresh_token_find
from pools.services.hosted import authorization_code_redeem
from pools.services.limits import request_rate_check
from pools.services.oauth import (
    CLIENT_CREDENTIALS,
    OPENID_SCOPE,
    client_credentials_grant,
    oauth_client_authenticate,
    user_info_claims,
)
from pools.services.refresh import refresh_token_redeem
from pools.services.revocation import refresh_token_revoke

FORM = "application/x-www-form-urlencoded"
# Longer than any value a client sends here (refresh tokens are 320 characters, a scope list
# at most 50 scopes of 256): anything longer is refused before it is looked at.
MAX_VALUE_LENGTH = 16_384
REFRESH_TOKEN_GRANT = "refresh_token"  # noqa: S105
AUTHORIZATION_CODE_GRANT = "authorization_code"
# Cognito's words for a refused access token at userInfo.
REFUSED_ACCESS_DESCRIPTION = (
    "Access token is expired, disabled, or deleted, or the user has globally signed out."
)
BAD_REQUEST_DESCRIPTION = "Bad OAuth2 request at UserInfo Endpoint"
INSUFFICIENT_SCOPE_DESCRIPTION = "The access token does not have the openid scope."
_BEARER_CHARACTERS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/="
)


# --- parsing ---------------------------------------------------------------------------------


def _form(request: HttpRequest) -> dict[str, str]:
    """The body's parameters, each at most once (RFC 6749 §3.2), none with a NUL or too long."""
    if request.content_type != FORM:
        raise InvalidParameterException(f"The request body must be {FORM}.")
    try:
        lists = list(request.POST.lists())
    except RequestDataTooBig:
        raise RequestEntityTooLargeException() from None
    except SuspiciousOperation:  # too many fields
        raise InvalidParameterException("The request has too many parameters.") from None
    form: dict[str, str] = {}
    for key, values in lists:
        if len(values) > 1:
            raise InvalidParameterException("A parameter is repeated.")
        value = values[0]
        if "\x00" in key or "\x00" in value or len(value) > MAX_VALUE_LENGTH:
            raise InvalidParameterException("A parameter holds a NUL character or is too long.")
        form[key] = value
    return form


def _required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise InvalidParameterException(f"The {name} parameter is required.")
    return value


@dataclass(frozen=True)
class _Client:
    client_id: str
    secret: str | None


def _basic_credentials(header: str) -> _Client:
    """`Authorization: Basic`, client id and secret each form-urlencoded (RFC 6749 §2.3.1).
    Neither ever holds a space, so a `+` is taken as itself: clients that send the secret as it
    is (curl's `-u`) and those that encode it (`%2B`) both authenticate."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        raise UnauthorizedException("Only HTTP Basic authenticates a client here.")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise UnauthorizedException("The Basic credentials are not valid base64.") from None
    client_id, colon, secret = decoded.partition(":")
    if not colon or "\x00" in decoded:
        raise UnauthorizedException("The Basic credentials are not client_id:client_secret.")
    return _Client(client_id=unquote(client_id), secret=unquote(secret))


def _client_credentials(request: HttpRequest, form: Mapping[str, str]) -> _Client:
    """Who the request says it is: HTTP Basic (client_secret_basic), or `client_id` and
    `client_secret` in the body (client_secret_post, or a public client's id alone)."""
    header = request.headers.get("Authorization")
    if header is None:
        client_id = form.get("client_id")
        if not client_id:
            raise UnauthorizedException("No client authentication was included.")
        return _Client(client_id=client_id, secret=form.get("client_secret"))
    basic = _basic_credentials(header)
    if "client_secret" in form:
        raise InvalidParameterException("The client authenticated in more than one way.")
    if form.get("client_id", basic.client_id) != basic.client_id:
        raise InvalidParameterException("The client_id differs from the authenticated client.")
    return basic


# The parameter that stands for the user in each endpoint's rate limit.
_TOKEN_FIELD = {"OAuth2Token": "refresh_token", "OAuth2Revoke": "token"}


def _authenticated(request: HttpRequest, form: Mapping[str, str], *, endpoint: str) -> AppClient:
    """The app client, once the request is counted against the rate limits of the unsigned
    operations that check secrets (refused requests count too)."""
    credentials = _client_credentials(request, form)
    request_rate_check(
        operation=endpoint,
        client_ip=client_ip(request),
        params={"ClientId": credentials.client_id, "Token": form.get(_TOKEN_FIELD[endpoint])},
    )
    return oauth_client_authenticate(
        client_id=credentials.client_id,
        client_secret=credentials.secret,
        pool=request_pool(request),
    )


# --- rendering -------------------------------------------------------------------------------


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def _oauth_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """RFC 6749 §5.2: `{"error", "error_description"}`; invalid_client is a 401 that names
    Basic when the client tried it; a rate limit is a 429."""
    error = as_service_error(exc)
    response = oauth_error_response(error)
    if error.api_status == 429:
        response.status_code = 429
    if error.oauth_error == "invalid_client" and "Authorization" in request.headers:
        response["WWW-Authenticate"] = 'Basic realm="oauth2"'
    return response


def _method_not_allowed(allowed: str) -> HttpResponse:
    response = JsonResponse(
        {"error": "invalid_request", "error_description": f"Use {allowed}."}, status=405
    )
    response["Allow"] = allowed
    return response


def _form_endpoint(
    handle: Callable[[HttpRequest, dict[str, str]], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """A POST-only form endpoint: CORS for browser apps, no CSRF (no cookie authorises it),
    no caching, errors in RFC 6749's shape."""

    @csrf_exempt
    def view(request: HttpRequest) -> HttpResponse:
        if request.method == "OPTIONS":
            return cors(request, HttpResponse(status=204), methods="POST, OPTIONS")
        if request.method != "POST":
            return cors(request, _no_store(_method_not_allowed("POST, OPTIONS")))
        try:
            response = handle(request, _form(request))
        except Exception as exc:
            response = _oauth_error(request, exc)
        return cors(request, _no_store(response), methods="POST, OPTIONS")

    view.__name__ = view.__qualname__ = handle.__name__
    view.__doc__ = handle.__doc__
    return view


_TOKEN_RESPONSE_FIELDS = (
    ("AccessToken", "access_token"),
    ("IdToken", "id_token"),
    ("RefreshToken", "refresh_token"),
    ("TokenType", "token_type"),
    ("ExpiresIn", "expires_in"),
)


def _token_response(result: Mapping[str, Any]) -> JsonResponse:
    return JsonResponse(
        {name: result[key] for key, name in _TOKEN_RESPONSE_FIELDS if key in result}
    )


# --- the endpoints ---------------------------------------------------------------------------


def _token(request: HttpRequest, form: dict[str, str]) -> HttpResponse:
    """`POST /oauth2/token`."""
    grant_type = _required(form, "grant_type")
    if grant_type not in {AUTHORIZATION_CODE_GRANT, REFRESH_TOKEN_GRANT, CLIENT_CREDENTIALS}:
        raise UnsupportedGrantTypeException(
            "grant_type must be authorization_code, refresh_token or client_credentials."
        )
    if grant_type == AUTHORIZATION_CODE_GRANT:
        code = _required(form, "code")
        redirect_uri = _required(form, "redirect_uri")
        client = _authenticated(request, form, endpoint="OAuth2Token")
        result = authorization_code_redeem(
            client=client,
            code=code,
            redirect_uri=redirect_uri,
            code_verifier=form.get("code_verifier"),
        )
    elif grant_type == REFRESH_TOKEN_GRANT:
        refresh_token = _required(form, "refresh_token")
        client = _authenticated(request, form, endpoint="OAuth2Token")
        # GetTokensFromRefreshToken's service: rotation and its grace period are the client's.
        result = refresh_token_redeem(
            client=client, row=refresh_token_find(token=refresh_token), rotate=True
        )
    else:
        client = _authenticated(request, form, endpoint="OAuth2Token")
        result = client_credentials_grant(client=client, scope=form.get("scope"))
    return _token_response(result)


def _revoke(request: HttpRequest, form: dict[str, str]) -> HttpResponse:
    """`POST /oauth2/revoke`: 200 with an empty body, also for a token that is unknown or
    already revoked (RFC 7009 §2.2)."""
    token = _required(form, "token")
    client = _authenticated(request, form, endpoint="OAuth2Revoke")
    refresh_token_revoke(client=client, refresh_token=token)
    return HttpResponse(status=200)


token = _form_endpoint(_token)
revoke = _form_endpoint(_revoke)


def _bearer_error(
    status: int, code: str = "", description: str = "", scope: str = ""
) -> HttpResponse:
    """RFC 6750 §3: the error in `WWW-Authenticate` (none for a request that carried no token),
    and in the body in RFC 6749's shape. Descriptions are this module's own constants."""
    challenge = "Bearer"
    response = HttpResponse(status=status)
    if code:
        challenge += f' error="{code}", error_description="{description}"'
        response = JsonResponse({"error": code, "error_description": description}, status=status)
    if scope:
        challenge += f', scope="{scope}"'
    response["WWW-Authenticate"] = challenge
    return response


def _bearer_token(request: HttpRequest) -> str | None:
    """The access token of `Authorization: Bearer`; None when the request has none at all."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    value = value.strip()
    if not value or len(value) > MAX_VALUE_LENGTH or not set(value) <= _BEARER_CHARACTERS:
        raise InvalidParameterException(BAD_REQUEST_DESCRIPTION)
    return value


@csrf_exempt
def user_info(request: HttpRequest) -> HttpResponse:
    """`GET` (or `POST`) `/oauth2/userInfo` with `Authorization: Bearer <access token>`."""
    methods = "GET, POST, OPTIONS"
    if request.method == "OPTIONS":
        return cors(request, HttpResponse(status=204), methods=methods)
    if request.method not in {"GET", "POST"}:
        return cors(request, _no_store(_method_not_allowed(methods)), methods=methods)
    try:
        access_token = _bearer_token(request)
        if access_token is None:
            response = _bearer_error(401)
        else:
            response = JsonResponse(
                user_info_claims(access_token=access_token, pool=request_pool(request))
            )
    except Exception as exc:
        error = as_service_error(exc)
        if isinstance(error, InvalidParameterException):
            response = _bearer_error(400, "invalid_request", BAD_REQUEST_DESCRIPTION)
        elif isinstance(error, InsufficientScopeException):
            response = _bearer_error(
                403, "insufficient_scope", INSUFFICIENT_SCOPE_DESCRIPTION, scope=OPENID_SCOPE
            )
        elif error.http_status < 500:
            response = _bearer_error(401, "invalid_token", REFUSED_ACCESS_DESCRIPTION)
        else:
            response = oauth_error_response(error)
    return cors(request, _no_store(response), methods=methods)
