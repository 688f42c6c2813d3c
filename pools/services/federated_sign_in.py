"""Federated sign-in: a pool's users signing in through one of its OpenID Connect or social
(Google, Facebook, Login with Amazon, Sign in with Apple) identity providers, from
`/oauth2/authorize?identity_provider=...` to the upstream and back through
`/oauth2/idpresponse`.

The protocol is social-auth's: for OIDC providers `OpenIdConnectAuth` (discovery from the
provider's `oidc_issuer` or its explicit endpoints, state and nonce bound to the browser's
session, the code's exchange, and the ID token's signature (the upstream's JWKS), `iss`, `aud`,
`exp`, `iat`, `nonce` and `at_hash`), for the social ones its own backends (`social_backends.py`).
A strategy gives the backend the pool's IdentityProvider row as its settings, never settings.py.
social-auth's pipeline is not run: its user and association steps know neither pools nor
Cognito's usernames, so the verified claims stop at the backend and `federated_sign_in` applies
the pool's rules. Upstream tokens are never stored.

The authorize request rides the round trip in the browser's Django session under the state
social-auth made, which the callback pops: a state this browser did not start, or one already
used, names nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from requests import RequestException
from social_core.exceptions import SocialAuthBaseException
from social_django.models import Association, Code, Nonce, Partial
from social_django.storage import BaseDjangoStorage
from social_django.strategy import DjangoStrategy

from pools.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    ResourceNotFoundException,
    UnsupportedIdentityProviderException,
    UsernameExistsException,
)
from pools.models import (
    COGNITO_SUBJECT,
    FederatedIdentity,
    IdentityProvider,
    PoolUser,
    ProviderType,
    UserPool,
    UserStatus,
)
from pools.selectors.identity_providers import identity_provider_get
from pools.selectors.pools import user_pool_get, user_pool_locked
from pools.services.attributes import attributes_validate
from pools.services.federation import (
    USERNAME_CLAIM,
    federation_callback_url,
    identity_provider_details,
)
from pools.services.hosted import (
    AuthorizeRequest,
    authorize_client_resolve,
    authorize_request_check,
)
from pools.services.social_backends import SOCIAL_BACKENDS, OidcClaims, social_settings
from pools.services.tokens import USER_DISABLED
from pools.services.users import user_insert, user_update_attributes

PENDING_PREFIX = "cognitoadmin_federation_"
# social-auth's own bound on a state's length, and its state's lifetime (STATE_LIFETIME).
_MAX_STATE_LENGTH = 128
PENDING_SECONDS = 1800
_MAX_UPSTREAM_TEXT = 256
# `<ProviderName>_<subject>` must fit a username.
MAX_USERNAME_LENGTH: int = PoolUser._meta.get_field("username").max_length or 0
SIGN_IN_LOST = "The sign-in through the identity provider is unknown or has expired. Sign in again."
# Claims of the protocol itself: never attributes, whatever a mapping says.
_PROTOCOL_CLAIMS = frozenset({"iss", "aud", "exp", "iat", "nbf", "nonce", "at_hash", "azp"})


class _FederatedStorage(BaseDjangoStorage):
    """social-auth's tables for its state and nonces; its association model is the pool-scoped
    FederatedIdentity, not social_django's own."""

    user = FederatedIdentity
    nonce = Nonce
    association = Association
    code = Code
    partial = Partial

    @classmethod
    def is_integrity_error(cls, exception: Exception) -> bool:
        return isinstance(exception, IntegrityError)


class _ProviderStrategy(DjangoStrategy):
    """Settings from one IdentityProvider row; anything else as social_django reads it."""

    def __init__(self, request: HttpRequest, provider_settings: Mapping[str, Any]) -> None:
        super().__init__(_FederatedStorage, request)
        self.provider_settings = dict(provider_settings)

    def setting(self, name: str, default: Any = None, backend: Any = None) -> Any:
        if name in self.provider_settings:
            return self.provider_settings[name]
        return super().setting(name, default=default, backend=backend)


class _ProviderAuth(OidcClaims):
    name = "cognitoadmin-oidc"


