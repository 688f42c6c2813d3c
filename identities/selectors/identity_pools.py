"""Identity pools and their identities: by id, by ARN, locked for a change, and in pages.

The getters are called from every door, some of which have checked nothing yet (a path of the
API, a Sync route): an id that cannot be one Cognito issued is not found without a query, so NUL
characters, lone surrogates and huge strings never reach the database.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.db.models import Prefetch, QuerySet

from cognitoadmin.awsmodel import model_validate
from cognitoadmin.errors import InvalidParameterException, ResourceNotFoundException
from cognitoadmin.ids import account_id
from cognitoadmin.regions import region_visible
from identities.models import Identity, IdentityLogin, IdentityPool
from pools.selectors.pages import keyset_page

# botocore's IdentityPoolId and IdentityId: `<region>:<uuid>`, at most 55 characters.
_ID = re.compile(r"[\w-]+:[0-9a-f-]+", re.ASCII)
_ID_MAX_LENGTH = 55
_PROVIDER_MAX_LENGTH = 128
_ARN_MAX_LENGTH = 2048
_ARN = re.compile(
    r"arn:aws:cognito-identity:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"identitypool/(?P<id>[\w-]+:[0-9a-f-]+)",
    re.ASCII,
)

IDENTITY_POOLS_PAGE_SCOPE = "identity_pools"


def _well_formed(value: object) -> bool:
    return isinstance(value, str) and len(value) <= _ID_MAX_LENGTH and bool(_ID.fullmatch(value))


def _shown(value: object, limit: int = _ID_MAX_LENGTH) -> str:
    """`value` as a message may quote it: printable, and no longer than the member may be."""
    text = "".join(c for c in str(value) if c.isprintable())
    return text if len(text) <= limit else f"{text[:limit]}..."


def identity_pool_get(*, identity_pool_id: str) -> IdentityPool:
    """The identity pool `identity_pool_id`; within a signed call, only if it is of the call's
    region."""
    pool = (
        IdentityPool.objects.filter(identity_pool_id=identity_pool_id).first()
        if _well_formed(identity_pool_id) and region_visible(identity_pool_id)
        else None
    )
    if pool is None:
        raise ResourceNotFoundException(f"IdentityPool '{_shown(identity_pool_id)}' not found.")
    return pool


def identity_pool_get_by_arn(*, arn: str) -> IdentityPool:
    """The pool a tagging call names by ARN. What is no identity pool ARN is a bad parameter; the
    ARN of no pool here (another account or region included) is not found."""
    match = _ARN.fullmatch(arn) if isinstance(arn, str) else None
    if match is None:
        raise InvalidParameterException(
            f"{_shown(arn, _ARN_MAX_LENGTH)} is not a valid identity pool ARN."
        )
    pool = identity_pool_get(identity_pool_id=match["id"])
    if match["account"] != account_id() or match["region"] != pool.region:
        raise ResourceNotFoundException(f"IdentityPool '{match['id']}' not found.")
    return pool


def identity_pool_locked(*, pool: IdentityPool) -> IdentityPool:
    """`pool` re-read under a row lock (inside a transaction): a change reads the pool's current
    providers and writes what depends on them, so two changes must not interleave."""
    return IdentityPool.objects.select_for_update().get(pk=pool.pk)


def _oidc_provider_name(arn: str) -> str:
    # A Logins map names an OpenID Connect provider by its issuer, the ARN's resource name.
    return arn.partition(":oidc-provider/")[2]


def identity_pool_provider_names(*, pool: IdentityPool) -> set[str]:
    """The providers whose tokens `pool` takes, named as Logins maps and principal tag maps name
    them. The developer provider is not one: its identities come with no provider token."""
    return {
        *pool.supported_login_providers,
        *(entry["ProviderName"] for entry in pool.cognito_identity_providers),
        *(_oidc_provider_name(arn) for arn in pool.open_id_connect_provider_arns),
        *pool.saml_provider_arns,
    }


def identity_pool_role_mapping_keys(*, pool: IdentityPool) -> set[str]:
    """The providers as role mappings name them: a user pool with its app client
    (`<provider name>:<client id>`), the others as Logins maps do."""
    return {
        *pool.supported_login_providers,
        *(
            f"{entry['ProviderName']}:{entry['ClientId']}"
            for entry in pool.cognito_identity_providers
        ),
        *(_oidc_provider_name(arn) for arn in pool.open_id_connect_provider_arns),
        *pool.saml_provider_arns,
    }


def identity_pool_provider_check(*, pool: IdentityPool, provider: str) -> None:
    """InvalidParameterException unless `provider` is one of `pool`'s (principal tag maps)."""
    if provider not in identity_pool_provider_names(pool=pool):
        raise InvalidParameterException(
            f"{_shown(provider, _PROVIDER_MAX_LENGTH)} is not a valid IdentityProviderName or "
            "is not a configured provider."
        )


def identity_pools_page(
    *, max_results: int, next_token: str | None, region: str | None = None
) -> tuple[list[IdentityPool], str | None]:
    """A page of the identity pools, of `region` only when given."""
    model_validate(
        "ListIdentityPools",
        {"MaxResults": max_results, "NextToken": next_token},
        service="cognito-identity",
    )
    pools = IdentityPool.objects.all()
    if region is not None:
        pools = pools.filter(region=region)
    return keyset_page(
        pools,
        limit=max_results,
        next_token=next_token,
        scope=IDENTITY_POOLS_PAGE_SCOPE,
    )


def _with_logins(identities: QuerySet[Identity]) -> QuerySet[Identity]:
    # The shapes list each identity's provider names: one query for the whole page.
    return identities.select_related("pool").prefetch_related(
        Prefetch("logins", queryset=IdentityLogin.objects.order_by("id"))
    )


def identity_get(*, identity_id: str, pool: IdentityPool | None = None) -> Identity:
    """The identity `identity_id`, with its logins; with `pool`, only one of that pool's (another
    pool's identity is not found there)."""
    identity = None
    if _well_formed(identity_id) and region_visible(identity_id):
        identities = Identity.objects.filter(identity_id=identity_id)
        if pool is not None:
            identities = identities.filter(pool=pool)
        identity = _with_logins(identities).first()
    if identity is None:
        raise ResourceNotFoundException(f"Identity '{_shown(identity_id)}' not found.")
    return identity


def identities_page(
    *,
    pool: IdentityPool,
    max_results: int,
    next_token: str | None,
    hide_disabled: bool = False,
) -> tuple[list[Identity], str | None]:
    """ListIdentities, in the order identities were made.

    This server disables no identity, so `hide_disabled` hides nothing.
    """
    model_validate(
        "ListIdentities",
        {
            "IdentityPoolId": pool.identity_pool_id,
            "MaxResults": max_results,
            "NextToken": next_token,
            "HideDisabled": hide_disabled,
        },
        service="cognito-identity",
    )
    return keyset_page(
        _with_logins(Identity.objects.filter(pool=pool)),
        limit=max_results,
        next_token=next_token,
        scope=f"identities:{pool.identity_pool_id}",
    )


def identity_pool_ids_of(*, identity_ids: Sequence[str]) -> set[str]:
    """The ids of the pools that the identities named exist in (unknown ids name none)."""
    known = [value for value in identity_ids if _well_formed(value) and region_visible(value)]
    return set(
        Identity.objects.filter(identity_id__in=known)
        .values_list("pool__identity_pool_id", flat=True)
        .distinct()
    )
