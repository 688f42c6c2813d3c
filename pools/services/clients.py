"""App clients of a user pool: CreateUserPoolClient, UpdateUserPoolClient, DeleteUserPoolClient,
and the client secrets (AddUserPoolClientSecret, DeleteUserPoolClientSecret).

Settings arrive as the AWS members of the request (PascalCase). Create and Update share one
translation into columns, because UpdateUserPoolClient is a full replacement: a member left out of
the request goes back to its default, exactly as on create.

A confidential client has one or two secrets, each sealed at rest: rotation adds a second, moves
the apps to it, then deletes the first. Every secret check accepts any of them; the last one can't
be deleted, so a confidential client never becomes a public one.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from cognitoadmin.addresses import url_split
from cognitoadmin.awsmodel import model_validate, service_model
from cognitoadmin.crypto import seal, unseal_str
from cognitoadmin.ids import new_app_client_id, new_app_client_secret
from pools.errors import (
    FeatureUnavailableInTierException,
    InvalidOAuthFlowException,
    InvalidParameterException,
    LimitExceededException,
    NotAuthorizedException,
    ResourceNotFoundException,
    ScopeDoesNotExistException,
)
from pools.models import (
    AppClient,
    AppClientSecret,
    IdentityProvider,
    PreventUserExistenceErrors,
    SchemaAttribute,
    TokenUnit,
    UserPool,
    UserPoolTier,
)
from pools.selectors.clients import app_client_locked, app_client_secrets
from pools.selectors.pools import user_pool_locked
from pools.selectors.resource_servers import resource_server_scope_names
from pools.services.limits import pool_quota_check

MAX_CLIENTS_PER_POOL = 1_000
# Cognito keeps up to two secrets per app client, for rotation without downtime.
MAX_SECRETS_PER_CLIENT = 2

SEAL_PURPOSE = "app_client_secret"

DEFAULT_AUTH_FLOWS = ("ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH")
# The pre-2019 names; a client uses either these or the ALLOW_* ones, never both.
LEGACY_AUTH_FLOWS = frozenset({"ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH"})
# The current names, in the model's order (USER_AUTH and whatever newer models add).
AUTH_FLOWS = tuple(
    flow
    for flow in service_model("cognito-idp").shape_for("ExplicitAuthFlowsType").metadata["enum"]
    if flow not in LEGACY_AUTH_FLOWS
)

RESERVED_SCOPES = frozenset(
    {"openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"}
)
COGNITO_PROVIDER = "COGNITO"
# Plain HTTP is accepted only for local testing, as Cognito does.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

UNIT_SECONDS: dict[str, int] = {
    TokenUnit.SECONDS: 1,
    TokenUnit.MINUTES: 60,
    TokenUnit.HOURS: 3_600,
    TokenUnit.DAYS: 86_400,
}
# Effective ranges in seconds: access and ID tokens 5 minutes to 1 day, refresh 1 hour to 10 years.
ACCESS_ID_RANGE = (300, 86_400)
REFRESH_RANGE = (3_600, 315_360_000)
# (column prefix, member, TokenValidityUnits member, unit of a bare value, default, range)
_VALIDITY_SPECS: tuple[tuple[str, str, str, str, tuple[int, str], tuple[int, int]], ...] = (
    ("access", "AccessTokenValidity", "AccessToken", "hours", (60, "minutes"), ACCESS_ID_RANGE),
    ("id", "IdTokenValidity", "IdToken", "hours", (60, "minutes"), ACCESS_ID_RANGE),
    ("refresh", "RefreshTokenValidity", "RefreshToken", "days", (30, "days"), REFRESH_RANGE),
)

# The settings members this service understands (CreateUserPoolClient minus UserPoolId/ClientName).
_SHARED_MEMBERS = frozenset(
    {
        "RefreshTokenValidity",
        "AccessTokenValidity",
        "IdTokenValidity",
        "TokenValidityUnits",
        "ReadAttributes",
        "WriteAttributes",
        "ExplicitAuthFlows",
        "SupportedIdentityProviders",
        "CallbackURLs",
        "LogoutURLs",
        "DefaultRedirectURI",
        "AllowedOAuthFlows",
        "AllowedOAuthScopes",
        "AllowedOAuthFlowsUserPoolClient",
        "AnalyticsConfiguration",
        "PreventUserExistenceErrors",
        "EnableTokenRevocation",
        "EnablePropagateAdditionalUserContextData",
        "AuthSessionValidity",
        "RefreshTokenRotation",
        "PublishSecretsInAWSSecretsManager",
    }
)
CREATE_MEMBERS = _SHARED_MEMBERS | {"GenerateSecret", "ClientSecret"}
UPDATE_MEMBERS = _SHARED_MEMBERS | {"ClientName"}


def _validated(
    operation: str, settings: Mapping[str, Any], allowed: frozenset[str], ids: dict[str, str]
) -> dict[str, Any]:
    unknown = sorted(set(settings) - allowed)
    if unknown:
        raise InvalidParameterException(f"Unknown app client setting: {', '.join(unknown)}.")
    return model_validate(operation, {**settings, **ids})


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


@transaction.atomic
def app_client_create(
    *, pool: UserPool, name: str, settings: Mapping[str, Any] | None = None
) -> tuple[AppClient, str | None]:
    """Create a client; the plain secret is returned here once and stored only sealed."""
    given = _validated(
        "CreateUserPoolClient",
        settings or {},
        CREATE_MEMBERS,
        {"UserPoolId": pool.pool_id, "ClientName": name},
    )
    secret: str | None = given.get("ClientSecret")
    if given.get("GenerateSecret"):
        if secret is not None:
            raise InvalidParameterException(
                "You cannot specify both GenerateSecret as true and provide a ClientSecret value."
            )
        secret = new_app_client_secret()

    user_pool_locked(pool=pool)
    pool_quota_check(
        pool=pool,
        rows=AppClient.objects.filter(pool=pool),
        limit=MAX_CLIENTS_PER_POOL,
        noun="app clients",
    )
    fields = _client_fields(pool, given, has_secret=secret is not None, verb="creating")
    client = AppClient.objects.create(
        pool=pool,
        client_id=new_app_client_id(),
        name=name,
        has_secret=secret is not None,
        **fields,
    )
    if secret is not None:
        _secret_store(client=client, secret=secret, now=client.created_at)
    return client, secret


@transaction.atomic
def app_client_update(*, client: AppClient, settings: Mapping[str, Any]) -> AppClient:
    """Replace the client's configuration: members left out return to their defaults.

    The name stays when ClientName is left out (it has no default), and the secret never changes
    here.
    """
    pool = client.pool
    given = _validated(
        "UpdateUserPoolClient",
        settings,
        UPDATE_MEMBERS,
        {"UserPoolId": pool.pool_id, "ClientId": client.client_id},
    )
    fields = _client_fields(pool, given, has_secret=client.has_secret, verb="updating")
    fields["name"] = given.get("ClientName", client.name)
    for field, value in fields.items():
        setattr(client, field, value)
    client.save()
    return client


@transaction.atomic
def app_client_delete(*, client: AppClient) -> None:
    client.delete()


def _secret_store(*, client: AppClient, secret: str, now: dt.datetime) -> AppClientSecret:
    """A new sealed secret row. Its id is `<client id>--<epoch milliseconds>` as Cognito forms it
    (a later millisecond if two secrets of the client share one), its date to the millisecond."""
    created = now.replace(microsecond=now.microsecond // 1000 * 1000)
    millis = int(created.timestamp() * 1000)
    taken = {row.secret_id for row in app_client_secrets(client=client)}
    while f"{client.client_id}--{millis}" in taken:
        millis += 1
    return AppClientSecret.objects.create(
        client=client,
        secret_id=f"{client.client_id}--{millis}",
        secret_sealed=seal(secret, purpose=SEAL_PURPOSE),
        created_at=created,
    )


@transaction.atomic
def app_client_secret_add(
    *, client: AppClient, secret: str | None = None
) -> tuple[AppClientSecret, str | None]:
    """AddUserPoolClientSecret: a second secret for a confidential client, `secret` if given
    (24 to 64 characters of `[\\w+]`) or a generated one. Returns the new row and the plain
    secret when it was generated here: Cognito returns ClientSecretValue only for a secret it
    generated, never for one the caller chose."""
    model_validate(
        "AddUserPoolClientSecret",
        {"UserPoolId": client.pool.pool_id, "ClientId": client.client_id, "ClientSecret": secret},
    )
    # The client row's lock makes "at most two" hold against concurrent adds.
    client = app_client_locked(client=client)
    if not client.has_secret:
        raise InvalidParameterException(
            f"App client {client.client_id} is not configured for secret: client secrets can "
            "only be added to a confidential app client."
        )
    existing = _secrets_plain(client)
    if len(existing) >= MAX_SECRETS_PER_CLIENT:
        raise LimitExceededException(
            f"App client {client.client_id} already has the maximum of "
            f"{MAX_SECRETS_PER_CLIENT} client secrets; delete one before adding another."
        )
    if secret is not None and any(
        hmac.compare_digest(secret.encode("utf-8"), known.encode("utf-8")) for known in existing
    ):
        raise InvalidParameterException(
            f"App client {client.client_id} already has this client secret."
        )
    generated = new_app_client_secret() if secret is None else None
    row = _secret_store(client=client, secret=secret or generated or "", now=timezone.now())
    return row, generated


@transaction.atomic
def app_client_secret_delete(*, client: AppClient, secret_id: str) -> None:
    """DeleteUserPoolClientSecret: drop one of the client's secrets, never its last one."""
    model_validate(
        "DeleteUserPoolClientSecret",
        {
            "UserPoolId": client.pool.pool_id,
            "ClientId": client.client_id,
            "ClientSecretId": secret_id,
        },
    )
    client = app_client_locked(client=client)
    rows = list(app_client_secrets(client=client))
    row = next((r for r in rows if r.secret_id == secret_id), None)
    if row is None:
        raise ResourceNotFoundException(
            f"Client secret {secret_id} does not exist for app client {client.client_id}."
        )
    if len(rows) == 1:
        raise InvalidParameterException(
            f"Client secret {secret_id} is the last secret of app client {client.client_id} and "
            "can't be deleted."
        )
    row.delete()


