"""The management API of IAM OpenID Connect providers (/api/v1/iam/oidc-providers/).

A provider is named in paths by its `id`: the URL IAM keeps for it (without its scheme, the part
of its ARN after `oidc-provider/`) in unpadded base64url, as every answer gives it
(`idp.example.com/realms/app` is `aWRwLmV4YW1wbGUuY29tL3JlYWxtcy9hcHA`). The URL itself cannot be
the path segment: it may hold slashes, and a WSGI server decodes `%2F` before any route sees it,
so `{url}/tags/` could be the tags of `{url}` or the provider whose URL ends in `/tags`. An id
holds no slash, each URL has exactly one id, and a segment that is no such id (padded,
non-canonical, not UTF-8) names no provider.

Under a provider, `client-ids/` adds a client ID (POST) and `client-ids/{client_id}/` removes one
(DELETE), `thumbprints/` replaces the thumbprint list (PUT), `tags/` lists (GET) and adds or
replaces tags (POST) and `tags/{key}/` removes one (DELETE). A client ID or a tag key may hold
slashes: each is the path's last part, taken whole. Each view action declares the IAM action it
performs, as the AWS endpoint names it; errors are the services' own, rendered by
`cognitoadmin.errors`.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from cognitoadmin.authorization import ACCOUNT
from cognitoadmin.ids import iam_oidc_provider_arn
from identities.api.roles import IamViewSet, TagInputSerializer, _errors, _text, _valid
from identities.errors import NoSuchEntityException
from identities.models import OpenIdConnectProvider
from identities.selectors.oidc_providers import (
    oidc_provider_get_by_arn,
    oidc_provider_tags_page,
    oidc_providers_page,
)
from identities.services.oidc_providers import (
    oidc_provider_client_id_add,
    oidc_provider_client_id_remove,
    oidc_provider_create,
    oidc_provider_delete,
    oidc_provider_issuer,
    oidc_provider_tag,
    oidc_provider_thumbprints_update,
    oidc_provider_untag,
)
from pools.api.serializers import StrictInputSerializer

_ID = re.compile(r"[A-Za-z0-9_-]+")


def oidc_provider_id_of(url: str) -> str:
    """The id that names the provider IAM keeps as `url` in this API's paths."""
    return base64.urlsafe_b64encode(url.encode("utf-8")).decode("ascii").rstrip("=")


def oidc_provider_url_of_id(provider_id: str) -> str | None:
    """The URL `provider_id` names, or None when it is no id `oidc_provider_id_of` gives."""
    if not _ID.fullmatch(provider_id):
        return None
    try:
        padded = provider_id + "=" * (-len(provider_id) % 4)
        url = base64.urlsafe_b64decode(padded).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    # One id per URL: a decoder forgives stray bits that another id would not have.
    if oidc_provider_id_of(url) != provider_id or "\x00" in url:
        return None
    return url


# --- Serializers ---------------------------------------------------------------------------------


class OpenIdConnectProviderOutputSerializer(serializers.ModelSerializer[OpenIdConnectProvider]):
    id = serializers.SerializerMethodField(help_text="The provider's name in this API's paths.")
    arn = serializers.CharField(read_only=True)
    url = serializers.CharField(read_only=True, help_text="The URL without its scheme, as IAM.")
    issuer = serializers.SerializerMethodField(
        help_text="The `iss` its ID tokens must carry: `https://` + url (`http://` on loopback)."
    )
    client_id_list = serializers.ListField(child=serializers.CharField(), read_only=True)
    thumbprint_list = serializers.ListField(child=serializers.CharField(), read_only=True)
    tags = serializers.DictField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = OpenIdConnectProvider
        fields = [
            "id",
            "arn",
            "url",
            "issuer",
            "client_id_list",
            "thumbprint_list",
            "tags",
            "created_at",
        ]
        read_only_fields = fields

    def get_id(self, provider: OpenIdConnectProvider) -> str:
        return oidc_provider_id_of(provider.url)

    def get_issuer(self, provider: OpenIdConnectProvider) -> str:
        return oidc_provider_issuer(provider.url)


