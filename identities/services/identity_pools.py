"""Identity pools: CreateIdentityPool, UpdateIdentityPool, DeleteIdentityPool,
SetIdentityPoolRoles, SetPrincipalTagAttributeMap, TagResource, UntagResource and
DeleteIdentities.

Settings arrive in the AWS request shape (PascalCase members). Each request is first checked
against botocore's `cognito-identity` input shape for its operation (types, lengths, patterns,
enums; unknown members dropped), so the rules written here are the ones the model cannot express.
Role ARNs are checked for their form only: a role that does not exist (yet) is found missing
when credentials are asked for, as in Cognito.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import regex
from django.db import IntegrityError, transaction

from cognitoadmin.awsmodel import model_validate
from cognitoadmin.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    ResourceConflictException,
)
from cognitoadmin.ids import account_id, identity_pool_arn
from cognitoadmin.regions import region_for_new, region_visible
from identities.models import Identity, IdentityPool
from identities.selectors.identity_pools import (
    identity_pool_locked,
    identity_pool_provider_check,
    identity_pool_provider_names,
    identity_pool_role_mapping_keys,
)
from identities.selectors.oidc_providers import oidc_provider_get_by_url, oidc_provider_url_of

SERVICE = "cognito-identity"
MAX_TAGS = 50
# Cognito's documented limit; the model allows 400.
MAX_RULES_PER_ROLE_MAPPING = 25
# Names Cognito's own providers start with (`cognito-identity.amazonaws.com` is the Logins key of
# its OpenID tokens): a developer provider named so would be mistaken for one of them.
RESERVED_DEVELOPER_PROVIDER_PREFIX = "cognito-"
# Deleting a pool deletes its identities this many at a time: the cascade to their logins (and
# whatever else hangs on an identity) loads each batch, never a million rows at once.
DELETE_BATCH_SIZE = 1_000

_USER_POOL_PROVIDER = re.compile(
    r"cognito-idp\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P=region)_[0-9a-zA-Z]+", re.ASCII
)
_OIDC_PROVIDER_ARN = re.compile(
    r"arn:aws:iam::(?P<account>\d{12}):oidc-provider/[\w.:/~%-]+", re.ASCII
)
_SAML_PROVIDER_ARN = re.compile(
    r"arn:aws:iam::(?P<account>\d{12}):saml-provider/[\w.-]{1,128}", re.ASCII
)
# IAM's role ARN: a path (`/`, or `/` ... `/` of printable ASCII) and a name.
_ROLE_ARN = re.compile(
    r"arn:aws:iam::(?P<account>\d{12}):role/(?:[\x21-\x7e]{0,510}/)?[\w+=,.@-]{1,64}", re.ASCII
)
# AWS's tag characters: letters, spaces and digits in any script, and `_.:/=+-@`.
_TAG_TEXT = regex.compile(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*")


def _as_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidParameterException(f"{what} must be an object.")
    return dict(value)


def _as_list(values: Any) -> Any:
    # A lone string is a Sequence too; leave it as is so that validation names it as not a list.
    return values if isinstance(values, str) else list(values)


def _arn(pool: IdentityPool) -> str:
    return identity_pool_arn(pool.identity_pool_id)


# ---------------------------------------------------------------------------------------------
# Settings shared by CreateIdentityPool and UpdateIdentityPool


def _user_pool_providers(entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    providers: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        name, client_id = entry.get("ProviderName"), entry.get("ClientId")
        if name is None or client_id is None:
            raise InvalidParameterException(
                "CognitoIdentityProviders: each provider needs a ProviderName and a ClientId."
            )
        if not _USER_POOL_PROVIDER.fullmatch(name):
            raise InvalidParameterException(
                f"CognitoIdentityProviders: {name} is not a user pool's provider name "
                "(cognito-idp.<region>.amazonaws.com/<user pool id>)."
            )
        if (name, client_id) in seen:
            raise InvalidParameterException(
                f"CognitoIdentityProviders names {name} with the client {client_id} twice."
            )
        seen.add((name, client_id))
        providers.append(
            {
                "ProviderName": name,
                "ClientId": client_id,
                "ServerSideTokenCheck": entry.get("ServerSideTokenCheck", False),
            }
        )
    return providers


def _iam_provider_arns(arns: Sequence[str], *, pattern: re.Pattern[str], member: str) -> list[str]:
    """IAM identity providers of this account, each once."""
    seen: set[str] = set()
    for arn in arns:
        match = pattern.fullmatch(arn)
        if match is None or match["account"] != account_id():
            raise InvalidParameterException(
                f"{member}: {arn} is not the ARN of an identity provider of account {account_id()}."
            )
        if arn in seen:
            raise InvalidParameterException(f"{member} names {arn} twice.")
        seen.add(arn)
    return list(arns)


def _oidc_providers(arns: list[str]) -> list[str]:
    """ARNs of IAM OpenID Connect providers that exist, as Cognito wants them."""
    for arn in arns:
        url = oidc_provider_url_of(arn)
        if url is None or oidc_provider_get_by_url(url=url) is None:
            raise InvalidParameterException(
                f"OpenIdConnectProviderARNs: {arn} is not an OpenID Connect provider of IAM "
                "(CreateOpenIDConnectProvider)."
            )
    return arns


def _check_tag_text(key: str, value: str, *, what: str) -> None:
    if key.lower().startswith("aws:"):
        raise InvalidParameterException(
            f"{what} keys starting with 'aws:' are reserved for AWS use."
        )
    if not (_TAG_TEXT.fullmatch(key) and _TAG_TEXT.fullmatch(value)):
        raise InvalidParameterException(
            f"{what} {key!r}: keys and values may hold letters, digits, spaces and _.:/=+-@ only."
        )


def _tags(tags: Mapping[str, str]) -> dict[str, str]:
    if len(tags) > MAX_TAGS:
        raise InvalidParameterException(f"An identity pool can have at most {MAX_TAGS} tags.")
    for key, value in tags.items():
        _check_tag_text(key, value, what="Tag")
    return dict(tags)


def _settings_fields(checked: Mapping[str, Any]) -> dict[str, Any]:
    """Model fields for the members CreateIdentityPool and UpdateIdentityPool share; an absent
    member takes Cognito's default."""
    return {
        "name": checked["IdentityPoolName"],
        "allow_unauthenticated": checked["AllowUnauthenticatedIdentities"],
        "allow_classic_flow": checked.get("AllowClassicFlow", False),
        "supported_login_providers": dict(checked.get("SupportedLoginProviders", {})),
        "cognito_identity_providers": _user_pool_providers(
            checked.get("CognitoIdentityProviders", [])
        ),
        "open_id_connect_provider_arns": _oidc_providers(
            _iam_provider_arns(
                checked.get("OpenIdConnectProviderARNs", []),
                pattern=_OIDC_PROVIDER_ARN,
                member="OpenIdConnectProviderARNs",
            )
        ),
        "saml_provider_arns": _iam_provider_arns(
            checked.get("SamlProviderARNs", []),
            pattern=_SAML_PROVIDER_ARN,
            member="SamlProviderARNs",
        ),
    }