def _secrets_plain(client: AppClient) -> list[str]:
    """The client's secrets, oldest first."""
    return [
        unseal_str(row.secret_sealed, purpose=SEAL_PURPOSE)
        for row in app_client_secrets(client=client)
    ]


def app_client_secret(*, client: AppClient) -> str | None:
    """The newest secret (DescribeUserPoolClient's ClientSecret), None for a public client."""
    if not client.has_secret:
        return None
    secrets = _secrets_plain(client)
    return secrets[-1] if secrets else None


def _any_matches(expected: Iterable[bytes], given: bytes) -> bool:
    """Constant time per secret, and every secret compared: the time says nothing of which."""
    matched = False
    for candidate in expected:
        matched |= hmac.compare_digest(candidate, given)
    return matched


def app_client_verify_secret_hash(
    *, client: AppClient, username: str, secret_hash: str | None
) -> None:
    """A client with a secret proves it on every unsigned user operation with
    `Base64(HMAC_SHA256(secret, username + client_id))`, `username` being the name the request
    sent, and any of the client's secrets may be the one. Compared in constant time. A client
    without a secret must not send one."""
    if not client.has_secret:
        if secret_hash is not None:
            raise InvalidParameterException(
                f"App client {client.client_id} is not configured for secret but secret hash was "
                "received"
            )
        return
    if not secret_hash:
        raise NotAuthorizedException(
            f"Client {client.client_id} is configured for secret but secret was not received"
        )
    message = (username + client.client_id).encode("utf-8")
    expected = [
        base64.b64encode(hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest())
        for secret in _secrets_plain(client)
    ]
    if not _any_matches(expected, secret_hash.encode("utf-8")):
        raise NotAuthorizedException(f"Unable to verify secret hash for client {client.client_id}")


