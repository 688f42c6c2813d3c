"""The management API of identity pools (/api/v1/identity-pools/): their settings, their roles,
and their identities.

Serializers are snake_case, each field naming in `source` the AWS member it stands for: input
validates into the PascalCase settings the services take, output reads the AWS shapes. Input
serializers check shape only; every rule belongs to the services. Views resolve the identity pool
of the URL through the selectors (so another pool's identity is not found there), call one
service and render its result; errors are the services' own, rendered by `cognitoadmin.errors`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    Direction,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from cognitoadmin.authorization import ACCOUNT
from cognitoadmin.awsmodel import service_model
from cognitoadmin.ids import identity_pool_arn as identity_pool_arn_of
from identities.models import IdentityPool
from identities.selectors.identity_pools import (
    identities_page,
    identity_get,
    identity_pool_get,
    identity_pools_page,
)
from identities.services.identity_pools import (
    identities_delete,
    identity_pool_create,
    identity_pool_delete,
    identity_pool_set_roles,
    identity_pool_update,
)
from identities.shapes.identity_pools import (
    identity_pool_roles_shape,
    identity_pool_shape,
    identity_shape,
)
from pools.api.serializers import ErrorOutputSerializer, RegionField, StrictInputSerializer
from pools.api.views import REGION, ServiceCursorPagination, ServiceViewSet

SERVICE = "cognito-identity"
# Cognito's largest page of identity pools and of identities.
MAX_PAGE_SIZE = 60


@cache
def _aws_enum(shape: str) -> list[str]:
    """The values of an enum of botocore's `cognito-identity` model, so they never drift."""
    return list(service_model(SERVICE).shape_for(shape).metadata["enum"])


class IdentityEnumField(serializers.ChoiceField):
    """One of the values of an enum shape of the `cognito-identity` model."""

    def __init__(self, shape: str, **kwargs: Any) -> None:
        self.aws_shape = shape
        super().__init__(choices=_aws_enum(shape), **kwargs)


class IdentityEnumFieldSchema(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    """Documents each enum once, as a schema component named after its AWS shape."""

    target_class = IdentityEnumField

    def get_name(self) -> str:
        name: str = self.target.aws_shape
        return name

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Direction) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.target.choices)}


def _text(**kwargs: Any) -> serializers.CharField:
    # Values reach the services as sent: the services' patterns decide what whitespace means.
    kwargs.setdefault("trim_whitespace", False)
    return serializers.CharField(**kwargs)


