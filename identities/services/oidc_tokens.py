"""ID tokens of outside OpenID Connect providers (IAM OIDC providers), checked as Cognito checks
them for an identity pool's Logins.

The issuer is `https://<url>` (`http://` for a loopback host, see `oidc_providers`). Its discovery
document (`<issuer>/.well-known/openid-configuration`) must name that issuer and a `jwks_uri`; the
token must be signed (RS256/384/512, ES256/384) by a key of that set, carry that issuer, an
audience among the provider's client IDs (for a list of audiences, the authorized party `azp`
when there is one), a subject, and be within its lifetime (`exp`, `nbf`, `iat`, with
`CLOCK_SKEW_SECONDS` of leeway).

Both documents are cached (Django's cache, `DOCUMENT_CACHE_SECONDS`); a token signed by a key
the cached set lacks makes one fetch of the set again (at most once per `REFETCH_SECONDS` per
issuer, so unknown keys cannot make this server hammer the provider). Fetches time out after
`FETCH_TIMEOUT_SECONDS`, follow no redirects and read at most `MAX_DOCUMENT_BYTES`: a provider
that is down, slow or answers nonsense makes the login fail (NotAuthorizedException), never
the request.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import jwt
from django.core.cache import cache

from cognitoadmin.errors import NotAuthorizedException
from identities.models import OpenIdConnectProvider
from identities.services.oidc_providers import LOOPBACK_HOSTS, oidc_provider_issuer

ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384")
CLOCK_SKEW_SECONDS = 30
DOCUMENT_CACHE_SECONDS = 300
REFETCH_SECONDS = 30
FETCH_TIMEOUT_SECONDS = 5.0
MAX_DOCUMENT_BYTES = 512 * 1024
_REQUIRED = ("iss", "sub", "aud", "exp")

_INVALID = "Invalid login token. Not a valid OpenId Connect identity token."
_EXPIRED = "Invalid login token. Token expired."


def _refused(reason: str) -> NotAuthorizedException:
    return NotAuthorizedException(f"Invalid login token. {reason}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _fetch_json(url: str) -> dict[str, Any]:
    """The JSON object at `url`; NotAuthorizedException for any failure of the fetch."""
    parts = urlsplit(url)
    loopback = parts.hostname in LOOPBACK_HOSTS
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise _refused(f"The provider's document {url} is not served over https.")
    handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
    if loopback:
        handlers.append(urllib.request.ProxyHandler({}))
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with opener.open(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
            if response.status != 200:
                raise _refused(f"The provider answered {response.status} for {url}.")
            body = response.read(MAX_DOCUMENT_BYTES + 1)
    except (OSError, ValueError, http.client.HTTPException, urllib.error.URLError) as failure:
        raise _refused(f"The provider's document {url} could not be fetched ({failure}).") from None
    if len(body) > MAX_DOCUMENT_BYTES:
        raise _refused(f"The provider's document {url} is too large.")
    try:
        document = json.loads(body)
    except ValueError:
        raise _refused(f"The provider's document {url} is not JSON.") from None
    if not isinstance(document, dict):
        raise _refused(f"The provider's document {url} is not a JSON object.")
    return document


def _cache_key(kind: str, issuer: str) -> str:
    return f"identities:oidc:{kind}:{hashlib.sha256(issuer.encode()).hexdigest()}"


def _jwks_uri(issuer: str) -> str:
    key = _cache_key("discovery", issuer)
    jwks_uri = cache.get(key)
    if isinstance(jwks_uri, str):
        return jwks_uri
    document = _fetch_json(f"{issuer}/.well-known/openid-configuration")
    if document.get("issuer") != issuer:
        raise _refused(f"The provider's discovery document does not name the issuer {issuer}.")
    jwks_uri = document.get("jwks_uri")
    if not isinstance(jwks_uri, str):
        raise _refused("The provider's discovery document names no jwks_uri.")
    cache.set(key, jwks_uri, DOCUMENT_CACHE_SECONDS)
    return jwks_uri


def _keys(issuer: str, *, refetch: bool) -> list[dict[str, Any]]:
    key = _cache_key("jwks", issuer)
    keys = None if refetch else cache.get(key)
    if isinstance(keys, list):
        return keys
    document = _fetch_json(_jwks_uri(issuer))
    keys = document.get("keys")
    if not isinstance(keys, list) or not all(isinstance(k, dict) for k in keys):
        raise _refused("The provider's key set is not a JWKS.")
    cache.set(key, keys, DOCUMENT_CACHE_SECONDS)
    return keys


def _key_for(issuer: str, kid: str | None, alg: str) -> Any:
    for refetch in (False, True):
        if refetch and not cache.add(_cache_key("refetch", issuer), 1, REFETCH_SECONDS):
            break  # the set was fetched again moments ago
        candidates = [
            jwk
            for jwk in _keys(issuer, refetch=refetch)
            if jwk.get("use", "sig") == "sig" and (kid is None or jwk.get("kid") == kid)
        ]
        if len(candidates) == 1:
            try:
                return jwt.PyJWK(candidates[0], algorithm=alg).key
            except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError, KeyError):
                raise _refused("The provider's signing key cannot be read.") from None
    raise _refused("Couldn't verify signed token: the provider publishes no such key.")


def _audience_allowed(claims: dict[str, Any], clients: set[str]) -> bool:
    """`aud` one of `clients`; for a list of audiences, its authorized party `azp` when the
    token names one, else any of them."""
    audience, azp = claims["aud"], claims.get("azp")
    if isinstance(audience, str):
        return audience in clients
    if not isinstance(audience, list) or not all(isinstance(a, str) for a in audience):
        return False
    if azp is not None:
        return isinstance(azp, str) and azp in audience and azp in clients
    return bool(clients.intersection(audience))


def oidc_id_token_verify(*, provider: OpenIdConnectProvider, token: str) -> dict[str, Any]:
    """The claims of `token`, an ID token of `provider` for one of its client IDs;
    NotAuthorizedException for any token, or any state of the provider, that does not prove it."""
    issuer = oidc_provider_issuer(provider.url)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise NotAuthorizedException(_INVALID) from None
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ALGORITHMS or not (kid is None or isinstance(kid, str)):
        raise NotAuthorizedException(_INVALID)
    key = _key_for(issuer, kid, str(alg))
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[str(alg)],
            issuer=issuer,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": list(_REQUIRED), "verify_aud": False},
        )
    except jwt.ExpiredSignatureError:
        raise NotAuthorizedException(_EXPIRED) from None
    except jwt.InvalidIssuerError:
        raise _refused(f"Issuer does not match the provider {issuer}.") from None
    except jwt.ImmatureSignatureError:
        raise _refused("Token is not valid yet.") from None
    except jwt.InvalidSignatureError:
        raise _refused("Couldn't verify signed token.") from None
    except (jwt.PyJWTError, TypeError, ValueError, AttributeError):
        # A key of the set that is not of the token's algorithm's kind, among others.
        raise NotAuthorizedException(_INVALID) from None
    if not _audience_allowed(claims, set(provider.client_id_list)):
        raise _refused("Incorrect token audience.")
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise NotAuthorizedException(_INVALID)
    return claims