def app_client_verify_secret(*, client: AppClient, secret: str | None) -> None:
    """GetTokensFromRefreshToken, RevokeToken and the token endpoint carry the client secret
    itself, not a hash of it: required when the client has one, any of its secrets, compared in
    constant time. A client without a secret must not send one."""
    if not client.has_secret:
        if secret is not None:
            raise InvalidParameterException(
                f"App client {client.client_id} is not configured for secret but secret was "
                "received"
            )
        return
    if not secret:
        raise NotAuthorizedException(
            f"Client {client.client_id} is configured for secret but secret was not received"
        )
    expected = [known.encode("utf-8") for known in _secrets_plain(client)]
    if not _any_matches(expected, secret.encode("utf-8")):
        raise NotAuthorizedException(f"Unable to verify secret for client {client.client_id}")


def app_client_check_write_attributes(*, client: AppClient, names: Iterable[str]) -> None:
    """A user's own writes (SignUp, UpdateUserAttributes, DeleteUserAttributes) are limited to the
    client's WriteAttributes; an empty list means every attribute the user may write."""
    if client.write_attributes and not set(client.write_attributes).issuperset(names):
        raise NotAuthorizedException("A client attempted to write unauthorized attribute")


@transaction.atomic
def app_clients_remove_scopes(*, pool: UserPool, scopes: set[str]) -> None:
    """Drop scopes that no longer exist (their resource server or scope was removed) from every
    client of the pool, so a client's own configuration stays valid when sent back on update."""
    if not scopes:
        return
    for client in AppClient.objects.filter(pool=pool).select_for_update():
        kept = [scope for scope in client.allowed_oauth_scopes if scope not in scopes]
        if kept != client.allowed_oauth_scopes:
            client.allowed_oauth_scopes = kept
            client.save(update_fields=["allowed_oauth_scopes", "updated_at"])


