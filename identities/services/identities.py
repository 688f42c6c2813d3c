"""Identities of an identity pool: found or made from logins, linked, merged, given credentials.

Cognito's rules, as its documentation gives them:
- GetId without logins makes a new unauthenticated identity, if the pool allows them; with logins
  it finds the identity they are linked to, or makes one and links them.
- Credentials or an OpenID token for an identity that has logins need one of them in the call;
  logins not yet linked are linked then, so an anonymous identity that logs in keeps its id.
- A login already linked to another identity merges the two: the identity named in the call
  survives, unless it is unauthenticated, in which case it merges into the authenticated one.
  The merged identity's logins (and its sync datasets, through the hooks other apps register)
  move over, and the merged identity is gone.
- The role: an unauthenticated identity gets the pool's unauthenticated role; an authenticated
  one the role its provider's role mapping chooses (Token: the ID token's
  `cognito:preferred_role`, or CustomRoleArn among its `cognito:roles`; Rules: the first rule
  whose claim matches), else, when the mapping says AuthenticatedRole or there is none, the pool's
  authenticated role. The role must exist and its trust policy must let
  `cognito-identity.amazonaws.com` assume it for this pool and this kind of sign-in.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q

from cognitoadmin.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from cognitoadmin.ids import account_id as our_account
from identities.errors import (
    DeveloperUserAlreadyRegisteredException,
    InvalidIdentityPoolConfigurationException,
    NoSuchEntityException,
)
from identities.models import Identity, IdentityLogin, IdentityPool, Role
from identities.selectors.roles import role_get_by_arn
from identities.services.credentials import SessionCredentials, credentials_issue
from identities.services.logins import VerifiedLogin, logins_verify
from identities.services.openid import (
    DEFAULT_DURATION_SECONDS,
    openid_token_issue,
)
from identities.services.openid import (
    PROVIDER as OPENID_PROVIDER,
)
from identities.services.policies import trust_policy_allows
from identities.services.roles import role_trust_policy

UNAUTHENTICATED_FORBIDDEN = "Unauthenticated access is not supported for this identity pool."
LOGINS_MISMATCH = (
    "Logins don't match. Please include at least one valid login for this identity or identity "
    "pool."
)
_BAD_ROLES = "Invalid identity pool configuration. Check assigned IAM roles for this pool."
_AMBIGUOUS_DENIED = "Role resolution is ambiguous and the identity pool's role mapping denies it."


def _new_identity(pool: IdentityPool) -> Identity:
    return Identity.objects.create(identity_id=f"{pool.region}:{uuid.uuid4()}", pool=pool)


def _lock(pool: IdentityPool) -> None:
    # Linking and merging read then write the logins of several identities of one pool: one at
    # a time per pool, so two first sign-ins of one user cannot make two identities.
    IdentityPool.objects.select_for_update().filter(pk=pool.pk).first()


def _linked(pool: IdentityPool, logins: Sequence[VerifiedLogin]) -> list[Identity]:
    """The identities `logins` belong to, oldest first."""
    match = Q(pk__in=[])
    for login in logins:
        if login.identity_id is not None:
            match |= Q(identity_id=login.identity_id)
        else:
            match |= Q(logins__provider=login.provider, logins__subject=login.subject)
    return list(Identity.objects.filter(match, pool=pool).distinct().order_by("created_at", "id"))


# What other apps keep per identity and move on a merge (sync's datasets), as they register it.
MergeHook = Callable[[Identity, Identity], None]
_merge_hooks: list[MergeHook] = []


def identity_merge_hook_register(hook: MergeHook) -> None:
    """Have `hook(survivor, merged)` run in every merge, before the merged identity is gone."""
    _merge_hooks.append(hook)


def _merge(survivor: Identity, merged: Iterable[Identity]) -> None:
    for other in merged:
        if other.pk == survivor.pk:
            continue
        IdentityLogin.objects.filter(identity=other).update(identity=survivor)
        for hook in _merge_hooks:
            hook(survivor, other)
        other.delete()


def _link(identity: Identity, logins: Sequence[VerifiedLogin]) -> None:
    for login in logins:
        if login.identity_id is not None:
            continue  # an OpenID token names its identity: it is no login to link
        IdentityLogin.objects.get_or_create(
            pool=identity.pool,
            provider=login.provider,
            subject=login.subject,
            defaults={"identity": identity},
        )
    identity.save(update_fields=["updated_at"])


def _settle(
    pool: IdentityPool, logins: Sequence[VerifiedLogin], named: Identity | None
) -> Identity:
    """The identity that `logins` (and the identity a call names) settle on, linked and merged
    as Cognito does; runs under the pool's lock."""
    if named is not None:
        linked_here = named.logins.exists()
        if not logins:
            if linked_here:
                raise NotAuthorizedException(LOGINS_MISMATCH)
            if not pool.allow_unauthenticated:
                raise NotAuthorizedException(UNAUTHENTICATED_FORBIDDEN)
            return named
        owners = _linked(pool, logins)
        if linked_here and named not in owners:
            raise NotAuthorizedException(LOGINS_MISMATCH)
        others = [owner for owner in owners if owner.pk != named.pk]
        survivor = named if linked_here or not others else others[0]
        _merge(survivor, [named, *others])
        _link(survivor, logins)
        return survivor
    if not logins:
        if not pool.allow_unauthenticated:
            raise NotAuthorizedException(UNAUTHENTICATED_FORBIDDEN)
        return _new_identity(pool)
    owners = _linked(pool, logins)
    survivor = owners[0] if owners else _new_identity(pool)
    _merge(survivor, owners)
    _link(survivor, logins)
    return survivor


