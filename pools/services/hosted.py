"""The hosted sign-in (Cognito's managed login) and the OAuth 2.0 authorization-code and implicit
flows: what `/oauth2/authorize` accepts, the sign-in session that lets a second app client of the
pool skip the password, the authorization codes, and their exchange at `/oauth2/token`.

Signing in is `auth.auth_hosted_sign_in` / `auth.auth_respond(hosted=True)`: the same state
machine as InitiateAuth USER_PASSWORD_AUTH and RespondToAuthChallenge. What is here starts once
the user has signed in, and before: which requests may get that far.

Cognito's documentation followed:
https://docs.aws.amazon.com/cognito/latest/developerguide/authorization-endpoint.html,
https://docs.aws.amazon.com/cognito/latest/developerguide/login-endpoint.html,
https://docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html,
https://docs.aws.amazon.com/cognito/latest/developerguide/logout-endpoint.html.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from base64 import urlsafe_b64encode
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cognitoadmin.crypto import digest
from pools.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    ResourceNotFoundException,
    ScopeDoesNotExistException,
    UnauthorizedClientException,
    UnsupportedIdentityProviderException,
    UnsupportedResponseTypeException,
)
from pools.models import (
    AppClient,
    AuthorizationCode,
    HostedSession,
    IdentityProvider,
    PoolUser,
    ProviderType,
    RefreshToken,
    UserPool,
    UserStatus,
)
from pools.selectors.clients import app_client_get_by_id
from pools.selectors.identity_providers import (
    identity_provider_get,
    identity_provider_get_by_identifier,
)
from pools.services.clients import COGNITO_PROVIDER
from pools.services.oauth import CLIENT_ID, OPENID_SCOPE, SCOPE_TOKEN
from pools.services.revocation import sign_in_revoke
from pools.services.sessions import hosted_session_reusable
from pools.services.tokens import USER_DISABLED, tokens_issue

CODE_FLOW = "code"
IMPLICIT_FLOW = "implicit"
RESPONSE_TYPE_FLOWS = {"code": CODE_FLOW, "token": IMPLICIT_FLOW}
# Cognito: email, phone and profile are OpenID Connect scopes, asked for only with openid.
OPENID_ONLY_SCOPES = frozenset({"email", "phone", "profile"})
# Cognito's authorization codes last five minutes.
CODE_LIFETIME = dt.timedelta(minutes=5)
CODE_BYTES = 32
SESSION_BYTES = 32
SESSION_DIGEST_PURPOSE = "hosted_session"
PKCE_METHODS = frozenset({"S256", "plain"})
# RFC 7636 §4.1-4.2: 43 to 128 unreserved characters, for the verifier and the challenge.
_PKCE_VALUE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
# Longer than any value a real authorize request carries; longer ones are refused unread.
MAX_PARAMETER_LENGTH = 4096
INVALID_CODE = "Invalid authorization code."
# The external providers users can sign in through (federated_sign_in.py, saml_sign_in.py).
SERVED_PROVIDER_TYPES = frozenset(
    {
        ProviderType.OIDC,
        ProviderType.GOOGLE,
        ProviderType.FACEBOOK,
        ProviderType.LOGIN_WITH_AMAZON,
        ProviderType.SIGN_IN_WITH_APPLE,
        ProviderType.SAML,
    }
)

# The parameters of an authorize request that the hosted pages carry along (Cognito's /login
# takes the same query as /oauth2/authorize).
AUTHORIZE_PARAMETERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "identity_provider",
    "idp_identifier",
    "lang",
)


@dataclass(frozen=True)
class AuthorizeRequest:
    """An authorize request whose client and redirect URI are known good: from here on an error
    goes back to the redirect URI (RFC 6749 §4.1.2.1)."""

    client: AppClient
    redirect_uri: str
    state: str | None
    response_type: str = ""
    scopes: list[str] = field(default_factory=list)
    nonce: str = ""
    code_challenge: str = ""
    code_challenge_method: str = ""
    # The request's own parameters, for the hosted pages' links and forms.
    parameters: dict[str, str] = field(default_factory=dict)
    # The external provider that signs the user in (identity_provider, idp_identifier); None:
    # the pool's own users (COGNITO).
    provider: IdentityProvider | None = None


def _value(parameters: Mapping[str, str], name: str) -> str:
    return parameters.get(name) or ""


def authorize_parameters_check(*, parameters: Mapping[str, str]) -> None:
    """Values no authorize request carries (a NUL, a lone surrogate, too long) are refused before
    anything is looked up or echoed back to a redirect URI."""
    for name, value in parameters.items():
        if len(value) > MAX_PARAMETER_LENGTH or "\x00" in value or "\x00" in name:
            raise InvalidParameterException(f"The {name[:64]} parameter is too long or invalid.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidParameterException(f"The {name[:64]} parameter is invalid.") from None


def authorize_client_resolve(
    *,
    parameters: Mapping[str, str],
    redirect_field: str = "redirect_uri",
    pool: UserPool | None = None,
) -> AuthorizeRequest:
    """The app client and redirect URI of an authorize request (or of /login, /logout's re-login
    form). The redirect URI must be one of the client's CallbackURLs, exactly. Any failure here is
    shown on an error page and never redirected: the address is not known to be the client's.
    Through a pool's domain, `pool` is the only one whose clients exist."""
    authorize_parameters_check(parameters=parameters)
    client_id = _value(parameters, "client_id")
    if not client_id:
        raise InvalidParameterException("The client_id parameter is required.")
    if not CLIENT_ID.fullmatch(client_id):
        raise InvalidParameterException("The client_id is not a valid app client id.")
    try:
        client = app_client_get_by_id(client_id=client_id, pool=pool)
    except ResourceNotFoundException:
        raise InvalidParameterException(f"App client {client_id} does not exist.") from None
    redirect_uri = _value(parameters, redirect_field)
    if not redirect_uri:
        raise InvalidParameterException(f"The {redirect_field} parameter is required.")
    if redirect_uri not in client.callback_urls:
        raise InvalidParameterException(
            f"The {redirect_field} is not one of the app client's callback URLs."
        )
    kept = {name: parameters[name] for name in AUTHORIZE_PARAMETERS if parameters.get(name)}
    return AuthorizeRequest(
        client=client,
        redirect_uri=redirect_uri,
        state=parameters.get("state"),
        parameters=kept,
    )