@transaction.atomic
def app_clients_remove_identity_provider(*, pool: UserPool, name: str) -> None:
    """Drop a deleted IdP from the clients that offered it."""
    for client in AppClient.objects.filter(pool=pool).select_for_update():
        if name in client.supported_identity_providers:
            client.supported_identity_providers = [
                provider for provider in client.supported_identity_providers if provider != name
            ]
            client.save(update_fields=["supported_identity_providers", "updated_at"])


def _client_fields(
    pool: UserPool, given: Mapping[str, Any], *, has_secret: bool, verb: str
) -> dict[str, Any]:
    """Column values for the members in `given`, defaults for the rest, after every rule."""
    if given.get("PublishSecretsInAWSSecretsManager"):
        raise InvalidParameterException(
            "PublishSecretsInAWSSecretsManager is not supported: this server returns the client "
            "secret itself."
        )
    if given.get("EnablePropagateAdditionalUserContextData") and not has_secret:
        raise InvalidParameterException(
            "EnablePropagateAdditionalUserContextData can only be activated in an app client "
            "that has a client secret."
        )
    rotation = given.get("RefreshTokenRotation") or {}
    return {
        **_auth_flow_fields(pool, given.get("ExplicitAuthFlows") or DEFAULT_AUTH_FLOWS),
        **_token_validity_fields(given),
        **_attribute_fields(pool, given, verb=verb),
        **_oauth_fields(pool, given, has_secret=has_secret),
        "analytics_configuration": given.get("AnalyticsConfiguration") or {},
        "prevent_user_existence_errors": given.get(
            "PreventUserExistenceErrors", PreventUserExistenceErrors.LEGACY
        ),
        "enable_token_revocation": given.get("EnableTokenRevocation", True),
        "enable_propagate_additional_user_context_data": given.get(
            "EnablePropagateAdditionalUserContextData", False
        ),
        "auth_session_validity": given.get("AuthSessionValidity", 3),
        "refresh_token_rotation_enabled": rotation.get("Feature") == "ENABLED",
        "refresh_token_rotation_grace_seconds": rotation.get("RetryGracePeriodSeconds", 0),
    }