def _provider_settings(provider: IdentityProvider) -> dict[str, Any]:
    details = identity_provider_details(provider=provider)
    if provider.provider_type in SOCIAL_BACKENDS:
        return social_settings(
            provider_type=provider.provider_type,
            details=details,
            mapping=provider.attribute_mapping,
        )
    issuer = details["oidc_issuer"]
    return {
        "KEY": details["client_id"],
        "SECRET": details.get("client_secret", ""),
        "OIDC_ENDPOINT": issuer.rstrip("/"),
        # Cognito checks `iss` against the configured issuer, not against what discovery says.
        "ID_TOKEN_ISSUER": issuer,
        "SCOPE": details["authorize_scopes"].split(),
        "IGNORE_DEFAULT_SCOPE": True,
        # Empty: discovery's endpoint.
        "AUTHORIZATION_URL": details.get("authorize_url", ""),
        "ACCESS_TOKEN_URL": details.get("token_url", ""),
        "USERINFO_URL": details.get("attributes_url", ""),
        "JWKS_URI": details.get("jwks_uri", ""),
        "ATTRIBUTES_REQUEST_METHOD": details.get("attributes_request_method", "GET"),
    }


def _backend(request: HttpRequest, provider: IdentityProvider) -> Any:
    strategy = _ProviderStrategy(request, _provider_settings(provider))
    backend = SOCIAL_BACKENDS.get(provider.provider_type, _ProviderAuth)
    return backend(
        strategy,
        redirect_uri=federation_callback_url(
            pool=provider.pool, provider_type=provider.provider_type
        ),
    )


def _refused(error: Exception) -> InvalidParameterException:
    """social-auth's reason and code (its public metadata), never its details, which may quote
    the upstream."""
    if isinstance(error, SocialAuthBaseException):
        # The claim or setting that failed, by name (never its value), says which check refused.
        name = error.claim or error.parameter
        code = f"{error.code}: {name}" if name else error.code
        reason = f"{str(error).rstrip('.')} ({code})"
    else:
        reason = "the identity provider could not be reached"
    return InvalidParameterException(f"The sign-in through the identity provider failed: {reason}.")


def federation_start(*, request: HttpRequest, authorize: AuthorizeRequest) -> str:
    """Where the browser goes to sign in upstream, for an authorize request that names an
    identity provider; the request is kept in the browser's session until the callback."""
    provider = authorize.provider
    if provider is None:
        raise UnsupportedIdentityProviderException("The request names no identity provider.")
    try:
        url: str = _backend(request, provider).auth_url()
    except (SocialAuthBaseException, RequestException) as error:
        raise _refused(error) from None
    state = parse_qs(urlsplit(url).query)["state"][0]
    federation_pending_keep(request=request, key=state, authorize=authorize)
    return url


def _is_live(saved: Any) -> bool:
    started = saved.get("started") if isinstance(saved, dict) else None
    return (
        isinstance(started, float) and 0 <= timezone.now().timestamp() - started <= PENDING_SECONDS
    )


def _pending_drop_stale(request: HttpRequest) -> None:
    """Sign-ins the browser never came back from leave its session with their lifetime."""
    session = request.session
    stale = [
        key
        for key, saved in session.items()
        if key.startswith(PENDING_PREFIX) and not _is_live(saved)
    ]
    for key in stale:
        del session[key]


@dataclass(frozen=True)
class FederationPending:
    """The authorize request a callback belongs to (its client and redirect URI known good,
    the rest checked again at completion) and the provider it went to."""

    request: AuthorizeRequest
    provider: IdentityProvider


def federation_pending_keep(
    *, request: HttpRequest, key: str, authorize: AuthorizeRequest, **extra: str
) -> None:
    """Keeps the authorize request in the browser's session under `key` (OIDC's state, SAML's
    RelayState) until the provider sends the browser back, with what the callback checks
    (`extra`: SAML's AuthnRequest ID)."""
    provider = authorize.provider
    if provider is None:
        raise UnsupportedIdentityProviderException("The request names no identity provider.")
    _pending_drop_stale(request)
    request.session[PENDING_PREFIX + key] = {
        **extra,
        "pool": provider.pool.pool_id,
        "provider": provider.name,
        "parameters": authorize.parameters,
        "started": timezone.now().timestamp(),
    }