def _scopes(client: AppClient, scope: str) -> list[str]:
    requested = list(dict.fromkeys(part for part in scope.split(" ") if part))
    allowed = list(client.allowed_oauth_scopes)
    for name in requested:
        if not SCOPE_TOKEN.fullmatch(name) or name not in allowed:
            raise ScopeDoesNotExistException(f"The client may not ask for the scope {name[:256]}.")
    granted = requested or allowed
    if not granted:
        raise ScopeDoesNotExistException("The app client has no OAuth scopes.")
    if OPENID_SCOPE not in granted and OPENID_ONLY_SCOPES & set(granted):
        raise ScopeDoesNotExistException("The email, phone and profile scopes need openid.")
    return granted


def _pkce(parameters: Mapping[str, str]) -> tuple[str, str]:
    challenge = _value(parameters, "code_challenge")
    method = _value(parameters, "code_challenge_method")
    if not challenge:
        if method:
            raise InvalidParameterException("code_challenge_method needs a code_challenge.")
        return "", ""
    method = method or "plain"  # RFC 7636 §4.3
    if method not in PKCE_METHODS:
        raise InvalidParameterException("code_challenge_method must be S256 or plain.")
    if not _PKCE_VALUE.fullmatch(challenge):
        raise InvalidParameterException("The code_challenge is not a valid PKCE challenge.")
    return challenge, method


