"""Federated identity providers of a user pool: CreateIdentityProvider, UpdateIdentityProvider and
DeleteIdentityProvider.

This module keeps the IdP rows; signing users in through them is the federation flow's work. The
provider's secrets (`client_secret`, Apple's `private_key`) are sealed inside the details column and
never stored plain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction

from cognitoadmin.addresses import is_web_url
from cognitoadmin.awsmodel import model_validate
from cognitoadmin.crypto import seal, unseal_str
from pools.errors import (
    DuplicateProviderException,
    InvalidParameterException,
)
from pools.models import IdentityProvider, ProviderType, SchemaAttribute, UserPool
from pools.selectors.pools import user_pool_locked
from pools.services.clients import app_clients_remove_identity_provider
from pools.services.domains import pool_base_url
from pools.services.limits import pool_quota_check

MAX_PROVIDERS_PER_POOL = 300
# Where users come back from an OAuth 2.0 / OIDC provider and from a SAML one, as on Cognito.
FEDERATION_CALLBACK_PATH = "/oauth2/idpresponse"
SAML_CALLBACK_PATH = "/saml2/idpresponse"
# The name app clients use for the pool's own users.
RESERVED_PROVIDER_NAME = "cognito"
SECRET_DETAILS = ("client_secret", "private_key")
# Left out of DescribeIdentityProvider, as Cognito leaves out Apple's private key.
UNDISCLOSED_DETAILS = frozenset({"private_key"})
SOCIAL_TYPES = frozenset(
    {
        ProviderType.GOOGLE,
        ProviderType.FACEBOOK,
        ProviderType.LOGIN_WITH_AMAZON,
        ProviderType.SIGN_IN_WITH_APPLE,
    }
)

# The endpoint details Cognito fills in for the social providers (its DescribeIdentityProvider
# examples); a request may override them, which points a provider at a test double.
_SOCIAL_ENDPOINTS: dict[str, dict[str, str]] = {
    ProviderType.GOOGLE: {
        "attributes_url": "https://people.googleapis.com/v1/people/me?personFields=",
        "attributes_url_add_attributes": "true",
        "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "oidc_issuer": "https://accounts.google.com",
        "token_request_method": "POST",
        "token_url": "https://www.googleapis.com/oauth2/v4/token",
    },
    ProviderType.LOGIN_WITH_AMAZON: {
        "attributes_url": "https://api.amazon.com/user/profile",
        "attributes_url_add_attributes": "false",
        "authorize_url": "https://www.amazon.com/ap/oa",
        "token_request_method": "POST",
        "token_url": "https://api.amazon.com/auth/o2/token",
    },
    ProviderType.SIGN_IN_WITH_APPLE: {
        "attributes_url_add_attributes": "false",
        "authorize_url": "https://appleid.apple.com/auth/authorize",
        "oidc_issuer": "https://appleid.apple.com",
        "token_request_method": "POST",
        "token_url": "https://appleid.apple.com/auth/token",
    },
}
_SOCIAL_DESCRIBE_KEYS = frozenset(
    {
        "attributes_url",
        "attributes_url_add_attributes",
        "authorize_url",
        "oidc_issuer",
        "token_request_method",
        "token_url",
    }
)
# (required keys, other accepted keys) per provider type, as Cognito documents ProviderDetails.
_DETAIL_KEYS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    ProviderType.GOOGLE: (
        frozenset({"client_id", "client_secret", "authorize_scopes"}),
        _SOCIAL_DESCRIBE_KEYS,
    ),
    ProviderType.LOGIN_WITH_AMAZON: (
        frozenset({"client_id", "client_secret", "authorize_scopes"}),
        _SOCIAL_DESCRIBE_KEYS,
    ),
    ProviderType.FACEBOOK: (
        frozenset({"client_id", "client_secret", "authorize_scopes"}),
        _SOCIAL_DESCRIBE_KEYS | {"api_version"},
    ),
    ProviderType.SIGN_IN_WITH_APPLE: (
        frozenset({"client_id", "team_id", "key_id", "private_key", "authorize_scopes"}),
        _SOCIAL_DESCRIBE_KEYS,
    ),
    ProviderType.OIDC: (
        frozenset({"client_id", "attributes_request_method", "oidc_issuer", "authorize_scopes"}),
        frozenset(
            {
                "client_secret",
                "authorize_url",
                "token_url",
                "attributes_url",
                "jwks_uri",
                "attributes_url_add_attributes",
            }
        ),
    ),
    ProviderType.SAML: (
        frozenset(),
        frozenset(
            {
                "MetadataURL",
                "MetadataFile",
                "IDPSignout",
                "IDPInit",
                "EncryptedResponses",
                "RequestSigningAlgorithm",
                "ActiveEncryptionCertificate",
                "SSORedirectBindingURI",
                "SLORedirectBindingURI",
            }
        ),
    ),
}
_URL_DETAILS = frozenset(
    {"oidc_issuer", "authorize_url", "token_url", "attributes_url", "jwks_uri"}
)
_BOOLEAN_DETAILS = frozenset(
    {"IDPSignout", "IDPInit", "EncryptedResponses", "attributes_url_add_attributes"}
)
_ENUM_DETAILS: dict[str, frozenset[str]] = {
    "attributes_request_method": frozenset({"GET", "POST"}),
    "token_request_method": frozenset({"GET", "POST"}),
    "RequestSigningAlgorithm": frozenset({"rsa-sha256"}),
}
# The IdP claim Cognito maps to `username` when the request maps none.
USERNAME_CLAIM: dict[str, str] = {
    ProviderType.GOOGLE: "sub",
    ProviderType.FACEBOOK: "id",
    ProviderType.LOGIN_WITH_AMAZON: "user_id",
    ProviderType.SIGN_IN_WITH_APPLE: "sub",
    ProviderType.OIDC: "sub",
}


def _seal_purpose(key: str) -> str:
    return f"identity_provider_{key}"


def _check_name(name: str, provider_type: str) -> None:
    if name.lower() == RESERVED_PROVIDER_NAME:
        raise InvalidParameterException(f"{name} is a reserved provider name.")
    # Social providers are known by their type's name, and that name belongs to them alone.
    if (provider_type in SOCIAL_TYPES or name in SOCIAL_TYPES) and name != provider_type:
        raise InvalidParameterException(f"Provider {name} cannot be of type {provider_type}.")


def _check_details(provider_type: str, details: Mapping[str, str]) -> dict[str, str]:
    """The details as stored, in plain text: checked, with Cognito's endpoint defaults added."""
    required, optional = _DETAIL_KEYS[provider_type]
    missing = sorted(required - set(details))
    if missing:
        raise InvalidParameterException(
            f"ProviderDetails for {provider_type} identity providers must include "
            f"{', '.join(missing)}."
        )
    unknown = sorted(set(details) - required - optional)
    if unknown:
        raise InvalidParameterException(
            f"ProviderDetails for {provider_type} identity providers do not take "
            f"{', '.join(unknown)}."
        )
    if provider_type == ProviderType.SAML and ("MetadataURL" in details) == (
        "MetadataFile" in details
    ):
        raise InvalidParameterException(
            "ProviderDetails for SAML identity providers take exactly one of MetadataURL and "
            "MetadataFile."
        )
    for key, value in details.items():
        if not value and key in required:
            raise InvalidParameterException(f"ProviderDetails.{key} must not be empty.")
        if key in _URL_DETAILS and not is_web_url(value):
            raise InvalidParameterException(f"ProviderDetails.{key} must be an http(s) URL.")
        if key in _BOOLEAN_DETAILS and value not in {"true", "false"}:
            raise InvalidParameterException(f"ProviderDetails.{key} must be true or false.")
        if key in _ENUM_DETAILS and value not in _ENUM_DETAILS[key]:
            raise InvalidParameterException(
                f"ProviderDetails.{key} must be one of {', '.join(sorted(_ENUM_DETAILS[key]))}."
            )
    stored = {**_social_endpoints(provider_type, details), **details}
    if provider_type == ProviderType.OIDC:
        stored.setdefault("attributes_url_add_attributes", "false")
    return stored


