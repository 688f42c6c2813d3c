"""The rules of the OAuth 2.0 endpoints that are not those of the AWS operations they share a
service with: who a client is at `/oauth2/token` and `/oauth2/revoke` (RFC 6749 §2.3), what a
client_credentials grant gives, and what `/oauth2/userInfo` tells about the user.

The refresh_token grant is GetTokensFromRefreshToken's `refresh_token_redeem`, and revocation is
RevokeToken's `refresh_token_revoke`: rotation, grace period and revocation are theirs.
"""

from __future__ import annotations

import re
from typing import Any

from pools.errors import (
    InsufficientScopeException,
    InvalidParameterException,
    NotAuthorizedException,
    ResourceNotFoundException,
    ScopeDoesNotExistException,
    UnauthorizedClientException,
    UnauthorizedException,
)
from pools.models import AppClient, UserPool
from pools.selectors.clients import app_client_get_by_id
from pools.selectors.resource_servers import resource_server_scope_names
from pools.selectors.users import IDENTITIES_ATTRIBUTE
from pools.services.clients import RESERVED_SCOPES, app_client_verify_secret
from pools.services.federated_users import identities_attribute
from pools.services.tokens import client_access_token_sign, user_attribute_claims
from pools.services.verification import access_token_verify

CLIENT_CREDENTIALS = "client_credentials"
OPENID_SCOPE = "openid"

# botocore's ClientIdType: anything else names no client, and is never looked up (a NUL byte
# is no text PostgreSQL can compare). For every OAuth endpoint and the hosted pages.
CLIENT_ID = re.compile(r"[\w+]{1,128}")
# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")

# Cognito's userInfo: `openid` alone returns every attribute the client may read; with
# `profile`, `email` or `phone` it returns the groups those scopes name (custom attributes
# come with `profile`). `aws.cognito.signin.user.admin` and custom scopes change nothing.
_PROFILE_ATTRIBUTES = frozenset(
    {
        "name",
        "family_name",
        "given_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "updated_at",
    }
)
_SCOPE_ATTRIBUTES: dict[str, frozenset[str]] = {
    "profile": _PROFILE_ATTRIBUTES,
    "email": frozenset({"email", "email_verified"}),
    "phone": frozenset({"phone_number", "phone_number_verified"}),
}


def oauth_client_authenticate(
    *, client_id: str, client_secret: str | None, pool: UserPool | None = None
) -> AppClient:
    """The app client a token or revocation request names, proven by its secret if it has one
    (compared in constant time, as GetTokensFromRefreshToken compares it). A public client sends
    its id alone. Every failure is RFC 6749's invalid_client: an unknown client (or, through a
    pool's domain, another pool's), another shape of id, a missing or wrong secret, a secret sent
    for a client that has none."""
    if not CLIENT_ID.fullmatch(client_id):
        raise UnauthorizedException("The client_id is not a valid app client id.")
    try:
        client = app_client_get_by_id(client_id=client_id, pool=pool)
        app_client_verify_secret(client=client, secret=client_secret)
    except (ResourceNotFoundException, NotAuthorizedException, InvalidParameterException) as exc:
        raise UnauthorizedException(exc.message) from None
    return client


def _requested_scopes(scope: str) -> list[str]:
    tokens = list(dict.fromkeys(part for part in scope.split(" ") if part))
    for token in tokens:
        if not SCOPE_TOKEN.fullmatch(token):
            raise ScopeDoesNotExistException("Invalid scope requested.")
    return tokens


def client_credentials_grant(*, client: AppClient, scope: str | None) -> dict[str, Any]:
    """An access token for the client itself (machine to machine): only a confidential client
    whose OAuth flows are on and include client_credentials. `scope` (space-separated) must be
    resource-server scopes (`<identifier>/<scope>`) among the client's AllowedOAuthScopes; none
    asked means all of them. No refresh token and no ID token."""
    if not (
        client.has_secret
        and client.allowed_oauth_flows_user_pool_client
        and CLIENT_CREDENTIALS in client.allowed_oauth_flows
    ):
        raise UnauthorizedClientException(
            f"Client {client.client_id} is not allowed the client_credentials grant."
        )
    existing = resource_server_scope_names(pool=client.pool)
    allowed = [
        name
        for name in client.allowed_oauth_scopes
        if name not in RESERVED_SCOPES and name in existing
    ]
    requested = _requested_scopes(scope or "")
    for name in requested:
        if name not in allowed:
            raise ScopeDoesNotExistException(f"Invalid scope requested: {name}")
    granted = requested or allowed
    if not granted:
        raise ScopeDoesNotExistException(
            f"Client {client.client_id} has no resource-server scopes to grant."
        )
    return client_access_token_sign(client=client, scopes=granted)


def _user_info_names(scopes: set[str]) -> set[str] | None:
    """The attributes the token's scopes name; None for all of those the client may read."""
    named = scopes & _SCOPE_ATTRIBUTES.keys()
    if not named:
        return None
    return {attribute for scope in named for attribute in _SCOPE_ATTRIBUTES[scope]}


def user_info_claims(*, access_token: str, pool: UserPool | None = None) -> dict[str, Any]:
    """`/oauth2/userInfo`: the user an access token speaks for, checked as GetUser checks it
    (signature, expiry, revocation, global sign-out, the user enabled), which must carry the
    `openid` scope; then `sub`, the attributes its scopes and the client allow, and `username`.
    Through a pool's domain (`pool`), another pool's token is refused as any bad token is.
    """
    context = access_token_verify(token=access_token, required_scope=None)
    if pool is not None and context.user.pool_id != pool.pk:
        raise NotAuthorizedException("The access token is not of this user pool.")
    scopes = set(str(context.claims.get("scope", "")).split())
    if OPENID_SCOPE not in scopes:
        raise InsufficientScopeException("The access token does not have the openid scope.")
    names = _user_info_names(scopes)
    if names is not None and "profile" in scopes:
        names |= {name for name in context.user.custom_attributes if name.startswith("custom:")}
    user = context.user
    identities = identities_attribute(user.federated_identities.all())
    return {
        "sub": str(user.sub),
        **user_attribute_claims(user=user, client=context.client, names=names),
        **({IDENTITIES_ATTRIBUTE: identities} if identities is not None else {}),
        "username": user.username,
    }