def _provider(client: AppClient, parameters: Mapping[str, str]) -> IdentityProvider | None:
    """The external provider the request names by `identity_provider` or `idp_identifier`: one
    of the pool's, among the client's SupportedIdentityProviders, of a type served here."""
    name = _value(parameters, "identity_provider")
    identifier = _value(parameters, "idp_identifier")
    if name == COGNITO_PROVIDER or not (name or identifier):
        return None
    try:
        provider = (
            identity_provider_get(pool=client.pool, name=name)
            if name
            else identity_provider_get_by_identifier(pool=client.pool, identifier=identifier)
        )
    except ResourceNotFoundException:
        raise UnsupportedIdentityProviderException(
            f"The identity provider {(name or identifier)[:128]} does not exist in the user pool."
        ) from None
    if provider.name not in client.supported_identity_providers:
        raise UnsupportedIdentityProviderException(
            f"Client {client.client_id} does not support the identity provider {provider.name}."
        )
    if provider.provider_type not in SERVED_PROVIDER_TYPES:
        raise UnsupportedIdentityProviderException(
            f"Sign-in through {provider.provider_type} identity providers is not served yet."
        )
    return provider


def authorize_external_providers(*, client: AppClient) -> list[str]:
    """The names of the external providers the client's sign-in page offers: those among its
    SupportedIdentityProviders that the pool has, of a type served here."""
    return list(
        IdentityProvider.objects.filter(
            pool_id=client.pool_id,
            name__in=client.supported_identity_providers,
            provider_type__in=SERVED_PROVIDER_TYPES,
        ).values_list("name", flat=True)
    )


def authorize_request_check(*, request: AuthorizeRequest) -> AuthorizeRequest:
    """The rest of the authorize request, against the client's OAuth settings: its flows
    (AllowedOAuthFlowsUserPoolClient, "code" or "implicit" in AllowedOAuthFlows), the identity
    provider (an external one the client supports, else COGNITO among its
    SupportedIdentityProviders), the scopes among AllowedOAuthScopes (none asked: all), and
    PKCE (S256 or plain)."""
    parameters = request.parameters
    client = request.client
    response_type = _value(parameters, "response_type")
    if not response_type:
        raise InvalidParameterException("The response_type parameter is required.")
    flow = RESPONSE_TYPE_FLOWS.get(response_type)
    if flow is None:
        raise UnsupportedResponseTypeException("response_type must be code or token.")
    if not client.allowed_oauth_flows_user_pool_client or flow not in client.allowed_oauth_flows:
        raise UnauthorizedClientException(
            f"Client {client.client_id} is not allowed the {flow} flow."
        )
    provider = _provider(client, parameters)
    if provider is None and COGNITO_PROVIDER not in client.supported_identity_providers:
        raise UnauthorizedClientException(
            f"Client {client.client_id} does not sign users in with the user pool (COGNITO)."
        )
    scopes = _scopes(client, _value(parameters, "scope"))
    challenge, method = _pkce(parameters) if flow == CODE_FLOW else ("", "")
    return AuthorizeRequest(
        client=client,
        redirect_uri=request.redirect_uri,
        state=request.state,
        response_type=response_type,
        scopes=scopes,
        nonce=_value(parameters, "nonce"),
        code_challenge=challenge,
        code_challenge_method=method,
        parameters=parameters,
        provider=provider,
    )


def _with(uri: str, values: Mapping[str, str], *, fragment: bool = False) -> str:
    """`uri` with `values` added to its query (or as its fragment)."""
    parts = urlsplit(uri)
    encoded = urlencode(values)
    if fragment:
        return urlunsplit(parts._replace(fragment=encoded))
    query = f"{parts.query}&{encoded}" if parts.query else encoded
    return urlunsplit(parts._replace(query=query))