def _check_developer_provider(pool: IdentityPool) -> None:
    name = pool.developer_provider_name
    if not name:
        return
    if name.lower().startswith(RESERVED_DEVELOPER_PROVIDER_PREFIX):
        raise InvalidParameterException(
            f"DeveloperProviderName must not start with '{RESERVED_DEVELOPER_PROVIDER_PREFIX}': "
            "such names are Cognito's own providers."
        )
    if name in identity_pool_provider_names(pool=pool):
        raise InvalidParameterException(
            f"DeveloperProviderName {name} is also one of the pool's login providers."
        )
    taken = IdentityPool.objects.filter(region=pool.region, developer_provider_name=name)
    if taken.exclude(pk=pool.pk).exists():
        raise _developer_provider_taken(name)


def _developer_provider_taken(name: str) -> ResourceConflictException:
    return ResourceConflictException(
        f"DeveloperProviderName {name} is already used by another identity pool."
    )


def _save(pool: IdentityPool) -> None:
    try:
        with transaction.atomic():
            pool.save()
    except IntegrityError:
        # Another pool took the developer provider name since `_check_developer_provider` looked.
        raise _developer_provider_taken(pool.developer_provider_name) from None


# ---------------------------------------------------------------------------------------------
# Services


@transaction.atomic
def identity_pool_create(*, settings: Mapping[str, Any], region: str | None = None) -> IdentityPool:
    """CreateIdentityPool: `settings` are its members (IdentityPoolName included). The pool is
    made in `region` when given, else in the call's (`cognitoadmin.regions`)."""
    checked = model_validate("CreateIdentityPool", _as_dict(settings, "settings"), service=SERVICE)
    pool_region = region_for_new(region)
    pool = IdentityPool(
        identity_pool_id=f"{pool_region}:{uuid.uuid4()}",
        region=pool_region,
        developer_provider_name=checked.get("DeveloperProviderName", ""),
        tags=_tags(checked.get("IdentityPoolTags", {})),
        **_settings_fields(checked),
    )
    _check_developer_provider(pool)
    _save(pool)
    return pool


