"""The logins an identity pool accepts: a Logins map's tokens, checked and turned into subjects.

Served here: user pools of this server (`cognito-idp.<region>.amazonaws.com/<pool id>`, their ID
tokens checked by signature, issuer, audience and expiry, and against the user and revocation
when the provider has ServerSideTokenCheck), this server's own OpenID tokens
(`cognito-identity.amazonaws.com`, from GetOpenIdTokenForDeveloperIdentity), and outside OpenID
Connect providers registered as IAM OIDC providers and named in the pool's
OpenIdConnectProviderARNs: the Logins key is the provider's URL as IAM keeps it
(`accounts.example.com`), and its ID tokens are checked against the issuer's published keys, its
issuer, the provider's client IDs and their lifetime (`oidc_tokens`); the subject is the token's
`sub`. Other providers (Google, Facebook, Apple, Amazon as SupportedLoginProviders, and SAML
providers) would need their keys from outside; a Logins map naming one is refused, never taken on
trust.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cognitoadmin.errors import NotAuthorizedException
from identities.models import IdentityPool
from identities.selectors.oidc_providers import oidc_provider_get_by_url, oidc_provider_url_of
from identities.services.oidc_tokens import oidc_id_token_verify
from identities.services.openid import PROVIDER as OPENID_PROVIDER
from identities.services.openid import OpenIdTokenError, openid_token_verify
from pools.services.verification import id_token_verify

# Cognito's word for a provider the pool does not name.
_NOT_CONFIGURED = "Invalid login token. Couldn't verify signed token."
_USER_POOL_PROVIDER = re.compile(r"cognito-idp\.([a-z0-9-]+)\.amazonaws\.com/([\w-]+_[0-9a-zA-Z]+)")


@dataclass(frozen=True)
class VerifiedLogin:
    """One login whose token checked out: the provider's name and the user's subject there."""

    provider: str
    subject: str
    claims: Mapping[str, Any] = field(default_factory=dict)
    # Set for an OpenID token of this server: the identity it names, and how it signed in.
    identity_id: str | None = None
    amr: tuple[str, ...] = ()


def _user_pool_login(pool: IdentityPool, provider: str, token: str) -> VerifiedLogin:
    entries = [
        entry
        for entry in pool.cognito_identity_providers
        if entry.get("ProviderName") == provider and entry.get("ClientId")
    ]
    match = _USER_POOL_PROVIDER.fullmatch(provider)
    if not entries or match is None:
        raise NotAuthorizedException(_NOT_CONFIGURED)
    claims = id_token_verify(
        token=token,
        pool_id=match.group(2),
        client_ids={str(entry["ClientId"]) for entry in entries},
        check_user=any(entry.get("ServerSideTokenCheck") for entry in entries),
    )
    return VerifiedLogin(provider=provider, subject=str(claims["sub"]), claims=claims)


def _openid_login(pool: IdentityPool, token: str) -> VerifiedLogin:
    try:
        claims = openid_token_verify(token=token)
    except OpenIdTokenError as refusal:
        raise NotAuthorizedException(refusal.message) from None
    if claims["aud"] != pool.identity_pool_id:
        raise NotAuthorizedException("Invalid login token. Incorrect token audience.")
    return VerifiedLogin(
        provider=OPENID_PROVIDER,
        subject=claims["sub"],
        claims=claims,
        identity_id=claims["sub"],
        amr=tuple(claims["amr"]),
    )


def _oidc_login(provider: str, token: str) -> VerifiedLogin:
    found = oidc_provider_get_by_url(url=provider)
    if found is None:
        # Named by the pool, but deleted from IAM since.
        raise NotAuthorizedException(_NOT_CONFIGURED)
    claims = oidc_id_token_verify(provider=found, token=token)
    return VerifiedLogin(provider=provider, subject=claims["sub"], claims=claims)


def _oidc_provider_names(pool: IdentityPool) -> set[str]:
    urls = (oidc_provider_url_of(arn) for arn in pool.open_id_connect_provider_arns)
    return {url for url in urls if url}


def logins_verify(*, pool: IdentityPool, logins: Mapping[str, str]) -> list[VerifiedLogin]:
    """Every login of `logins` checked for `pool`; NotAuthorizedException for the first that
    fails, and for providers this server cannot check."""
    verified = []
    for provider, token in logins.items():
        if provider == OPENID_PROVIDER:
            verified.append(_openid_login(pool, token))
        elif provider.startswith("cognito-idp."):
            verified.append(_user_pool_login(pool, provider, token))
        elif provider in _oidc_provider_names(pool):
            verified.append(_oidc_login(provider, token))
        elif provider == pool.developer_provider_name and pool.developer_provider_name:
            # A developer's own users are named by a signed call only (GetOpenIdTokenFor...).
            raise NotAuthorizedException(
                "Invalid login token. Developer identities sign in with the OpenID token of "
                "GetOpenIdTokenForDeveloperIdentity, under cognito-identity.amazonaws.com."
            )
        else:
            raise NotAuthorizedException(
                f"Invalid login token. Provider {provider} is not one of the identity pool's: "
                "this server checks tokens of its own user pools, its own OpenID tokens and the "
                "OpenID Connect providers the pool names (OpenIdConnectProviderARNs)."
            )
    return verified