def authorize_error_redirect(*, request: AuthorizeRequest, error: str, description: str) -> str:
    """RFC 6749 §4.1.2.1 / §4.2.2.1: the error, its description and the state, back to the
    client's redirect URI (in the fragment for the implicit flow)."""
    values = {"error": error, "error_description": description}
    if request.state is not None:
        values["state"] = request.state
    implicit = _value(request.parameters, "response_type") == "token"
    return _with(request.redirect_uri, values, fragment=implicit)


# --- the sign-in session ---------------------------------------------------------------------


def hosted_session_start(*, user: PoolUser, amr: tuple[str, ...]) -> tuple[str, HostedSession]:
    """A new hosted sign-in session for `user`: the token for the browser's cookie, and the row,
    which holds only its digest."""
    token = secrets.token_urlsafe(SESSION_BYTES)
    now = timezone.now()
    session = HostedSession.objects.create(
        pool_id=user.pool_id,
        user=user,
        token_digest=digest(token, purpose=SESSION_DIGEST_PURPOSE),
        auth_time=now,
        amr=list(amr),
        expires_at=now + dt.timedelta(seconds=settings.COGNITOADMIN_HOSTED_SESSION_SECONDS),
    )
    return token, session


def hosted_session_find(*, client: AppClient, token: str) -> HostedSession | None:
    """The live session `token` names for the client's pool, whose user may still sign in, and
    which the client may still reuse silently (its SSOSession bound, `sessions.py`)."""
    if not token:
        return None
    row = (
        HostedSession.objects.select_related("user")
        .filter(
            token_digest=digest(token, purpose=SESSION_DIGEST_PURPOSE),
            pool_id=client.pool_id,
            ended_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )
    if row is None:
        return None
    user = row.user
    if (
        not user.enabled
        or user.status not in {UserStatus.CONFIRMED, UserStatus.EXTERNAL_PROVIDER}
        or (user.tokens_valid_after is not None and user.tokens_valid_after > row.auth_time)
        or not hosted_session_reusable(client=client, auth_time=row.auth_time)
    ):
        return None
    return row


def hosted_session_end(*, token: str) -> None:
    """`/logout`: the session stops working, in every copy of the cookie."""
    if token:
        HostedSession.objects.filter(
            token_digest=digest(token, purpose=SESSION_DIGEST_PURPOSE), ended_at__isnull=True
        ).update(ended_at=timezone.now())


# --- completing an authorize request ---------------------------------------------------------


def _code_digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def _sign_in_link(*, origin_jti: str, session_id: int | None) -> None:
    """The sign-in `origin_jti` came through the hosted session `session_id`: its token session
    names it as OriginSessionId (`user_sessions.py`)."""
    if session_id is not None:
        RefreshToken.objects.filter(origin_jti=origin_jti).update(hosted_session_id=session_id)


def authorization_complete(
    *,
    request: AuthorizeRequest,
    user: PoolUser,
    auth_time: dt.datetime,
    amr: tuple[str, ...],
    session: HostedSession | None = None,
) -> str:
    """Where the browser goes once `user` has signed in: the redirect URI with a new code and the
    state, or (implicit) with the tokens in its fragment: no refresh token, the ID token only with
    openid. `session` is the hosted session the sign-in came through."""
    client = request.client
    if user.pool_id != client.pool_id:
        raise NotAuthorizedException("The user does not belong to the app client's pool.")
    state = {"state": request.state} if request.state is not None else {}
    session_id = session.pk if session is not None else None
    if request.response_type == "token":
        issued: list[str] = []
        result = tokens_issue(
            user=user,
            client=client,
            auth_time=auth_time,
            scopes=request.scopes,
            amr=amr,
            nonce=request.nonce,
            with_at_hash=True,
            with_refresh_token=False,
            issued=issued.append,
        )
        _sign_in_link(origin_jti=issued[0], session_id=session_id)
        values = {"access_token": result["AccessToken"]}
        if OPENID_SCOPE in request.scopes:
            values["id_token"] = result["IdToken"]
        values |= {"token_type": "Bearer", "expires_in": str(result["ExpiresIn"]), **state}
        return _with(request.redirect_uri, values, fragment=True)
    code = secrets.token_urlsafe(CODE_BYTES)
    AuthorizationCode.objects.create(
        pool_id=client.pool_id,
        client=client,
        user=user,
        code_digest=_code_digest(code),
        redirect_uri=request.redirect_uri,
        scopes=request.scopes,
        nonce=request.nonce,
        code_challenge=request.code_challenge,
        code_challenge_method=request.code_challenge_method,
        auth_time=auth_time,
        amr=list(amr),
        expires_at=timezone.now() + CODE_LIFETIME,
        hosted_session_id=session_id,
    )
    return _with(request.redirect_uri, {"code": code, **state})


def _verifier_matches(row: AuthorizationCode, verifier: str) -> bool:
    if row.code_challenge_method == "S256":
        hashed = hashlib.sha256(verifier.encode("ascii")).digest()
        computed = urlsafe_b64encode(hashed).rstrip(b"=").decode("ascii")
    else:
        computed = verifier
    return hmac.compare_digest(computed.encode("ascii"), row.code_challenge.encode("ascii"))


def authorization_code_redeem(
    *, client: AppClient, code: str, redirect_uri: str, code_verifier: str | None
) -> dict[str, Any]:
    """The authorization_code grant (RFC 6749 §4.1.3, RFC 7636 §4.6): the code, once, by the
    client it was issued to, with the same redirect URI and the PKCE verifier of its challenge;
    then the tokens of a new sign-in with the granted scopes, the ID token with the request's
    nonce and at_hash. A code used a second time is refused and the sign-in its first exchange
    issued is revoked (RFC 6749 §4.1.2). Every other refusal changes nothing."""
    if not code or len(code) > MAX_PARAMETER_LENGTH:
        raise NotAuthorizedException(INVALID_CODE)
    if code_verifier is not None and not _PKCE_VALUE.fullmatch(code_verifier):
        raise NotAuthorizedException("The code_verifier is not a valid PKCE verifier.")
    with transaction.atomic():
        row = (
            AuthorizationCode.objects.select_for_update()
            .select_related("user__pool")
            .filter(code_digest=_code_digest(code))
            .first()
        )
        if row is None or row.client_id != client.pk:
            raise NotAuthorizedException(INVALID_CODE)
        if row.used_at is not None:
            reused = row
        else:
            reused = None
            _code_usable(row, redirect_uri=redirect_uri, code_verifier=code_verifier)
            issued: list[str] = []
            result = tokens_issue(
                user=row.user,
                client=client,
                auth_time=row.auth_time,
                scopes=row.scopes,
                amr=row.amr,
                nonce=row.nonce,
                with_at_hash=True,
                issued=issued.append,
            )
            _sign_in_link(origin_jti=issued[0], session_id=row.hosted_session_id)
            row.used_at = timezone.now()
            row.origin_jti = issued[0]
            row.save(update_fields=["used_at", "origin_jti"])
    if reused is not None:
        sign_in_revoke(user_id=reused.user_id, origin_jti=reused.origin_jti)
        raise NotAuthorizedException(INVALID_CODE)
    if OPENID_SCOPE not in row.scopes:
        result.pop("IdToken")  # Cognito: an ID token only with the openid scope
    return result


def _code_usable(row: AuthorizationCode, *, redirect_uri: str, code_verifier: str | None) -> None:
    if row.expires_at <= timezone.now():
        raise NotAuthorizedException(INVALID_CODE)
    if row.redirect_uri != redirect_uri:
        raise NotAuthorizedException("The redirect_uri is not the one the code was issued for.")
    if row.code_challenge:
        if not code_verifier or not _verifier_matches(row, code_verifier):
            raise NotAuthorizedException("The code_verifier does not match the code_challenge.")
    elif code_verifier:
        raise NotAuthorizedException("The code was issued without a code_challenge.")
    if not row.user.enabled:
        raise NotAuthorizedException(USER_DISABLED)
