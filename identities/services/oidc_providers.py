"""IAM OpenID Connect providers: the outside issuers whose ID tokens identity pools accept.

Every operation is IAM's (CreateOpenIDConnectProvider, AddClientIDToOpenIDConnectProvider, ...),
with IAM's rules, quotas and messages, whichever door calls it. IAM keeps a provider's URL without
its scheme (`accounts.example.com`, `idp.example.com/realms/app`); that is also its name in an
identity pool's Logins maps, and `https://` + it is the issuer its tokens must carry.

One departure from IAM: besides `https://`, a URL may be `http://` when its host is a loopback
address (`127.0.0.1`, `localhost`, `[::1]`), so that a provider on the same machine (tests, a
local IdP during development) can be used. Such a provider's documents are fetched over http.

Thumbprints are kept and returned as IAM does, and not used: IAM itself no longer uses them for
the well-known providers, and this server checks tokens against the issuer's published keys
fetched over verified TLS.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone

from cognitoadmin.awsmodel import model_validate
from cognitoadmin.errors import LimitExceededException
from identities.errors import (
    EntityAlreadyExistsException,
    InvalidInputException,
    NoSuchEntityException,
)
from identities.models import OpenIdConnectProvider
from identities.services.iam import (
    Tags,
    tags_checked,
    tags_merged,
    tags_removed,
    unsupported,
)

# IAM's quotas.
MAX_PROVIDERS = 100  # OpenIdConnectProvidersPerAccount
MAX_CLIENT_IDS = 100  # client IDs per provider
MAX_THUMBPRINTS = 5
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

_THUMBPRINT = re.compile(r"[0-9a-fA-F]{40}")


def oidc_provider_issuer(url: str) -> str:
    """The issuer of the provider IAM keeps as `url`: `https://<url>`, or `http://` for a
    loopback host (this server's one departure from IAM, for local providers)."""
    host = urlsplit(f"//{url}").hostname or ""
    return f"{'http' if host in LOOPBACK_HOSTS else 'https'}://{url}"


def _url_checked(url: str) -> str:
    """The URL without its scheme, as IAM keeps it; InvalidInputException for anything else."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        # A port that is not one raises ValueError; an empty one or 0 names no server either.
        if parts.port == 0 or parts.netloc.endswith(":"):
            host = ""
    except ValueError:  # an unclosed IPv6 literal, a port out of range
        raise InvalidInputException(f"Invalid URL {url}: it must name a host.") from None
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        raise InvalidInputException(
            "Invalid URL: the url must begin with https:// (http:// only for a loopback host: "
            "127.0.0.1, localhost or [::1])."
        )
    if parts.scheme not in {"https", "http"}:
        raise InvalidInputException("Invalid URL: the url must begin with https://.")
    if not host or parts.username is not None or parts.password is not None:
        raise InvalidInputException(f"Invalid URL {url}: it must name a host, without user info.")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise InvalidInputException(f"Invalid URL {url}: it must not have a query or a fragment.")
    if any(char.isspace() for char in url):
        raise InvalidInputException(f"Invalid URL {url}: it must not hold white space.")
    return url.split("://", 1)[1]


def _client_ids_checked(client_ids: Sequence[str]) -> list[str]:
    unique = list(dict.fromkeys(client_ids))
    if len(unique) > MAX_CLIENT_IDS:
        raise LimitExceededException(
            f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}"
        )
    return unique


def _thumbprints_checked(thumbprints: Sequence[str]) -> list[str]:
    for thumbprint in thumbprints:
        if not _THUMBPRINT.fullmatch(thumbprint):
            raise InvalidInputException(
                f"Thumbprint {thumbprint} is invalid: a thumbprint is 40 hexadecimal characters."
            )
    unique = list(dict.fromkeys(thumbprint.lower() for thumbprint in thumbprints))
    if len(unique) > MAX_THUMBPRINTS:
        raise LimitExceededException(
            f"Cannot exceed quota for ThumbprintsPerOpenIdConnectProvider: {MAX_THUMBPRINTS}"
        )
    return unique


def _locked(provider: OpenIdConnectProvider) -> OpenIdConnectProvider:
    try:
        return OpenIdConnectProvider.objects.select_for_update().get(pk=provider.pk)
    except OpenIdConnectProvider.DoesNotExist:
        # Deleted since the caller read it.
        raise NoSuchEntityException(
            f"OpenIDConnect Provider not found for arn {provider.arn}"
        ) from None


@transaction.atomic
def oidc_provider_create(
    *,
    url: str,
    client_ids: Sequence[str] = (),
    thumbprints: Sequence[str] = (),
    tags: Tags = (),
    context_provider: object = None,
    identity_center_instance_arn: str | None = None,
) -> OpenIdConnectProvider:
    """CreateOpenIDConnectProvider. Identity Center's members are refused: this server has no
    Identity Center."""
    model_validate(
        "CreateOpenIDConnectProvider",
        {
            "Url": url,
            "ClientIDList": list(client_ids) or None,
            "ThumbprintList": list(thumbprints) or None,
            "Tags": list(tags) or None,
        },
        service="iam",
    )
    unsupported(
        ContextProvider=context_provider, IdentityCenterInstanceArn=identity_center_instance_arn
    )
    stored_url = _url_checked(url)
    checked_client_ids = _client_ids_checked(client_ids)
    checked_thumbprints = _thumbprints_checked(thumbprints)
    checked_tags = tags_checked(tags)
    exists = f"Provider with url {url} already exists."
    if OpenIdConnectProvider.objects.filter(url=stored_url).exists():
        raise EntityAlreadyExistsException(exists)
    if OpenIdConnectProvider.objects.count() >= MAX_PROVIDERS:
        raise LimitExceededException(
            f"Cannot exceed quota for OpenIdConnectProvidersPerAccount: {MAX_PROVIDERS}"
        )
    try:
        with transaction.atomic():
            return OpenIdConnectProvider.objects.create(
                url=stored_url,
                client_id_list=checked_client_ids,
                thumbprint_list=checked_thumbprints,
                tags=checked_tags,
                created_at=timezone.now(),
            )
    except IntegrityError:
        # Created meanwhile by a concurrent call.
        raise EntityAlreadyExistsException(exists) from None


@transaction.atomic
def oidc_provider_delete(*, provider: OpenIdConnectProvider) -> None:
    """DeleteOpenIDConnectProvider. Identity pools name providers by ARN, as on AWS: one that
    names this provider refuses its logins from now on."""
    _locked(provider).delete()


@transaction.atomic
def oidc_provider_client_id_add(
    *, provider: OpenIdConnectProvider, client_id: str
) -> OpenIdConnectProvider:
    """AddClientIDToOpenIDConnectProvider; adding a client ID the provider has changes nothing."""
    model_validate(
        "AddClientIDToOpenIDConnectProvider",
        {"OpenIDConnectProviderArn": provider.arn, "ClientID": client_id},
        service="iam",
    )
    provider = _locked(provider)
    if client_id not in provider.client_id_list:
        provider.client_id_list = _client_ids_checked([*provider.client_id_list, client_id])
        provider.save(update_fields=["client_id_list"])
    return provider


@transaction.atomic
def oidc_provider_client_id_remove(
    *, provider: OpenIdConnectProvider, client_id: str
) -> OpenIdConnectProvider:
    """RemoveClientIDFromOpenIDConnectProvider; a client ID the provider lacks is no error."""
    model_validate(
        "RemoveClientIDFromOpenIDConnectProvider",
        {"OpenIDConnectProviderArn": provider.arn, "ClientID": client_id},
        service="iam",
    )
    provider = _locked(provider)
    if client_id in provider.client_id_list:
        provider.client_id_list = [cid for cid in provider.client_id_list if cid != client_id]
        provider.save(update_fields=["client_id_list"])
    return provider


@transaction.atomic
def oidc_provider_thumbprints_update(
    *, provider: OpenIdConnectProvider, thumbprints: Sequence[str]
) -> OpenIdConnectProvider:
    """UpdateOpenIDConnectProviderThumbprint: the list replaces the provider's."""
    model_validate(
        "UpdateOpenIDConnectProviderThumbprint",
        {"OpenIDConnectProviderArn": provider.arn, "ThumbprintList": list(thumbprints)},
        service="iam",
    )
    checked = _thumbprints_checked(thumbprints)
    provider = _locked(provider)
    provider.thumbprint_list = checked
    provider.save(update_fields=["thumbprint_list"])
    return provider


@transaction.atomic
def oidc_provider_tag(*, provider: OpenIdConnectProvider, tags: Tags) -> OpenIdConnectProvider:
    """TagOpenIDConnectProvider: a key the provider has (in any case) gets the new tag."""
    model_validate(
        "TagOpenIDConnectProvider",
        {"OpenIDConnectProviderArn": provider.arn, "Tags": list(tags)},
        service="iam",
    )
    new = tags_checked(tags)
    provider = _locked(provider)
    provider.tags = tags_merged(provider.tags, new, quota="TagsPerOpenIdConnectProvider")
    provider.save(update_fields=["tags"])
    return provider


@transaction.atomic
def oidc_provider_untag(
    *, provider: OpenIdConnectProvider, keys: Sequence[str]
) -> OpenIdConnectProvider:
    """UntagOpenIDConnectProvider: keys match without regard to case; missing keys are no error."""
    model_validate(
        "UntagOpenIDConnectProvider",
        {"OpenIDConnectProviderArn": provider.arn, "TagKeys": list(keys)},
        service="iam",
    )
    provider = _locked(provider)
    provider.tags = tags_removed(provider.tags, keys)
    provider.save(update_fields=["tags"])
    return provider