def _amr(logins: Sequence[VerifiedLogin]) -> list[str]:
    if not logins:
        return ["unauthenticated"]
    methods = ["authenticated"]
    for login in logins:
        methods.extend(login.amr if login.identity_id is not None else [login.provider])
    return list(dict.fromkeys(methods))


def _check_account(account_id: str | None) -> None:
    if account_id is not None and account_id != our_account():
        raise NotAuthorizedException(f"Account {account_id} does not own this identity pool.")


def identity_get_id(
    *, pool: IdentityPool, logins: Mapping[str, str], account_id: str | None = None
) -> Identity:
    """GetId: the identity of `logins`, made if new; a new unauthenticated one without logins."""
    _check_account(account_id)
    verified = logins_verify(pool=pool, logins=logins)
    with transaction.atomic():
        _lock(pool)
        return _settle(pool, verified, None)


def _named(pool: IdentityPool, identity: Identity) -> Identity:
    # Read again under the lock: it may have been merged away since the caller loaded it.
    found = Identity.objects.filter(pk=identity.pk, pool=pool).first()
    if found is None:
        raise ResourceNotFoundException(f"Identity '{identity.identity_id}' not found.")
    return found


def _claims_match(value: Any, match_type: str, expected: str) -> bool:
    texts = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if match_type == "Equals":
        return expected in texts
    if match_type == "NotEqual":
        return expected not in texts
    if match_type == "Contains":
        return any(expected in text for text in texts)
    return any(text.startswith(expected) for text in texts)  # StartsWith


def _mapped_role(
    mapping: Mapping[str, Any], login: VerifiedLogin, custom_role_arn: str | None
) -> str | None:
    """The role a provider's mapping chooses, or None when it is ambiguous."""
    if mapping.get("Type") == "Token":
        roles = login.claims.get("cognito:roles") or []
        roles = roles if isinstance(roles, list) else [roles]
        if custom_role_arn is not None:
            if custom_role_arn not in roles:
                raise NotAuthorizedException(
                    f"CustomRoleArn {custom_role_arn} is not among the token's cognito:roles."
                )
            return custom_role_arn
        preferred = login.claims.get("cognito:preferred_role")
        return str(preferred) if preferred else None
    for rule in (mapping.get("RulesConfiguration") or {}).get("Rules", []):
        claim = login.claims.get(rule.get("Claim", ""))
        if claim is not None and _claims_match(claim, rule.get("MatchType", ""), rule["Value"]):
            return str(rule["RoleARN"])
    return None


def _mapping_key(login: VerifiedLogin) -> str:
    # Role mappings name a user pool with its app client, as Cognito's do.
    if login.provider.startswith("cognito-idp."):
        return f"{login.provider}:{login.claims.get('aud', '')}"
    return login.provider