def federation_pending_take(
    *, request: HttpRequest, key: str
) -> tuple[FederationPending, dict[str, Any]]:
    """The sign-in kept under `key` in this browser's session, taken out of it (a key serves
    once, for PENDING_SECONDS), and everything kept with it. A missing, unknown, used or expired
    key is InvalidParameterException."""
    saved = (
        request.session.pop(PENDING_PREFIX + key, None)
        if 0 < len(key) <= _MAX_STATE_LENGTH
        else None
    )
    if not isinstance(saved, dict) or not _is_live(saved):
        raise InvalidParameterException(SIGN_IN_LOST)
    try:
        pool = user_pool_get(pool_id=saved["pool"])
        provider = identity_provider_get(pool=pool, name=saved["provider"])
    except ResourceNotFoundException:
        raise InvalidParameterException(SIGN_IN_LOST) from None
    base = authorize_client_resolve(parameters=saved["parameters"], pool=pool)
    return FederationPending(request=base, provider=provider), saved


def federation_pending(*, request: HttpRequest) -> FederationPending:
    """The sign-in the callback's state names in this browser's session (see
    `federation_pending_take`)."""
    pending, _saved = federation_pending_take(request=request, key=request.GET.get("state") or "")
    # A SAML sign-in's RelayState is answered at /saml2/idpresponse, never here.
    if pending.provider.provider_type == ProviderType.SAML:
        raise InvalidParameterException(SIGN_IN_LOST)
    return pending


def federation_complete(
    *, request: HttpRequest, pending: FederationPending
) -> tuple[AuthorizeRequest, PoolUser]:
    """The callback: the upstream's answer checked by social-auth (state, code exchange, ID
    token), then `federated_sign_in`. The authorize request is checked again, as the client may
    have changed meanwhile."""
    authorize = authorize_request_check(request=pending.request)
    provider = authorize.provider
    if provider is None or provider.pk != pending.provider.pk:
        raise UnsupportedIdentityProviderException("The identity provider is not the one asked.")
    upstream_error = request.GET.get("error")
    if upstream_error:
        description = request.GET.get("error_description") or ""
        raise InvalidParameterException(
            f"The identity provider refused the sign-in: {upstream_error[:_MAX_UPSTREAM_TEXT]}"
            + (f": {description[:_MAX_UPSTREAM_TEXT]}" if description else "")
        )
    try:
        claims = _backend(request, provider).auth_complete()
    except (SocialAuthBaseException, RequestException) as error:
        raise _refused(error) from None
    if not isinstance(claims, dict):  # do_auth's claims, or social-auth stopped short
        raise InvalidParameterException("The identity provider's answer was incomplete.")
    subject = claims.get(USERNAME_CLAIM[provider.provider_type])
    user = federated_sign_in(
        pool=provider.pool, provider=provider, subject=str(subject or ""), claims=claims
    )
    return authorize, user


# --- the pool's user -------------------------------------------------------------------------