def _texts(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(child=_text(), **kwargs)


def _errors(*statuses: int) -> dict[int, type[ErrorOutputSerializer]]:
    return {code: ErrorOutputSerializer for code in (400, 401, 403, *statuses)}


# --- Serializers ------------------------------------------------------------------------------


class CognitoIdentityProviderSerializer(StrictInputSerializer):
    provider_name = _text(
        source="ProviderName",
        help_text="The user pool, as `cognito-idp.<region>.amazonaws.com/<user pool id>`.",
    )
    client_id = _text(source="ClientId", help_text="The app client of the user pool.")
    server_side_token_check = serializers.BooleanField(
        source="ServerSideTokenCheck",
        required=False,
        help_text="Whether ID tokens are also checked against the user (signed out, deleted).",
    )


class IdentityPoolInputSerializer(StrictInputSerializer):
    """CreateIdentityPool's and UpdateIdentityPool's members."""

    name = _text(source="IdentityPoolName")
    allow_unauthenticated_identities = serializers.BooleanField(
        source="AllowUnauthenticatedIdentities"
    )
    allow_classic_flow = serializers.BooleanField(source="AllowClassicFlow", required=False)
    supported_login_providers = serializers.DictField(
        child=_text(),
        source="SupportedLoginProviders",
        required=False,
        help_text="Provider domain (`graph.facebook.com`, `accounts.google.com`, ...) -> app id.",
    )
    developer_provider_name = _text(
        source="DeveloperProviderName",
        required=False,
        help_text="Once set, it cannot change; left out, it keeps its value.",
    )
    open_id_connect_provider_arns = _texts(source="OpenIdConnectProviderARNs", required=False)
    saml_provider_arns = _texts(source="SamlProviderARNs", required=False)
    cognito_identity_providers = CognitoIdentityProviderSerializer(
        many=True, source="CognitoIdentityProviders", required=False
    )
    tags = serializers.DictField(
        child=_text(allow_blank=True),
        source="IdentityPoolTags",
        required=False,
        help_text="Left out, the pool keeps its tags.",
    )


class IdentityPoolCreateInputSerializer(IdentityPoolInputSerializer):
    region = RegionField(
        required=False,
        help_text="The region to make the pool in (default COGNITOADMIN_REGION).",
    )


class IdentityPoolSummaryOutputSerializer(serializers.Serializer[Any]):
    id = serializers.CharField(source="identity_pool_id")
    arn = serializers.SerializerMethodField()
    region = serializers.CharField()
    name = serializers.CharField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_arn(self, pool: IdentityPool) -> str:
        return identity_pool_arn_of(pool.identity_pool_id)


class IdentityPoolOutputSerializer(serializers.Serializer[Any]):
    """Reads `_pool_data`: the pool's AWS shape, its ARN and when it was made."""

    id = serializers.CharField(source="IdentityPoolId")
    arn = serializers.CharField(source="Arn")
    region = serializers.CharField(source="Region")
    name = serializers.CharField(source="IdentityPoolName")
    allow_unauthenticated_identities = serializers.BooleanField(
        source="AllowUnauthenticatedIdentities"
    )
    allow_classic_flow = serializers.BooleanField(source="AllowClassicFlow")
    supported_login_providers = serializers.DictField(
        child=serializers.CharField(), source="SupportedLoginProviders", default=dict
    )
    developer_provider_name = serializers.CharField(
        source="DeveloperProviderName", default=None, allow_null=True
    )
    open_id_connect_provider_arns = serializers.ListField(
        child=serializers.CharField(), source="OpenIdConnectProviderARNs", default=list
    )
    saml_provider_arns = serializers.ListField(
        child=serializers.CharField(), source="SamlProviderARNs", default=list
    )
    cognito_identity_providers = CognitoIdentityProviderSerializer(
        many=True, source="CognitoIdentityProviders", default=list
    )
    tags = serializers.DictField(
        child=serializers.CharField(allow_blank=True), source="IdentityPoolTags", default=dict
    )
    created_at = serializers.DateTimeField(source="CreatedAt")


class MappingRuleSerializer(StrictInputSerializer):
    claim = _text(source="Claim", help_text="The token claim compared, e.g. `cognito:groups`.")
    match_type = IdentityEnumField("MappingRuleMatchType", source="MatchType")
    value = _text(source="Value")
    role_arn = _text(source="RoleARN")


class RoleMappingSerializer(StrictInputSerializer):
    type = IdentityEnumField("RoleMappingType", source="Type")
    ambiguous_role_resolution = IdentityEnumField(
        "AmbiguousRoleResolutionType",
        source="AmbiguousRoleResolution",
        required=False,
        help_text="What a login gets when no rule matches (Rules) or its token names several "
        "roles and none as preferred (Token). Required for both types.",
    )
    rules = MappingRuleSerializer(
        many=True,
        source="RulesConfiguration.Rules",
        required=False,
        help_text="For Type Rules: the first rule that matches gives the role (1 to 25).",
    )


class IdentityPoolRolesSerializer(StrictInputSerializer):
    """GetIdentityPoolRoles' output and SetIdentityPoolRoles' input: what is left out is
    removed."""

    authenticated = _text(source="Roles.authenticated", required=False)
    unauthenticated = _text(source="Roles.unauthenticated", required=False)
    role_mappings = serializers.DictField(
        child=RoleMappingSerializer(),
        source="RoleMappings",
        required=False,
        help_text="Provider -> role mapping. A user pool is named with its app client: "
        "`cognito-idp.<region>.amazonaws.com/<user pool id>:<client id>`.",
    )


class IdentityOutputSerializer(serializers.Serializer[Any]):
    """Reads an identity's AWS shape (`identity_shape`)."""

    id = serializers.CharField(source="IdentityId")
    logins = serializers.ListField(
        child=serializers.CharField(),
        source="Logins",
        help_text="The providers linked to the identity.",
    )
    created_at = serializers.DateTimeField(source="CreationDate")
    updated_at = serializers.DateTimeField(source="LastModifiedDate")


# --- Views ------------------------------------------------------------------------------------

POOL_ID = OpenApiParameter(
    "pool_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The identity pool's id (`<region>:<uuid>`).",
)
IDENTITY_ID = OpenApiParameter(
    "identity_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The identity's id (`<region>:<uuid>`).",
)


def _valid(serializer_class: type[StrictInputSerializer], request: Request, **kwargs: Any) -> Any:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _pool_data(pool: IdentityPool) -> dict[str, Any]:
    return {
        **identity_pool_shape(pool),
        "Arn": identity_pool_arn_of(pool.identity_pool_id),
        "Region": pool.region,
        "CreatedAt": pool.created_at,
    }


def _pool_response(pool: IdentityPool, code: int = status.HTTP_200_OK) -> Response:
    return Response(IdentityPoolOutputSerializer(_pool_data(pool)).data, status=code)


@cache
def _update_members() -> frozenset[str]:
    shape = service_model(SERVICE).operation_model("UpdateIdentityPool").input_shape
    return frozenset(shape.members if shape else ()) - {"IdentityPoolId"}


class IdentityPoolScopedViewSet(ServiceViewSet):
    """Base of the identity pool views: the pool named by `pool_id` in the URL, resolved once a
    request. Each view declares, per action, the IAM action it performs (`iam_actions`); the
    operators' authorization asks about it on the pool of the URL before anything is looked up.
    """

    max_limit = MAX_PAGE_SIZE
    _identity_pool: IdentityPool | None = None

    def iam_resource(self) -> str:
        pool_id = self.kwargs.get("pool_id")
        return identity_pool_arn_of(pool_id) if pool_id else ACCOUNT

    def get_identity_pool(self) -> IdentityPool:
        if self._identity_pool is None:
            self._identity_pool = identity_pool_get(identity_pool_id=self.kwargs["pool_id"])
        return self._identity_pool

    def page_arguments(self, request: Request) -> tuple[int, str | None]:
        return ServiceCursorPagination().page_arguments(request, default_limit=self.max_limit)

    def page_response(self, request: Request, results: Any, next_token: str | None) -> Response:
        return ServiceCursorPagination().page_response(request, results, next_token)


@extend_schema(tags=["identity pools"])
@extend_schema_view(
    retrieve=extend_schema(parameters=[POOL_ID]),
    update=extend_schema(parameters=[POOL_ID]),
    partial_update=extend_schema(parameters=[POOL_ID]),
    destroy=extend_schema(parameters=[POOL_ID]),
    roles=extend_schema(parameters=[POOL_ID]),
)
class IdentityPoolViewSet(IdentityPoolScopedViewSet):
    """Identity pools: the logins they accept and the roles their identities get."""

    lookup_field = "pool_id"
    iam_actions = {
        "list": "cognito-identity:ListIdentityPools",
        "create": "cognito-identity:CreateIdentityPool",
        "retrieve": "cognito-identity:DescribeIdentityPool",
        "update": "cognito-identity:UpdateIdentityPool",
        "partial_update": "cognito-identity:UpdateIdentityPool",
        "destroy": "cognito-identity:DeleteIdentityPool",
        "roles": {
            "GET": "cognito-identity:GetIdentityPoolRoles",
            "PUT": "cognito-identity:SetIdentityPoolRoles",
        },
    }
    serializer_class = IdentityPoolOutputSerializer
    input_serializers = {
        "create": IdentityPoolCreateInputSerializer,
        "update": IdentityPoolInputSerializer,
        "partial_update": IdentityPoolInputSerializer,
        "roles": IdentityPoolRolesSerializer,
    }

    @extend_schema(
        summary="List identity pools",
        parameters=[REGION],
        responses={200: IdentityPoolSummaryOutputSerializer(many=True), **_errors()},
    )
    def list(self, request: Request) -> Response:
        limit, cursor = self.page_arguments(request)
        pools, next_token = identity_pools_page(
            max_results=limit, next_token=cursor, region=self.region_argument(request)
        )
        data = IdentityPoolSummaryOutputSerializer(pools, many=True).data
        return self.page_response(request, data, next_token)

    @extend_schema(
        summary="Create an identity pool",
        request=IdentityPoolCreateInputSerializer,
        responses={201: IdentityPoolOutputSerializer, **_errors(409)},
    )
    def create(self, request: Request) -> Response:
        settings = dict(_valid(IdentityPoolCreateInputSerializer, request))
        region = settings.pop("region", None)
        pool = identity_pool_create(settings=settings, region=region)
        return _pool_response(pool, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Describe an identity pool",
        responses={200: IdentityPoolOutputSerializer, **_errors(404)},
    )
    def retrieve(self, request: Request, pool_id: str) -> Response:
        return _pool_response(self.get_identity_pool())

    @extend_schema(
        summary="Replace an identity pool's settings",
        description="As UpdateIdentityPool: a member left out returns to its default, except "
        "`developer_provider_name` and `tags`, which keep their values.",
        request=IdentityPoolInputSerializer,
        responses={200: IdentityPoolOutputSerializer, **_errors(404, 409)},
    )
    def update(self, request: Request, pool_id: str) -> Response:
        settings = _valid(IdentityPoolInputSerializer, request)
        return _pool_response(
            identity_pool_update(pool=self.get_identity_pool(), settings=settings)
        )

    @extend_schema(
        summary="Change some of an identity pool's settings",
        description="The members sent replace the pool's; the others keep their values.",
        request=IdentityPoolInputSerializer,
        responses={200: IdentityPoolOutputSerializer, **_errors(404, 409)},
    )
    def partial_update(self, request: Request, pool_id: str) -> Response:
        patch = _valid(IdentityPoolInputSerializer, request, partial=True)
        pool = self.get_identity_pool()
        members = _update_members()
        current = {k: v for k, v in identity_pool_shape(pool).items() if k in members}
        return _pool_response(identity_pool_update(pool=pool, settings={**current, **patch}))

    @extend_schema(
        summary="Delete an identity pool",
        description="Its identities and their logins go with it.",
        responses={204: None, **_errors(404)},
    )
    def destroy(self, request: Request, pool_id: str) -> Response:
        identity_pool_delete(pool=self.get_identity_pool())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["GET"],
        summary="Get an identity pool's roles and role mappings",
        responses={200: IdentityPoolRolesSerializer, **_errors(404)},
    )
    @extend_schema(
        methods=["PUT"],
        summary="Set an identity pool's roles and role mappings",
        description="As SetIdentityPoolRoles: a role or mapping left out is removed. Roles are "
        "IAM role ARNs of this account; they need not exist yet.",
        request=IdentityPoolRolesSerializer,
        responses={200: IdentityPoolRolesSerializer, **_errors(404)},
    )
    @action(detail=True, methods=["get", "put"])
    def roles(self, request: Request, pool_id: str) -> Response:
        if request.method == "PUT":
            data = _valid(IdentityPoolRolesSerializer, request)
            pool = identity_pool_set_roles(
                pool=self.get_identity_pool(),
                roles=data.get("Roles", {}),
                role_mappings=data.get("RoleMappings"),
            )
        else:
            pool = self.get_identity_pool()
        return Response(IdentityPoolRolesSerializer(identity_pool_roles_shape(pool)).data)