def _role_arn_for(
    pool: IdentityPool, logins: Sequence[VerifiedLogin], custom_role_arn: str | None
) -> str:
    if not logins:
        return pool.unauthenticated_role_arn
    for login in logins:
        mapping = pool.role_mappings.get(_mapping_key(login))
        if mapping is None:
            continue
        chosen = _mapped_role(mapping, login, custom_role_arn)
        if chosen is not None:
            return chosen
        if mapping.get("AmbiguousRoleResolution") == "Deny":
            raise NotAuthorizedException(_AMBIGUOUS_DENIED)
        return pool.authenticated_role_arn
    if custom_role_arn is not None and custom_role_arn != pool.authenticated_role_arn:
        raise NotAuthorizedException(
            f"CustomRoleArn {custom_role_arn} is not a role of this identity pool's logins."
        )
    return pool.authenticated_role_arn


# What `UseDefaults` maps, as Cognito does: the user pool's username and app client.
_DEFAULT_PRINCIPAL_TAGS = {"username": "sub", "client": "aud"}


def _principal_tags(pool: IdentityPool, logins: Sequence[VerifiedLogin]) -> dict[str, str]:
    """The session tags of a sign-in: the claims that the pool's principal tag map of the
    login's provider names (attributes for access control)."""
    for login in logins:
        entry = pool.principal_tag_maps.get(login.provider)
        if not entry:
            continue
        mapping = dict(_DEFAULT_PRINCIPAL_TAGS) if entry.get("UseDefaults") else {}
        mapping.update(entry.get("PrincipalTags") or {})
        return {
            tag: str(login.claims[claim])
            for tag, claim in mapping.items()
            if isinstance(login.claims.get(claim), str | int)
        }
    return {}


def _assumable(
    pool: IdentityPool,
    identity: Identity,
    arn: str,
    amr: Sequence[str],
    tags: Mapping[str, str],
) -> Role:
    if not arn:
        raise InvalidIdentityPoolConfigurationException(_BAD_ROLES)
    try:
        role = role_get_by_arn(arn=arn)
    except NoSuchEntityException:
        raise InvalidIdentityPoolConfigurationException(_BAD_ROLES) from None
    context = {
        "cognito-identity.amazonaws.com:aud": pool.identity_pool_id,
        "cognito-identity.amazonaws.com:sub": identity.identity_id,
        "cognito-identity.amazonaws.com:amr": list(amr),
    }
    trust = role_trust_policy(role=role)
    if not trust_policy_allows(policy=trust, principal_federated=OPENID_PROVIDER, context=context):
        raise InvalidIdentityPoolConfigurationException(_BAD_ROLES)
    # Principal tags become session tags, which the role must also trust the pool to set.
    if tags and not trust_policy_allows(
        policy=trust,
        principal_federated=OPENID_PROVIDER,
        action="sts:TagSession",
        context=context,
    ):
        raise InvalidIdentityPoolConfigurationException(_BAD_ROLES)
    return role


def identity_credentials(
    *, identity: Identity, logins: Mapping[str, str], custom_role_arn: str | None = None
) -> tuple[Identity, SessionCredentials, str]:
    """GetCredentialsForIdentity: the identity (after linking and merging), its temporary
    credentials and their session token."""
    pool = identity.pool
    verified = logins_verify(pool=pool, logins=logins)
    with transaction.atomic():
        _lock(pool)
        survivor = _settle(pool, verified, _named(pool, identity))
    amr = _amr(verified)
    tags = _principal_tags(pool, verified)
    role = _assumable(pool, survivor, _role_arn_for(pool, verified, custom_role_arn), amr, tags)
    credentials, token = credentials_issue(identity=survivor, role=role, amr=amr, tags=tags)
    return survivor, credentials, token


def identity_openid_token(*, identity: Identity, logins: Mapping[str, str]) -> tuple[Identity, str]:
    """GetOpenIdToken (the classic flow): the identity and an OpenID token for it."""
    pool = identity.pool
    if not pool.allow_classic_flow:
        raise InvalidParameterException(
            "Basic (classic) flow is not enabled, please use enhanced flow."
        )
    verified = logins_verify(pool=pool, logins=logins)
    with transaction.atomic():
        _lock(pool)
        survivor = _settle(pool, verified, _named(pool, identity))
    token = openid_token_issue(
        identity_id=survivor.identity_id, identity_pool_id=pool.identity_pool_id, amr=_amr(verified)
    )
    return survivor, token