def _claim_text(value: Any) -> str:
    """A claim as an attribute's string, as Cognito writes them: booleans as true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def _mapped_attributes(provider: IdentityProvider, claims: Mapping[str, Any]) -> dict[str, str]:
    """The provider's AttributeMapping (pool attribute: upstream claim) applied to `claims`; a
    claim the upstream did not send leaves its attribute alone."""
    return {
        attribute: _claim_text(claims[claim])
        for attribute, claim in provider.attribute_mapping.items()
        if attribute != "username"
        and claim in claims
        and claim not in _PROTOCOL_CLAIMS
        and claims[claim] is not None
    }


def _identity(
    pool: UserPool, provider: IdentityProvider, uid: str, attributes: Mapping[str, str]
) -> FederatedIdentity | None:
    """The pool's identity for the upstream account: by its subject, else by a link an operator
    made on one of the attributes the sign-in maps (AdminLinkProviderForUser with, say,
    `email`). The first account to sign in through such a link takes it over: from then on it
    names that account's subject, as Cognito names a linked user who has signed in, so no other
    account sending the same value signs in as the user. Links that would name several users
    are refused."""
    match = Q(attribute_name=COGNITO_SUBJECT, uid=uid)
    for name, value in attributes.items():
        match |= Q(attribute_name=name, uid=value)
    rows = list(
        FederatedIdentity.objects.select_related("user__pool")
        .filter(match, pool=pool, provider=provider.name)
        .order_by("pk")
    )
    for row in rows:
        if row.attribute_name == COGNITO_SUBJECT:
            return row
    if not rows:
        return None
    if len({row.user_id for row in rows}) > 1:
        raise InvalidParameterException(
            "The identity provider's account matches links to several users of the pool."
        )
    link, *others = rows
    # Conditional, so that of two accounts signing in through one link at once, one takes it.
    taken = FederatedIdentity.objects.filter(
        pk=link.pk, attribute_name=link.attribute_name, uid=link.uid
    ).update(attribute_name=COGNITO_SUBJECT, uid=uid, modified=timezone.now())
    if not taken:
        raise InvalidParameterException("The link changed during the sign-in. Sign in again.")
    FederatedIdentity.objects.filter(pk__in=[row.pk for row in others]).delete()
    link.attribute_name, link.uid = COGNITO_SUBJECT, uid
    return link


@transaction.atomic
def federated_sign_in(
    *,
    pool: UserPool,
    provider: IdentityProvider,
    subject: str,
    claims: Mapping[str, Any],
    issuer: str | None = None,
) -> PoolUser:
    """The pool's user for an upstream account whose `claims` the provider vouched for.

    The account is known by the claim the provider maps to `username` (Cognito's default for
    OIDC: `sub`, the `subject`): its FederatedIdentity's user, whether a first sign-in made it or
    an operator linked it (AdminLinkProviderForUser). Otherwise a new user
    `<ProviderName>_<subject>` in EXTERNAL_PROVIDER, without a password, with a primary
    identity. Either way the mapped attributes are written, as an administrator's update is
    checked. A disabled user is refused and nothing changes. `issuer` (a SAML IdP's entity id)
    is kept on the identity for its `identities` entry."""
    claim = provider.attribute_mapping.get("username") or USERNAME_CLAIM.get(provider.provider_type)
    uid = _claim_text(claims[claim]) if claim and claims.get(claim) is not None else subject
    if not uid:
        raise InvalidParameterException("The identity provider gave no subject for the user.")
    attributes = _mapped_attributes(provider, claims)
    identity = _identity(pool, provider, uid, attributes)
    if identity is None:
        # Serialises first sign-ins in the pool: the second of two for one subject finds the
        # first's identity here instead of making a second user.
        user_pool_locked(pool=pool)
        identity = _identity(pool, provider, uid, attributes)
    if identity is not None:
        user = identity.user
        if not user.enabled:
            raise NotAuthorizedException(USER_DISABLED)
        if issuer and identity.extra_data.get("issuer") != issuer:
            identity.extra_data = {**identity.extra_data, "issuer": issuer}
            identity.save(update_fields=["extra_data", "modified"])
        if attributes:
            user_update_attributes(user=user, attributes=attributes, admin=True)
        return user
    username = f"{provider.name}_{uid}"
    if len(username) > MAX_USERNAME_LENGTH:
        raise InvalidParameterException(
            "The identity provider's subject is too long for a username of this pool "
            f"(<ProviderName>_<subject>, at most {MAX_USERNAME_LENGTH} characters)."
        )
    values = attributes_validate(
        pool=pool, attributes=attributes, creating=True, admin=True, check_required=False
    )
    user = user_insert(
        pool=pool,
        username=username,
        values=values,
        password="",
        status=UserStatus.EXTERNAL_PROVIDER,
    )
    try:
        with transaction.atomic():
            FederatedIdentity.objects.create(
                pool=pool,
                user=user,
                provider=provider.name,
                provider_type=provider.provider_type,
                attribute_name=COGNITO_SUBJECT,
                uid=uid,
                primary=True,
                extra_data={"issuer": issuer} if issuer else {},
            )
    except IntegrityError:
        raise UsernameExistsException("User account already exists") from None
    return user