def _texts(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(child=_text(), **kwargs)


class OpenIdConnectProviderCreateInputSerializer(StrictInputSerializer):
    url = _text(help_text="The issuer: `https://host[/path]` (`http://` only on a loopback host).")
    client_id_list = _texts(
        source="client_ids", required=False, help_text="The audiences its ID tokens may name."
    )
    thumbprint_list = _texts(
        source="thumbprints",
        required=False,
        help_text="Up to 5, of 40 hexadecimal characters; kept as IAM keeps them, not used.",
    )
    tags = TagInputSerializer(many=True, required=False)


class OpenIdConnectProviderClientIdInputSerializer(StrictInputSerializer):
    client_id = _text(help_text="Adding a client ID the provider has changes nothing.")


class OpenIdConnectProviderThumbprintsInputSerializer(StrictInputSerializer):
    thumbprint_list = _texts(source="thumbprints", help_text="Replaces the provider's list.")


class OpenIdConnectProviderTagsInputSerializer(StrictInputSerializer):
    tags = TagInputSerializer(
        many=True, help_text="A key the provider has, in any case, gets the new tag."
    )


class TagOutputSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(read_only=True)
    value = serializers.CharField(read_only=True)


# --- Views ---------------------------------------------------------------------------------------

PROVIDER_ID = OpenApiParameter(
    "provider_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The provider's `id`: its URL without scheme, in unpadded base64url.",
    pattern=f"^{_ID.pattern}$",
)
CLIENT_ID = OpenApiParameter(
    "client_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The client ID to remove."
)
TAG_KEY = OpenApiParameter(
    "tag_key",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The key of the tag to remove, in any case.",
)


@extend_schema(tags=["iam oidc providers"])
@extend_schema_view(
    retrieve=extend_schema(parameters=[PROVIDER_ID]),
    destroy=extend_schema(parameters=[PROVIDER_ID]),
    client_ids=extend_schema(parameters=[PROVIDER_ID]),
    remove_client_id=extend_schema(parameters=[PROVIDER_ID, CLIENT_ID]),
    thumbprints=extend_schema(parameters=[PROVIDER_ID]),
    tags=extend_schema(parameters=[PROVIDER_ID]),
    untag=extend_schema(parameters=[PROVIDER_ID, TAG_KEY]),
)
class OpenIdConnectProviderViewSet(IamViewSet):
    """IAM OpenID Connect providers: the outside issuers whose ID tokens identity pools accept."""

    lookup_field = "provider_id"
    iam_actions = {
        "list": "iam:ListOpenIDConnectProviders",
        "create": "iam:CreateOpenIDConnectProvider",
        "retrieve": "iam:GetOpenIDConnectProvider",
        "destroy": "iam:DeleteOpenIDConnectProvider",
        "client_ids": "iam:AddClientIDToOpenIDConnectProvider",
        "remove_client_id": "iam:RemoveClientIDFromOpenIDConnectProvider",
        "thumbprints": "iam:UpdateOpenIDConnectProviderThumbprint",
        "tags": {
            "GET": "iam:ListOpenIDConnectProviderTags",
            "POST": "iam:TagOpenIDConnectProvider",
        },
        "untag": "iam:UntagOpenIDConnectProvider",
    }
    serializer_class = OpenIdConnectProviderOutputSerializer
    input_serializers = {
        "create": OpenIdConnectProviderCreateInputSerializer,
        "client_ids": OpenIdConnectProviderClientIdInputSerializer,
        "thumbprints": OpenIdConnectProviderThumbprintsInputSerializer,
        "tags": OpenIdConnectProviderTagsInputSerializer,
    }

    def get_queryset(self) -> Any:
        return OpenIdConnectProvider.objects.all()

    def iam_resource(self) -> str:
        # An id that names no URL is asked about as the account: it can name no provider.
        provider_id = self.kwargs.get("provider_id")
        url = oidc_provider_url_of_id(provider_id) if provider_id else None
        return iam_oidc_provider_arn(url) if url is not None else ACCOUNT

    def get_provider(self, provider_id: str) -> OpenIdConnectProvider:
        url = oidc_provider_url_of_id(provider_id)
        if url is None:
            raise NoSuchEntityException(f"OpenIDConnect Provider not found for id {provider_id}")
        return oidc_provider_get_by_arn(arn=iam_oidc_provider_arn(url))

    def provider_response(self, provider: OpenIdConnectProvider, **kwargs: Any) -> Response:
        return Response(OpenIdConnectProviderOutputSerializer(provider).data, **kwargs)

    @extend_schema(
        summary="List OpenID Connect providers",
        responses={200: OpenIdConnectProviderOutputSerializer(many=True), **_errors()},
    )
    def list(self, request: Request) -> Response:
        providers, marker = oidc_providers_page(**self.page_arguments(request))
        data = OpenIdConnectProviderOutputSerializer(providers, many=True).data
        return self.page_response(request, data, marker)

    @extend_schema(
        summary="Create an OpenID Connect provider",
        request=OpenIdConnectProviderCreateInputSerializer,
        responses={201: OpenIdConnectProviderOutputSerializer, **_errors(409)},
    )
    def create(self, request: Request) -> Response:
        data = _valid(OpenIdConnectProviderCreateInputSerializer, request.data)
        provider = oidc_provider_create(**data)
        return self.provider_response(provider, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Get an OpenID Connect provider",
        responses={200: OpenIdConnectProviderOutputSerializer, **_errors(404)},
    )
    def retrieve(self, request: Request, provider_id: str) -> Response:
        return self.provider_response(self.get_provider(provider_id))

    @extend_schema(
        summary="Delete an OpenID Connect provider",
        description="Identity pools that name it refuse its logins from then on.",
        responses={204: None, **_errors(404)},
    )
    def destroy(self, request: Request, provider_id: str) -> Response:
        oidc_provider_delete(provider=self.get_provider(provider_id))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Add a client ID to an OpenID Connect provider",
        request=OpenIdConnectProviderClientIdInputSerializer,
        responses={200: OpenIdConnectProviderOutputSerializer, **_errors(404)},
    )
    @action(detail=True, methods=["post"], url_path="client-ids")
    def client_ids(self, request: Request, provider_id: str) -> Response:
        provider = self.get_provider(provider_id)
        data = _valid(OpenIdConnectProviderClientIdInputSerializer, request.data)
        return self.provider_response(oidc_provider_client_id_add(provider=provider, **data))

    @extend_schema(
        summary="Remove a client ID from an OpenID Connect provider",
        description="A client ID the provider lacks is no error.",
        responses={204: None, **_errors(404)},
    )
    @action(detail=True, methods=["delete"], url_path="client-ids/(?P<client_id>.+)")
    def remove_client_id(self, request: Request, provider_id: str, client_id: str) -> Response:
        provider = self.get_provider(provider_id)
        oidc_provider_client_id_remove(provider=provider, client_id=client_id)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Replace an OpenID Connect provider's thumbprints",
        request=OpenIdConnectProviderThumbprintsInputSerializer,
        responses={200: OpenIdConnectProviderOutputSerializer, **_errors(404)},
    )
    @action(detail=True, methods=["put"])
    def thumbprints(self, request: Request, provider_id: str) -> Response:
        provider = self.get_provider(provider_id)
        data = _valid(OpenIdConnectProviderThumbprintsInputSerializer, request.data)
        return self.provider_response(oidc_provider_thumbprints_update(provider=provider, **data))

    @extend_schema(
        methods=["GET"],
        summary="List an OpenID Connect provider's tags",
        responses={200: TagOutputSerializer(many=True), **_errors(404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Add or replace tags of an OpenID Connect provider",
        request=OpenIdConnectProviderTagsInputSerializer,
        responses={200: TagOutputSerializer(many=True), **_errors(404)},
    )
    @action(detail=True, methods=["get", "post"])
    def tags(self, request: Request, provider_id: str) -> Response:
        provider = self.get_provider(provider_id)
        if request.method == "POST":
            tagged = _valid(OpenIdConnectProviderTagsInputSerializer, request.data)
            provider = oidc_provider_tag(provider=provider, **tagged)
        tags, marker = oidc_provider_tags_page(provider=provider, **self.page_arguments(request))
        data = TagOutputSerializer([{"key": k, "value": v} for k, v in tags], many=True).data
        return self.page_response(request, data, marker)

    @extend_schema(
        summary="Remove a tag from an OpenID Connect provider",
        description="Keys match without regard to case; a key the provider lacks is no error.",
        responses={204: None, **_errors(404)},
    )
    @action(detail=True, methods=["delete"], url_path="tags/(?P<tag_key>.+)")
    def untag(self, request: Request, provider_id: str, tag_key: str) -> Response:
        oidc_provider_untag(provider=self.get_provider(provider_id), keys=[tag_key])
        return Response(status=status.HTTP_204_NO_CONTENT)