def _auth_flow_fields(pool: UserPool, flows: Iterable[str]) -> dict[str, Any]:
    explicit = _unique(flows)
    if LEGACY_AUTH_FLOWS.intersection(explicit) and not LEGACY_AUTH_FLOWS.issuperset(explicit):
        raise InvalidParameterException(
            "ExplicitAuthFlows can't mix the legacy values ADMIN_NO_SRP_AUTH, "
            "CUSTOM_AUTH_FLOW_ONLY and USER_PASSWORD_AUTH with ALLOW_* values."
        )
    if "ALLOW_USER_AUTH" in explicit and pool.tier == UserPoolTier.LITE:
        raise FeatureUnavailableInTierException(
            "ALLOW_USER_AUTH requires the Essentials or Plus feature plan."
        )
    return {"explicit_auth_flows": explicit}


def _token_validity_fields(given: Mapping[str, Any]) -> dict[str, Any]:
    """Validity and unit per token. A value given without a unit is in hours (access, ID) or days
    (refresh), as Cognito reads it; a value left out is the default (60 minutes, 30 days),
    expressed in the unit the request gave for that token when it divides evenly."""
    units: Mapping[str, str] = given.get("TokenValidityUnits") or {}
    fields: dict[str, Any] = {}
    seconds: dict[str, int] = {}
    for kind, member, unit_member, unit_if_unset, default, (low, high) in _VALIDITY_SPECS:
        value: int | None = given.get(member)
        unit: str = units.get(unit_member, unit_if_unset)
        # RefreshTokenValidity 0 means "the default", as Cognito documents.
        if not value:
            default_seconds = default[0] * UNIT_SECONDS[default[1]]
            if unit_member in units and default_seconds % UNIT_SECONDS[unit] == 0:
                value = default_seconds // UNIT_SECONDS[unit]
            else:
                value, unit = default
        seconds[kind] = value * UNIT_SECONDS[unit]
        if not low <= seconds[kind] <= high:
            raise InvalidParameterException(
                f"Invalid range for token validity: {member} {value} {unit} is outside "
                f"{_duration(low)} to {_duration(high)}."
            )
        fields[f"{kind}_token_validity"] = value
        fields[f"{kind}_token_unit"] = unit
    for kind in ("access", "id"):
        if seconds[kind] > seconds["refresh"]:
            raise InvalidParameterException(
                f"Invalid range for token validity: the {kind} token can't outlive the refresh "
                "token."
            )
    return fields


def _duration(seconds: int) -> str:
    for unit, size in (("days", 86_400), ("hours", 3_600), ("minutes", 60)):
        if seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} seconds"


def _attribute_fields(pool: UserPool, given: Mapping[str, Any], *, verb: str) -> dict[str, Any]:
    """Read/WriteAttributes name attributes of the pool's schema. Left out, they mean Cognito's
    defaults (every standard attribute), which the rows record as an empty list."""
    schema = [a for a in SchemaAttribute.objects.filter(pool=pool) if not a.developer_only]
    readable = {a.full_name for a in schema}
    # `sub` is generated, never written by a client.
    writable = readable - {"sub"}
    required = {a.full_name for a in schema if a.required} - {"sub"}

    read = _unique(given.get("ReadAttributes") or ())
    write = _unique(given.get("WriteAttributes") or ())
    if not readable.issuperset(read):
        raise InvalidParameterException(f"Invalid read attributes specified while {verb} a client")
    # Sign-up must be able to set the pool's required attributes, so a client's own write list has
    # to include them.
    if write and (not writable.issuperset(write) or not required.issubset(write)):
        raise InvalidParameterException(f"Invalid write attributes specified while {verb} a client")
    return {"read_attributes": read, "write_attributes": write}