@transaction.atomic
def identity_pool_update(*, pool: IdentityPool, settings: Mapping[str, Any]) -> IdentityPool:
    """UpdateIdentityPool: the pool's settings are replaced, and a member not given returns to
    its default, as in Cognito. Two members keep their value when absent: DeveloperProviderName
    (once set it never changes) and IdentityPoolTags (tags have their own operations).

    Role mappings and principal tag maps of providers the pool no longer has are dropped: they
    could never apply again.
    """
    checked = model_validate(
        "UpdateIdentityPool",
        {**_as_dict(settings, "settings"), "IdentityPoolId": pool.identity_pool_id},
        service=SERVICE,
    )
    pool = identity_pool_locked(pool=pool)
    developer = checked.get("DeveloperProviderName")
    if developer is not None and pool.developer_provider_name not in ("", developer):
        raise InvalidParameterException(
            f"DeveloperProviderName cannot be changed once it is set (it is "
            f"{pool.developer_provider_name})."
        )
    for field, value in _settings_fields(checked).items():
        setattr(pool, field, value)
    if developer is not None:
        pool.developer_provider_name = developer
    if "IdentityPoolTags" in checked:
        pool.tags = _tags(checked["IdentityPoolTags"])
    _check_developer_provider(pool)
    mapping_keys = identity_pool_role_mapping_keys(pool=pool)
    pool.role_mappings = {k: v for k, v in pool.role_mappings.items() if k in mapping_keys}
    providers = identity_pool_provider_names(pool=pool)
    pool.principal_tag_maps = {k: v for k, v in pool.principal_tag_maps.items() if k in providers}
    _save(pool)
    return pool


@transaction.atomic
def identity_pool_delete(*, pool: IdentityPool) -> None:
    """DeleteIdentityPool: the pool, its identities and their logins."""
    identities = Identity.objects.filter(pool=pool).order_by()
    while batch := list(identities.values_list("pk", flat=True)[:DELETE_BATCH_SIZE]):
        Identity.objects.filter(pk__in=batch).delete()
    pool.delete()


def _check_role_arn(arn: str) -> None:
    # Cognito's answer for an ARN that names no role it may pass: one of another account, or
    # no role ARN at all.
    match = _ROLE_ARN.fullmatch(arn)
    if match is None or match["account"] != account_id():
        raise NotAuthorizedException(f"Access to Role '{arn}' is forbidden.")


def _check_role_mapping(provider: str, mapping: Mapping[str, Any]) -> None:
    kind = mapping["Type"]
    if "AmbiguousRoleResolution" not in mapping:
        raise InvalidParameterException(
            f"RoleMappings.{provider}: AmbiguousRoleResolution is required for a role mapping "
            f"of Type {kind}."
        )
    rules = mapping.get("RulesConfiguration", {}).get("Rules", [])
    if kind == "Rules" and not rules:
        raise InvalidParameterException(
            f"RoleMappings.{provider}: RulesConfiguration is required for a role mapping of "
            "Type Rules."
        )
    if len(rules) > MAX_RULES_PER_ROLE_MAPPING:
        raise InvalidParameterException(
            f"RoleMappings.{provider}: a role mapping can have at most "
            f"{MAX_RULES_PER_ROLE_MAPPING} rules."
        )
    for rule in rules:
        _check_role_arn(rule["RoleARN"])


