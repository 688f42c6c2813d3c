"""IAM OpenID Connect providers as IAM finds them: by ARN, which holds the URL IAM keeps."""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsmodel import model_validate
from cognitoadmin.errors import InvalidParameterException
from cognitoadmin.ids import iam_oidc_provider_arn
from cognitoadmin.pagination import decode_token, encode_token
from identities.errors import NoSuchEntityException
from identities.models import OpenIdConnectProvider
from identities.selectors.roles import MAX_ITEMS, tags_page

_PREFIX = ":oidc-provider/"


def oidc_provider_url_of(arn: str) -> str | None:
    """The URL of this account's provider `arn` names, or None for any other ARN."""
    url = arn.partition(_PREFIX)[2]
    return url if url and iam_oidc_provider_arn(url) == arn else None


def oidc_provider_get_by_arn(*, arn: str) -> OpenIdConnectProvider:
    url = oidc_provider_url_of(arn)
    provider = OpenIdConnectProvider.objects.filter(url=url).first() if url else None
    if provider is None:
        raise NoSuchEntityException(f"OpenIDConnect Provider not found for arn {arn}")
    return provider


def oidc_provider_get_by_url(*, url: str) -> OpenIdConnectProvider | None:
    """The provider a Logins map names (by its URL), or None."""
    return OpenIdConnectProvider.objects.filter(url=url).first()


def oidc_providers_list() -> list[OpenIdConnectProvider]:
    """ListOpenIDConnectProviders: every provider (at most IAM's quota, 100: no pages)."""
    return list(OpenIdConnectProvider.objects.order_by("url"))


_PAGE_SCOPE = "api-iam-oidc-providers"


def oidc_providers_page(
    *, max_items: int, marker: str | None
) -> tuple[list[OpenIdConnectProvider], str | None]:
    """The management API's page of the providers by URL, after the URL the marker names.
    IAM's own list has no pages: it holds at most its quota, 100."""
    if max_items > MAX_ITEMS:
        raise InvalidParameterException(
            f"1 validation error detected: Value '{max_items}' at 'limit' failed to satisfy "
            f"constraint: Member must have value less than or equal to {MAX_ITEMS}"
        )
    after: Any = ""
    if marker is not None:
        after = decode_token(marker, scope=_PAGE_SCOPE).get("after")
        if not isinstance(after, str):
            raise InvalidParameterException("Invalid pagination token.")
    # Ordered here, as compared: a database collation may order URLs otherwise.
    providers = sorted((p for p in oidc_providers_list() if p.url > after), key=lambda p: p.url)
    page = providers[:max_items]
    more = len(providers) > max_items
    return page, encode_token({"after": page[-1].url}, scope=_PAGE_SCOPE) if more else None


def oidc_provider_tags_page(
    *, provider: OpenIdConnectProvider, marker: str | None = None, max_items: int | None = None
) -> tuple[list[tuple[str, str]], str | None]:
    """ListOpenIDConnectProviderTags: `(key, value)` pairs sorted by key."""
    model_validate(
        "ListOpenIDConnectProviderTags",
        {"OpenIDConnectProviderArn": provider.arn, "Marker": marker, "MaxItems": max_items},
        service="iam",
    )
    return tags_page(
        provider.tags,
        scope=f"iam-oidc-provider-tags:{provider.pk}",
        marker=marker,
        max_items=max_items,
    )