def _social_endpoints(provider_type: str, details: Mapping[str, str]) -> dict[str, str]:
    if provider_type != ProviderType.FACEBOOK:
        return dict(_SOCIAL_ENDPOINTS.get(provider_type, {}))
    # Facebook's endpoints carry the Graph API version when the request names one.
    version = f"{details['api_version']}/" if details.get("api_version") else ""
    return {
        "attributes_url": f"https://graph.facebook.com/{version}me?fields=",
        "attributes_url_add_attributes": "true",
        "authorize_url": f"https://www.facebook.com/{version}dialog/oauth",
        "token_request_method": "GET",
        "token_url": f"https://graph.facebook.com/{version}oauth/access_token",
    }


def _sealed(details: Mapping[str, str]) -> dict[str, str]:
    return {
        key: seal(value, purpose=_seal_purpose(key)) if key in SECRET_DETAILS else value
        for key, value in details.items()
    }


def _check_mapping(
    pool: UserPool, provider_type: str, mapping: Mapping[str, str]
) -> dict[str, str]:
    """Keys are pool attributes (or `username`); Cognito adds the usual `username` mapping."""
    attributes = {
        row.full_name for row in SchemaAttribute.objects.filter(pool=pool) if not row.developer_only
    }
    attributes.add("username")
    unknown = sorted(set(mapping) - attributes)
    if unknown:
        raise InvalidParameterException(
            f"AttributeMapping refers to attributes the user pool does not have: "
            f"{', '.join(unknown)}."
        )
    stored = dict(mapping)
    if provider_type in USERNAME_CLAIM:
        stored.setdefault("username", USERNAME_CLAIM[provider_type])
    return stored