@transaction.atomic
def identity_pool_set_roles(
    *,
    pool: IdentityPool,
    roles: Mapping[str, str],
    role_mappings: Mapping[str, Any] | None = None,
) -> IdentityPool:
    """SetIdentityPoolRoles: `roles` (`authenticated`, `unauthenticated`) and `role_mappings`
    replace the pool's; a role or mapping left out is removed."""
    checked = model_validate(
        "SetIdentityPoolRoles",
        {
            "IdentityPoolId": pool.identity_pool_id,
            "Roles": _as_dict(roles, "Roles"),
            "RoleMappings": None
            if role_mappings is None
            else _as_dict(role_mappings, "RoleMappings"),
        },
        service=SERVICE,
    )
    pool = identity_pool_locked(pool=pool)
    for arn in checked["Roles"].values():
        _check_role_arn(arn)
    mappings: dict[str, Any] = checked.get("RoleMappings", {})
    known = identity_pool_role_mapping_keys(pool=pool)
    for provider, mapping in mappings.items():
        if provider not in known:
            raise InvalidParameterException(
                f"{provider} is not a valid RoleMapping ProviderName or is not a configured "
                "provider."
            )
        _check_role_mapping(provider, mapping)
    pool.authenticated_role_arn = checked["Roles"].get("authenticated", "")
    pool.unauthenticated_role_arn = checked["Roles"].get("unauthenticated", "")
    pool.role_mappings = mappings
    pool.save(update_fields=["authenticated_role_arn", "unauthenticated_role_arn", "role_mappings"])
    return pool


@transaction.atomic
def identity_pool_set_principal_tag_map(
    *,
    pool: IdentityPool,
    provider: str,
    use_defaults: bool | None = None,
    principal_tags: Mapping[str, str] | None = None,
) -> IdentityPool:
    """SetPrincipalTagAttributeMap: which claims of `provider`'s tokens become principal tags
    (`principal_tags`: tag -> claim), and whether the provider's default tags apply too. A map
    that uses no defaults and maps nothing is removed."""
    checked = model_validate(
        "SetPrincipalTagAttributeMap",
        {
            "IdentityPoolId": pool.identity_pool_id,
            "IdentityProviderName": provider,
            "UseDefaults": use_defaults,
            "PrincipalTags": None
            if principal_tags is None
            else _as_dict(principal_tags, "PrincipalTags"),
        },
        service=SERVICE,
    )
    pool = identity_pool_locked(pool=pool)
    identity_pool_provider_check(pool=pool, provider=provider)
    tags: dict[str, str] = checked.get("PrincipalTags", {})
    for tag, claim in tags.items():
        _check_tag_text(tag, claim, what="Principal tag")
    maps = dict(pool.principal_tag_maps)
    defaults = checked.get("UseDefaults", False)
    if defaults or tags:
        maps[provider] = {"UseDefaults": defaults, "PrincipalTags": tags}
    else:
        maps.pop(provider, None)
    pool.principal_tag_maps = maps
    pool.save(update_fields=["principal_tag_maps"])
    return pool


@transaction.atomic
def identity_pool_tag(*, pool: IdentityPool, tags: Mapping[str, str]) -> IdentityPool:
    """TagResource: `tags` are added to the pool's, replacing the values of keys it has."""
    checked = model_validate(
        "TagResource", {"ResourceArn": _arn(pool), "Tags": _as_dict(tags, "Tags")}, service=SERVICE
    )
    pool = identity_pool_locked(pool=pool)
    pool.tags = _tags({**pool.tags, **checked["Tags"]})
    pool.save(update_fields=["tags"])
    return pool


@transaction.atomic
def identity_pool_untag(*, pool: IdentityPool, keys: Sequence[str]) -> IdentityPool:
    """UntagResource: keys the pool does not have are no error."""
    checked = model_validate(
        "UntagResource", {"ResourceArn": _arn(pool), "TagKeys": _as_list(keys)}, service=SERVICE
    )
    pool = identity_pool_locked(pool=pool)
    removed = set(checked["TagKeys"])
    pool.tags = {key: value for key, value in pool.tags.items() if key not in removed}
    pool.save(update_fields=["tags"])
    return pool


@transaction.atomic
def identities_delete(*, identity_ids: Sequence[str]) -> None:
    """DeleteIdentities: the identities named, with their logins. Cognito reports an id that
    names no identity nowhere (not as unprocessed): there is nothing left to delete."""
    checked = model_validate(
        "DeleteIdentities", {"IdentityIdsToDelete": _as_list(identity_ids)}, service=SERVICE
    )
    # Another region's identities are not there for the call to see, so not there to delete.
    visible = [value for value in checked["IdentityIdsToDelete"] if region_visible(value)]
    Identity.objects.filter(identity_id__in=visible).delete()