def _developer_login(pool: IdentityPool, logins: Mapping[str, str]) -> VerifiedLogin:
    if not pool.developer_provider_name or pool.developer_provider_name not in logins:
        raise InvalidParameterException(
            "Logins must name the identity pool's developer provider "
            f"({pool.developer_provider_name or 'none is set'})."
        )
    return VerifiedLogin(
        provider=pool.developer_provider_name, subject=logins[pool.developer_provider_name]
    )


def identity_developer_openid_token(
    *,
    pool: IdentityPool,
    identity: Identity | None,
    logins: Mapping[str, str],
    duration_seconds: int | None = None,
) -> tuple[Identity, str]:
    """GetOpenIdTokenForDeveloperIdentity: the developer's user (trusted: the call is signed)
    gets an identity, or is linked to `identity`; other logins in the map are checked."""
    developer = _developer_login(pool, logins)
    others = {name: token for name, token in logins.items() if name != developer.provider}
    verified = [developer, *logins_verify(pool=pool, logins=others)]
    with transaction.atomic():
        _lock(pool)
        owner = IdentityLogin.objects.filter(
            pool=pool, provider=developer.provider, subject=developer.subject
        ).first()
        named = _named(pool, identity) if identity is not None else None
        if named is not None and owner is not None and owner.identity_id != named.pk:
            raise DeveloperUserAlreadyRegisteredException(
                "The provided developer user identifier is already registered with Cognito "
                "under a different identity ID."
            )
        if named is not None and owner is None:
            # The developer's signed call vouches for the identity it names: its user is
            # linked there before the other logins are settled.
            _link(named, [developer])
        survivor = _settle(pool, verified, named)
    token = openid_token_issue(
        identity_id=survivor.identity_id,
        identity_pool_id=pool.identity_pool_id,
        amr=_amr(verified),
        duration_seconds=duration_seconds or DEFAULT_DURATION_SECONDS,
    )
    return survivor, token


def developer_identities_merge(
    *, pool: IdentityPool, provider_name: str, source: str, destination: str
) -> Identity:
    """MergeDeveloperIdentities: the source user's identity merges into the destination's."""
    if provider_name != pool.developer_provider_name or not provider_name:
        raise ResourceNotFoundException(
            f"Developer provider {provider_name} is not the identity pool's."
        )
    with transaction.atomic():
        _lock(pool)
        found = {
            login.subject: login.identity
            for login in IdentityLogin.objects.select_related("identity").filter(
                pool=pool, provider=provider_name, subject__in=[source, destination]
            )
        }
        if source not in found or destination not in found:
            missing = source if source not in found else destination
            raise ResourceNotFoundException(f"Developer user {missing} is not registered.")
        survivor = found[destination]
        _merge(survivor, [found[source]])
        survivor.save(update_fields=["updated_at"])
        return survivor


def developer_identity_unlink(
    *, identity: Identity, provider_name: str, developer_user_identifier: str
) -> None:
    """UnlinkDeveloperIdentity: the developer's user is no longer linked to `identity`."""
    pool = identity.pool
    if provider_name != pool.developer_provider_name or not provider_name:
        raise ResourceNotFoundException(
            f"Developer provider {provider_name} is not the identity pool's."
        )
    with transaction.atomic():
        deleted, _ = IdentityLogin.objects.filter(
            identity=identity, provider=provider_name, subject=developer_user_identifier
        ).delete()
        if not deleted:
            raise ResourceNotFoundException(
                f"Developer user {developer_user_identifier} is not linked to this identity."
            )
        identity.save(update_fields=["updated_at"])


def identity_unlink(
    *, identity: Identity, logins: Mapping[str, str], logins_to_remove: Sequence[str]
) -> None:
    """UnlinkIdentity: with valid logins of the identity, remove the links of some providers."""
    pool = identity.pool
    verified = logins_verify(pool=pool, logins=logins)
    if not verified:
        raise NotAuthorizedException(LOGINS_MISMATCH)
    with transaction.atomic():
        _lock(pool)
        named = _named(pool, identity)
        if named not in _linked(pool, verified):
            raise NotAuthorizedException(LOGINS_MISMATCH)
        unknown = set(logins_to_remove) - set(named.logins.values_list("provider", flat=True))
        if unknown:
            raise ResourceConflictException(
                f"Logins to remove are not linked to this identity: {', '.join(sorted(unknown))}."
            )
        IdentityLogin.objects.filter(identity=named, provider__in=logins_to_remove).delete()
        named.save(update_fields=["updated_at"])