@extend_schema(tags=["identity pools"], parameters=[POOL_ID])
@extend_schema_view(
    retrieve=extend_schema(parameters=[IDENTITY_ID]),
    destroy=extend_schema(parameters=[IDENTITY_ID]),
)
class IdentityViewSet(IdentityPoolScopedViewSet):
    """An identity pool's identities: made by sign-ins (GetId), read and deleted here."""

    lookup_field = "identity_id"
    iam_actions = {
        "list": "cognito-identity:ListIdentities",
        "retrieve": "cognito-identity:DescribeIdentity",
        "destroy": "cognito-identity:DeleteIdentities",
    }
    serializer_class = IdentityOutputSerializer

    @extend_schema(
        summary="List an identity pool's identities",
        responses={200: IdentityOutputSerializer(many=True), **_errors(404)},
    )
    def list(self, request: Request, pool_id: str) -> Response:
        limit, cursor = self.page_arguments(request)
        identities, next_token = identities_page(
            pool=self.get_identity_pool(), max_results=limit, next_token=cursor
        )
        data = IdentityOutputSerializer([identity_shape(i) for i in identities], many=True).data
        return self.page_response(request, data, next_token)

    @extend_schema(
        summary="Describe an identity", responses={200: IdentityOutputSerializer, **_errors(404)}
    )
    def retrieve(self, request: Request, pool_id: str, identity_id: str) -> Response:
        identity = identity_get(identity_id=identity_id, pool=self.get_identity_pool())
        return Response(IdentityOutputSerializer(identity_shape(identity)).data)

    @extend_schema(
        summary="Delete an identity",
        description="With its logins: its next sign-in makes a new identity.",
        responses={204: None, **_errors(404)},
    )
    def destroy(self, request: Request, pool_id: str, identity_id: str) -> Response:
        identity = identity_get(identity_id=identity_id, pool=self.get_identity_pool())
        identities_delete(identity_ids=[identity.identity_id])
        return Response(status=status.HTTP_204_NO_CONTENT)