def _oauth_fields(pool: UserPool, given: Mapping[str, Any], *, has_secret: bool) -> dict[str, Any]:
    enabled: bool = given.get("AllowedOAuthFlowsUserPoolClient", False)
    flows = _unique(given.get("AllowedOAuthFlows") or ())
    scopes = _unique(given.get("AllowedOAuthScopes") or ())
    callbacks = _unique(given.get("CallbackURLs") or ())
    logouts = _unique(given.get("LogoutURLs") or ())
    default_redirect: str = given.get("DefaultRedirectURI", "")
    providers = _unique(given.get("SupportedIdentityProviders") or ())

    if enabled and (not flows or not scopes):
        raise InvalidParameterException(
            "AllowedOAuthFlows and AllowedOAuthScopes are required if user pool client is "
            "allowed to use OAuth flows."
        )
    if "client_credentials" in flows:
        if len(flows) > 1:
            raise InvalidOAuthFlowException(
                "client_credentials flow can not be selected if authorization code or implicit "
                "flow is selected."
            )
        if not has_secret:
            raise InvalidOAuthFlowException(
                "client_credentials flow can not be selected if client does not have a client "
                "secret."
            )
        for scope in scopes:
            if scope in RESERVED_SCOPES:
                raise InvalidOAuthFlowException(
                    f"{scope} is not supported with client_credentials flow"
                )
    _check_scopes(pool, scopes)
    for member, urls in (("CallbackURLs", callbacks), ("LogoutURLs", logouts)):
        for url in urls:
            _check_redirect_url(url, member)
    if default_redirect and default_redirect not in callbacks:
        raise InvalidParameterException("DefaultRedirectURI must be one of the CallbackURLs.")
    _check_providers(pool, providers)
    return {
        "allowed_oauth_flows_user_pool_client": enabled,
        "allowed_oauth_flows": flows,
        "allowed_oauth_scopes": scopes,
        "callback_urls": callbacks,
        "logout_urls": logouts,
        "default_redirect_uri": default_redirect,
        "supported_identity_providers": providers,
    }


def _check_scopes(pool: UserPool, scopes: Iterable[str]) -> None:
    custom = resource_server_scope_names(pool=pool)
    for scope in scopes:
        if scope not in RESERVED_SCOPES and scope not in custom:
            raise ScopeDoesNotExistException(f"Invalid scope requested: {scope}")


def _check_redirect_url(url: str, member: str) -> None:
    """Absolute, no fragment, HTTPS except for localhost; app schemes (`myapp://cb`) are fine."""
    parts = url_split(url)
    problem = ""
    if parts is None:
        problem = "it is not a valid URI"
    elif not parts.scheme:
        problem = "it must be an absolute URI"
    elif "#" in url:
        problem = "it must not include a fragment"
    elif parts.scheme in {"http", "https"} and not parts.hostname:
        problem = "it has no host"
    elif parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        problem = "only https is allowed, except http://localhost"
    if problem:
        raise InvalidParameterException(f"Invalid {member} value {url}: {problem}.")


def _check_providers(pool: UserPool, providers: Iterable[str]) -> None:
    known = set(IdentityProvider.objects.filter(pool=pool).values_list("name", flat=True))
    for provider in providers:
        if provider != COGNITO_PROVIDER and provider not in known:
            raise InvalidParameterException(
                f"The provider {provider} does not exist for User Pool {pool.pool_id}"
            )