def _check_identifiers(
    pool: UserPool, identifiers: Sequence[str], *, exclude: IdentityProvider | None = None
) -> list[str]:
    duplicates = sorted({i for i in identifiers if identifiers.count(i) > 1})
    if duplicates:
        raise InvalidParameterException(f"Duplicate IdpIdentifiers: {', '.join(duplicates)}.")
    others = IdentityProvider.objects.filter(pool=pool)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    taken = {i for row in others.only("idp_identifiers") for i in row.idp_identifiers}
    for identifier in identifiers:
        if identifier in taken:
            raise DuplicateProviderException(
                f"The identifier {identifier} is already used by another identity provider in "
                f"user pool {pool.pool_id}."
            )
    return list(identifiers)


@transaction.atomic
def identity_provider_create(
    *,
    pool: UserPool,
    name: str,
    provider_type: str,
    details: Mapping[str, str],
    attribute_mapping: Mapping[str, str] | None = None,
    idp_identifiers: Sequence[str] = (),
) -> IdentityProvider:
    params: dict[str, Any] = {
        "UserPoolId": pool.pool_id,
        "ProviderName": name,
        "ProviderType": provider_type,
        "ProviderDetails": dict(details),
        "IdpIdentifiers": list(idp_identifiers),
        "AttributeMapping": None if attribute_mapping is None else dict(attribute_mapping),
    }
    model_validate("CreateIdentityProvider", params)
    _check_name(name, provider_type)
    stored_details = _check_details(provider_type, details)
    mapping = _check_mapping(pool, provider_type, attribute_mapping or {})

    user_pool_locked(pool=pool)
    if IdentityProvider.objects.filter(pool=pool, name=name).exists():
        raise DuplicateProviderException(f"{name} already exists in user pool {pool.pool_id}")
    identifiers = _check_identifiers(pool, list(idp_identifiers))
    pool_quota_check(
        pool=pool,
        rows=IdentityProvider.objects.filter(pool=pool),
        limit=MAX_PROVIDERS_PER_POOL,
        noun="identity providers",
    )
    return IdentityProvider.objects.create(
        pool=pool,
        name=name,
        provider_type=provider_type,
        provider_details=_sealed(stored_details),
        attribute_mapping=mapping,
        idp_identifiers=identifiers,
    )


@transaction.atomic
def identity_provider_update(
    *,
    provider: IdentityProvider,
    details: Mapping[str, str] | None = None,
    attribute_mapping: Mapping[str, str] | None = None,
    idp_identifiers: Sequence[str] | None = None,
) -> IdentityProvider:
    """Replace the members given. New details replace the old ones whole, except that a secret
    left out keeps its current value (DescribeIdentityProvider never shows Apple's private key, so
    a describe-then-update round trip could not send it back)."""
    pool = provider.pool
    model_validate(
        "UpdateIdentityProvider",
        {
            "UserPoolId": pool.pool_id,
            "ProviderName": provider.name,
            "ProviderDetails": None if details is None else dict(details),
            "AttributeMapping": None if attribute_mapping is None else dict(attribute_mapping),
            "IdpIdentifiers": None if idp_identifiers is None else list(idp_identifiers),
        },
    )

    user_pool_locked(pool=pool)
    fields = ["updated_at"]
    if details is not None:
        kept = {
            key: provider.provider_details[key]
            for key in SECRET_DETAILS
            if key not in details and key in provider.provider_details
        }
        plain = {key: unseal_str(value, purpose=_seal_purpose(key)) for key, value in kept.items()}
        provider.provider_details = _sealed(
            _check_details(provider.provider_type, {**plain, **details})
        )
        fields.append("provider_details")
    if attribute_mapping is not None:
        provider.attribute_mapping = _check_mapping(pool, provider.provider_type, attribute_mapping)
        fields.append("attribute_mapping")
    if idp_identifiers is not None:
        provider.idp_identifiers = _check_identifiers(pool, list(idp_identifiers), exclude=provider)
        fields.append("idp_identifiers")
    provider.save(update_fields=fields)
    return provider


@transaction.atomic
def identity_provider_delete(*, provider: IdentityProvider) -> None:
    app_clients_remove_identity_provider(pool=provider.pool, name=provider.name)
    provider.delete()


def identity_provider_details(*, provider: IdentityProvider) -> dict[str, str]:
    """Every ProviderDetails value in plain text, secrets included, for the federation flow."""
    return {
        key: unseal_str(value, purpose=_seal_purpose(key)) if key in SECRET_DETAILS else value
        for key, value in provider.provider_details.items()
    }


def federation_callback_url(*, pool: UserPool, provider_type: str) -> str:
    """Where the provider sends users back (the redirect URI or SAML assertion consumer URL to
    register upstream): under the pool's domain, else under this server's own root."""
    base = pool_base_url(pool) or settings.COGNITOADMIN_PUBLIC_URL.rstrip("/")
    path = SAML_CALLBACK_PATH if provider_type == ProviderType.SAML else FEDERATION_CALLBACK_PATH
    return base + path
