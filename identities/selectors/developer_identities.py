"""Developer users linked to identities (LookupDeveloperIdentity)."""

from __future__ import annotations

from cognitoadmin.errors import InvalidParameterException, ResourceNotFoundException
from identities.models import Identity, IdentityLogin, IdentityPool
from pools.selectors.pages import keyset_page


def developer_identity_lookup(
    *,
    pool: IdentityPool,
    identity: Identity | None,
    developer_user_identifier: str | None,
    limit: int,
    next_token: str | None,
) -> tuple[Identity, list[str], str | None]:
    """The identity of a developer user (or the one named), and a page of its developer user
    identifiers."""
    if identity is None and developer_user_identifier is None:
        raise InvalidParameterException(
            "Either IdentityId or DeveloperUserIdentifier must be provided."
        )
    logins = IdentityLogin.objects.filter(pool=pool, provider=pool.developer_provider_name)
    if developer_user_identifier is not None:
        owner = logins.select_related("identity").filter(subject=developer_user_identifier).first()
        if owner is None or not pool.developer_provider_name:
            raise ResourceNotFoundException(
                f"Developer user {developer_user_identifier} is not registered."
            )
        if identity is not None and owner.identity_id != identity.pk:
            raise ResourceNotFoundException(
                f"Developer user {developer_user_identifier} is not linked to "
                f"{identity.identity_id}."
            )
        identity = owner.identity
    assert identity is not None  # noqa: S101 (one of the two was given)
    rows, token = keyset_page(
        logins.filter(identity=identity),
        limit=limit,
        next_token=next_token,
        scope=f"developer-identities:{identity.identity_id}",
    )
    return identity, [row.subject for row in rows], token
