"""The management API under /api/v1/: user pools and what they hold.

An action parses its input with a shape-only serializer, loads objects through the selectors (always
within the pool named in the URL, so another pool's ids are "not found"), calls one service and
renders the result. Errors are the services' own, rendered by `cognitoadmin.errors`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from cognitoadmin.authorization import ACCOUNT
from cognitoadmin.awsmodel import service_model
from cognitoadmin.ids import user_pool_arn
from pools.api import serializers as s
from pools.models import AppClient, Domain, Group, PoolUser, ResourceServer, UserPool
from pools.selectors.clients import app_client_get, app_client_secrets, app_clients_page
from pools.selectors.deliveries import (
    LIST_DELIVERIES,
    MAX_DELIVERIES_PAGE,
    deliveries_page,
    delivery_get,
)
from pools.selectors.devices import MAX_DEVICES_PAGE, devices_page
from pools.selectors.domains import domain_get
from pools.selectors.groups import group_get, groups_for_user_page, groups_page
from pools.selectors.mfa import RESET_USER_MFA, software_token_find
from pools.selectors.pages import MAX_PAGE_SIZE
from pools.selectors.pools import user_pool_get, user_pools_page
from pools.selectors.resource_servers import (
    MAX_RESOURCE_SERVERS_PAGE,
    resource_server_get,
    resource_servers_page,
)
from pools.selectors.users import user_get, users_in_group_page, users_page
from pools.services.clients import (
    app_client_create,
    app_client_delete,
    app_client_secret_add,
    app_client_secret_delete,
    app_client_update,
)
from pools.services.devices import device_forget
from pools.services.domains import domain_create, domain_delete, domain_update
from pools.services.groups import group_create, group_delete, group_update
from pools.services.mfa import mfa_factors_enabled, mfa_preference_set, mfa_reset
from pools.services.passwords import password_replace
from pools.services.pools import (
    user_pool_add_custom_attributes,
    user_pool_create,
    user_pool_delete,
    user_pool_set_mfa_config,
    user_pool_update,
)
from pools.services.resource_servers import (
    resource_server_create,
    resource_server_delete,
    resource_server_update,
)
from pools.services.sessions import (
    app_client_session_configuration_set,
    user_pool_session_configuration_set,
)
from pools.services.users import (
    user_add_to_group,
    user_create,
    user_delete,
    user_delete_attributes,
    user_disable,
    user_enable,
    user_remove_from_group,
    user_update_attributes,
)
from pools.shapes.clients import app_client_shape, client_secret_descriptor_shape
from pools.shapes.domains import domain_shape
from pools.shapes.pools import user_pool_mfa_config_shape, user_pool_shape
from pools.shapes.sessions import (
    app_client_session_configuration_shape,
    user_pool_session_configuration_shape,
)
from pools.shapes.users import users_identities_prefetch


class ServiceCursorPagination(BasePagination):
    """Pages follow the services' opaque next tokens: `?limit=&cursor=`, answered as
    `{"results": [...], "next": <url or null>}`.

    The services choose where a page ends (keyset, never a COUNT(*)); this only carries their token
    in the `cursor` parameter of the `next` link.
    """

    def page_arguments(self, request: Request, *, default_limit: int) -> tuple[int, str | None]:
        query = s.PageQueryInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        limit: int = query.validated_data.get("limit", default_limit)
        cursor: str | None = query.validated_data.get("cursor")
        return limit, cursor

    def page_response(self, request: Request, results: Any, next_token: str | None) -> Response:
        next_url = None
        if next_token:
            next_url = replace_query_param(request.build_absolute_uri(), "cursor", next_token)
        return Response({"results": results, "next": next_url})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["results", "next"],
            "properties": {
                "results": schema,
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The next page, or null on the last one.",
                },
            },
        }

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        max_limit = getattr(view, "max_limit", None)
        return [
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": f"Page size, 1 to {max_limit} (the default).",
                "schema": {"type": "integer", "minimum": 1, "maximum": max_limit},
            },
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "Where the page starts: taken from the previous page's `next`.",
                "schema": {"type": "string"},
            },
        ]


def _errors(*statuses: int) -> dict[int, type[s.ErrorOutputSerializer]]:
    return {code: s.ErrorOutputSerializer for code in (400, 401, 403, *statuses)}


REGION = OpenApiParameter(
    "region",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    description="Only the resources of this region (`us-east-1`); all regions when left out.",
)
POOL_ID = OpenApiParameter(
    "pool_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The user pool's id."
)


@cache
def _update_members(operation: str) -> frozenset[str]:
    """The settings an AWS update operation replaces, less the ids that name its target."""
    shape = service_model("cognito-idp").operation_model(operation).input_shape
    return frozenset(shape.members if shape else ()) - {"UserPoolId", "ClientId"}


def _merge_patch(current: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """`current` with `patch` laid over it, objects merged member by member (JSON Merge Patch)."""
    merged = dict(current)
    for key, value in patch.items():
        old = merged.get(key)
        if isinstance(value, Mapping) and isinstance(old, Mapping):
            merged[key] = _merge_patch(old, value)
        else:
            merged[key] = value
    return merged


def _settings(shape: Mapping[str, Any], *, operation: str) -> dict[str, Any]:
    """The members of an AWS shape that `operation` (an AWS update) takes back."""
    members = _update_members(operation)
    return {key: value for key, value in shape.items() if key in members}


class ServiceViewSet(GenericViewSet[Any]):
    """Base of the management API's views: cursor pages, path values that may hold dots, the
    input serializers shown in the browsable API's forms, and each view action's IAM action
    (`iam_actions`), which `cognitoadmin.authorization.IAMActionPermission` asks about."""

    pagination_class: type[BasePagination] | None = ServiceCursorPagination
    lookup_value_regex = "[^/]+"
    # Input serializers per action, for the browsable API's forms; outputs are the default.
    input_serializers: Mapping[str, type[serializers.BaseSerializer[Any]]] = {}
    iam_actions: Mapping[str, str | Mapping[str, str]] = {}

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return self.input_serializers.get(self.action or "", super().get_serializer_class())

    def get_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer[Any]:
        # Only the browsable API asks, for its forms: input serializers never render an instance.
        kwargs.pop("instance", None)
        return super().get_serializer(*args, **kwargs)

    def region_argument(self, request: Request) -> str | None:
        """The `region` a list is narrowed to, if the query names one."""
        query = s.RegionQueryInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        region: str | None = query.validated_data.get("region")
        return region


class PoolScopedViewSet(ServiceViewSet):
    """Base of the pool views: the pool named by `pool_id` in the URL is resolved once a request.

    Each view declares, per action, the IAM action it performs (`iam_actions`): the operators'
    authorization (`cognitoadmin.authorization.IAMActionPermission`) asks about that action on
    the pool of the URL, before anything is looked up.
    """

    max_limit = MAX_PAGE_SIZE
    _pool: UserPool | None = None

    def iam_resource(self) -> str:
        pool_id = self.kwargs.get("pool_id")
        return user_pool_arn(pool_id) if pool_id else ACCOUNT

    def get_pool(self) -> UserPool:
        if self._pool is None:
            self._pool = user_pool_get(pool_id=self.kwargs["pool_id"])
        return self._pool

    def patched(
        self,
        request: Request,
        serializer_class: type[s.StrictInputSerializer],
        current: Mapping[str, Any],
    ) -> dict[str, Any]:
        """What every PATCH hands its update service: the object's `current` values with the
        members the request sends laid over them (objects merge member by member, as in JSON
        Merge Patch). AWS's updates reset what they are not given, so they get it all."""
        patch = _valid(serializer_class, request, partial=True).validated_data
        return _merge_patch(current, patch)

    def page_arguments(self, request: Request) -> tuple[int, str | None]:
        return ServiceCursorPagination().page_arguments(request, default_limit=self.max_limit)

    def page_response(self, request: Request, results: Any, next_token: str | None) -> Response:
        return ServiceCursorPagination().page_response(request, results, next_token)


def _valid(serializer_class: type[s.StrictInputSerializer], request: Request, **kwargs: Any) -> Any:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer


# --- User pools -------------------------------------------------------------------------------


@extend_schema(tags=["user pools"])
class UserPoolViewSet(PoolScopedViewSet):
    lookup_field = "pool_id"
    iam_actions = {
        "list": "cognito-idp:ListUserPools",
        "create": "cognito-idp:CreateUserPool",
        "retrieve": "cognito-idp:DescribeUserPool",
        "partial_update": "cognito-idp:UpdateUserPool",
        "destroy": "cognito-idp:DeleteUserPool",
        "custom_attributes": "cognito-idp:AddCustomAttributes",
        "mfa_config": {
            "GET": "cognito-idp:GetUserPoolMfaConfig",
            "PUT": "cognito-idp:SetUserPoolMfaConfig",
        },
        "session_config": {
            "GET": "cognito-idp:GetUserPoolSessionConfiguration",
            "PUT": "cognito-idp:SetUserPoolSessionConfiguration",
        },
    }
    serializer_class = s.UserPoolOutputSerializer
    input_serializers = {
        "create": s.UserPoolCreateInputSerializer,
        "partial_update": s.UserPoolUpdateInputSerializer,
        "custom_attributes": s.UserPoolCustomAttributesInputSerializer,
        "mfa_config": s.UserPoolMfaConfigInputSerializer,
        "session_config": s.UserPoolSessionConfigSerializer,
    }

    def get_queryset(self) -> QuerySet[UserPool]:
        return UserPool.objects.all()

    @extend_schema(
        summary="List user pools",
        parameters=[REGION],
        responses={200: s.UserPoolSummaryOutputSerializer(many=True), **_errors()},
    )
    def list(self, request: Request) -> Response:
        limit, cursor = self.page_arguments(request)
        pools, next_token = user_pools_page(
            max_results=limit, next_token=cursor, region=self.region_argument(request)
        )
        data = s.UserPoolSummaryOutputSerializer(pools, many=True).data
        return self.page_response(request, data, next_token)

    @extend_schema(
        summary="Create a user pool",
        request=s.UserPoolCreateInputSerializer,
        responses={201: s.UserPoolOutputSerializer, **_errors()},
    )
    def create(self, request: Request) -> Response:
        settings = _valid(s.UserPoolCreateInputSerializer, request).settings()
        name, region = settings.pop("PoolName"), settings.pop("region", None)
        pool = user_pool_create(name=name, settings=settings, region=region)
        data = s.UserPoolOutputSerializer(user_pool_shape(pool)).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Describe a user pool",
        parameters=[POOL_ID],
        responses={200: s.UserPoolOutputSerializer, **_errors(404)},
    )
    def retrieve(self, request: Request, pool_id: str) -> Response:
        return Response(s.UserPoolOutputSerializer(user_pool_shape(self.get_pool())).data)

    @extend_schema(
        summary="Change a user pool's settings",
        description="Only the members sent change; nested objects merge member by member.",
        parameters=[POOL_ID],
        request=s.UserPoolUpdateInputSerializer,
        responses={200: s.UserPoolOutputSerializer, **_errors(404)},
    )
    def partial_update(self, request: Request, pool_id: str) -> Response:
        pool = self.get_pool()
        current = _settings(user_pool_shape(pool), operation="UpdateUserPool")
        settings = self.patched(request, s.UserPoolUpdateInputSerializer, current)
        pool = user_pool_update(pool=pool, settings=settings)
        return Response(s.UserPoolOutputSerializer(user_pool_shape(pool)).data)

    @extend_schema(
        summary="Delete a user pool",
        parameters=[POOL_ID],
        responses={204: None, **_errors(404)},
    )
    def destroy(self, request: Request, pool_id: str) -> Response:
        user_pool_delete(pool=self.get_pool())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Add custom attributes to a user pool",
        parameters=[POOL_ID],
        request=s.UserPoolCustomAttributesInputSerializer,
        responses={200: s.UserPoolOutputSerializer, **_errors(404)},
    )
    @action(detail=True, methods=["post"], url_path="custom-attributes")
    def custom_attributes(self, request: Request, pool_id: str) -> Response:
        attributes = _valid(s.UserPoolCustomAttributesInputSerializer, request).validated_data[
            "attributes"
        ]
        pool = user_pool_add_custom_attributes(pool=self.get_pool(), attributes=attributes)
        return Response(s.UserPoolOutputSerializer(user_pool_shape(pool)).data)

    @extend_schema(
        methods=["GET"],
        summary="Get a user pool's MFA configuration",
        parameters=[POOL_ID],
        responses={200: s.UserPoolMfaConfigOutputSerializer, **_errors(404)},
    )
    @extend_schema(
        methods=["PUT"],
        summary="Set a user pool's MFA configuration",
        description=(
            "As SetUserPoolMfaConfig: the factors sent replace the pool's (one left out is "
            "turned off); `mfa_configuration` left out keeps its value."
        ),
        parameters=[POOL_ID],
        request=s.UserPoolMfaConfigInputSerializer,
        responses={200: s.UserPoolMfaConfigOutputSerializer, **_errors(404)},
    )
    @action(detail=True, methods=["get", "put"], url_path="mfa-config")
    def mfa_config(self, request: Request, pool_id: str) -> Response:
        pool = self.get_pool()
        if request.method == "PUT":
            settings = _valid(s.UserPoolMfaConfigInputSerializer, request).validated_data
            pool = user_pool_set_mfa_config(pool=pool, settings=settings)
        return Response(s.UserPoolMfaConfigOutputSerializer(user_pool_mfa_config_shape(pool)).data)

    @extend_schema(
        methods=["GET"],
        summary="Get a user pool's session configuration",
        parameters=[POOL_ID],
        responses={200: s.UserPoolSessionConfigSerializer, **_errors(404)},
    )
    @extend_schema(
        methods=["PUT"],
        summary="Set a user pool's session configuration",
        description=(
            "As SetUserPoolSessionConfiguration: a full replacement, both members required; "
            "Essentials and Plus pools only."
        ),
        parameters=[POOL_ID],
        request=s.UserPoolSessionConfigSerializer,
        responses={200: s.UserPoolSessionConfigSerializer, **_errors(404)},
    )
    @action(detail=True, methods=["get", "put"], url_path="session-config")
    def session_config(self, request: Request, pool_id: str) -> Response:
        pool = self.get_pool()
        if request.method == "PUT":
            given = _valid(s.UserPoolSessionConfigSerializer, request).validated_data
            pool = user_pool_session_configuration_set(
                pool=pool,
                tracking=given["UserSessionTracking"],
                token_session=given["TokenSession"],
            )
        shape = user_pool_session_configuration_shape(pool)
        return Response(s.UserPoolSessionConfigSerializer(shape).data)


# --- Users ------------------------------------------------------------------------------------

USERNAME = OpenApiParameter(
    "username", OpenApiTypes.STR, OpenApiParameter.PATH, description="The user's username."
)


@extend_schema(tags=["users"], parameters=[POOL_ID])
@extend_schema_view(
    retrieve=extend_schema(parameters=[USERNAME]), destroy=extend_schema(parameters=[USERNAME])
)
class PoolUserViewSet(PoolScopedViewSet):
    lookup_field = "username"
    iam_actions = {
        "list": "cognito-idp:ListUsers",
        "create": "cognito-idp:AdminCreateUser",
        "retrieve": "cognito-idp:AdminGetUser",
        "destroy": "cognito-idp:AdminDeleteUser",
        "attributes": "cognito-idp:AdminUpdateUserAttributes",
        "delete_attributes": "cognito-idp:AdminDeleteUserAttributes",
        "enable": "cognito-idp:AdminEnableUser",
        "disable": "cognito-idp:AdminDisableUser",
        "password": "cognito-idp:AdminSetUserPassword",
        "groups": {
            "GET": "cognito-idp:AdminListGroupsForUser",
            "POST": "cognito-idp:AdminAddUserToGroup",
        },
        "remove_from_group": "cognito-idp:AdminRemoveUserFromGroup",
        "mfa": {
            "GET": "cognito-idp:AdminGetUser",
            "PATCH": "cognito-idp:AdminSetUserMFAPreference",
        },
        "reset_mfa": RESET_USER_MFA,
        "devices": "cognito-idp:AdminListDevices",
        "forget_device": "cognito-idp:AdminForgetDevice",
    }
    serializer_class = s.UserOutputSerializer
    input_serializers = {
        "create": s.UserCreateInputSerializer,
        "attributes": s.UserAttributesInputSerializer,
        "delete_attributes": s.UserAttributeNamesInputSerializer,
        "password": s.UserPasswordInputSerializer,
        "groups": s.UserGroupInputSerializer,
        "mfa": s.UserMfaPreferenceInputSerializer,
    }

    def get_queryset(self) -> QuerySet[PoolUser]:
        return PoolUser.objects.filter(pool=self.get_pool())

    def get_user(self, username: str) -> PoolUser:
        return user_get(pool=self.get_pool(), username=username)

    def user_response(self, user: PoolUser, code: int = status.HTTP_200_OK) -> Response:
        return Response(s.UserOutputSerializer(user).data, status=code)

    @staticmethod
    def mfa_response(user: PoolUser) -> Response:
        mfa = {
            "factors": mfa_factors_enabled(user=user),
            "preferred": user.mfa_preferred or None,
            "software_token": software_token_find(user=user),
        }
        return Response(s.UserMfaOutputSerializer(mfa).data)

    @extend_schema(
        summary="List users",
        parameters=[
            OpenApiParameter(
                "filter",
                OpenApiTypes.STR,
                description=(
                    "A Cognito ListUsers filter: one attribute, `=` or `^=` (prefix), a quoted "
                    'value, e.g. `email ^= "ali"`.'
                ),
            )
        ],
        responses={200: s.UserOutputSerializer(many=True), **_errors(404)},
    )
    def list(self, request: Request, pool_id: str) -> Response:
        limit, cursor = self.page_arguments(request)
        users, next_token = users_page(
            pool=self.get_pool(),
            filter=request.query_params.get("filter", ""),
            limit=limit,
            pagination_token=cursor,
        )
        data = s.UserOutputSerializer(users_identities_prefetch(users), many=True).data
        return self.page_response(request, data, next_token)

    @extend_schema(
        summary="Create a user",
        request=s.UserCreateInputSerializer,
        responses={201: s.UserOutputSerializer, **_errors(404, 409)},
    )
    def create(self, request: Request, pool_id: str) -> Response:
        data = _valid(s.UserCreateInputSerializer, request).validated_data
        user = user_create(pool=self.get_pool(), **data)
        return self.user_response(user, status.HTTP_201_CREATED)

    @extend_schema(summary="Get a user", responses={200: s.UserOutputSerializer, **_errors(404)})
    def retrieve(self, request: Request, pool_id: str, username: str) -> Response:
        return self.user_response(self.get_user(username))

    @extend_schema(summary="Delete a user", responses={204: None, **_errors(404)})
    def destroy(self, request: Request, pool_id: str, username: str) -> Response:
        user_delete(user=self.get_user(username))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Set or change attributes of a user",
        parameters=[USERNAME],
        request=s.UserAttributesInputSerializer,
        responses={200: s.UserOutputSerializer, **_errors(404, 409)},
    )
    @action(detail=True, methods=["post"])
    def attributes(self, request: Request, pool_id: str, username: str) -> Response:
        attributes = _valid(s.UserAttributesInputSerializer, request).validated_data["attributes"]
        user = self.get_user(username)
        user_update_attributes(user=user, attributes=attributes)
        user.refresh_from_db()
        return self.user_response(user)

    @extend_schema(
        summary="Remove attributes from a user",
        parameters=[USERNAME],
        request=s.UserAttributeNamesInputSerializer,
        responses={200: s.UserOutputSerializer, **_errors(404)},
    )
    @action(detail=True, methods=["post"], url_path="delete-attributes")
    def delete_attributes(self, request: Request, pool_id: str, username: str) -> Response:
        names = _valid(s.UserAttributeNamesInputSerializer, request).validated_data["names"]
        user = self.get_user(username)
        user_delete_attributes(user=user, names=names)
        user.refresh_from_db()
        return self.user_response(user)

    @extend_schema(
        summary="Enable a user",
        parameters=[USERNAME],
        request=None,
        responses={200: s.UserOutputSerializer, **_errors(404)},
    )
    @action(detail=True, methods=["post"])
    def enable(self, request: Request, pool_id: str, username: str) -> Response:
        return self.user_response(user_enable(user=self.get_user(username)))

    @extend_schema(
        summary="Disable a user",
        description="A disabled user cannot sign in; their refresh tokens stop working.",
        parameters=[USERNAME],
        request=None,
        responses={200: s.UserOutputSerializer, **_errors(404)},
    )
    @action(detail=True, methods=["post"])
    def disable(self, request: Request, pool_id: str, username: str) -> Response:
        return self.user_response(user_disable(user=self.get_user(username)))

    @extend_schema(
        summary="Set a user's password",
        parameters=[USERNAME],
        request=s.UserPasswordInputSerializer,
        responses={200: s.UserOutputSerializer, **_errors(404)},
    )
    @action(detail=True, methods=["post"])
    def password(self, request: Request, pool_id: str, username: str) -> Response:
        data = _valid(s.UserPasswordInputSerializer, request).validated_data
        user = password_replace(
            user=self.get_user(username), password=data["password"], temporary=not data["permanent"]
        )
        return self.user_response(user)

    @extend_schema(
        methods=["GET"],
        summary="List the groups of a user",
        parameters=[USERNAME],
        responses={200: s.GroupOutputSerializer(many=True), **_errors(404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a user to a group",
        parameters=[USERNAME],
        request=s.UserGroupInputSerializer,
        responses={204: None, **_errors(404)},
    )
    @action(detail=True, methods=["get", "post"])
    def groups(self, request: Request, pool_id: str, username: str) -> Response:
        user = self.get_user(username)
        if request.method == "POST":
            name = _valid(s.UserGroupInputSerializer, request).validated_data["group"]
            user_add_to_group(user=user, group=group_get(pool=self.get_pool(), name=name))
            return Response(status=status.HTTP_204_NO_CONTENT)
        limit, cursor = self.page_arguments(request)
        groups, next_token = groups_for_user_page(user=user, limit=limit, next_token=cursor)
        data = s.GroupOutputSerializer(groups, many=True).data
        return self.page_response(request, data, next_token)

    @extend_schema(
        summary="Remove a user from a group",
        parameters=[
            USERNAME,
            OpenApiParameter("group_name", OpenApiTypes.STR, OpenApiParameter.PATH),
        ],
        request=None,
        responses={204: None, **_errors(404)},
    )
    @action(detail=True, methods=["delete"], url_path="groups/(?P<group_name>[^/]+)")
    def remove_from_group(
        self, request: Request, pool_id: str, username: str, group_name: str
    ) -> Response:
        user = self.get_user(username)
        group = group_get(pool=self.get_pool(), name=group_name)
        user_remove_from_group(user=user, group=group)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["GET"],
        summary="Get a user's MFA",
        parameters=[USERNAME],
        responses={200: s.UserMfaOutputSerializer, **_errors(404)},
    )
    @extend_schema(
        methods=["PATCH"],
        summary="Set a user's MFA preferences",
        description=(
            "As AdminSetUserMFAPreference: each factor sent is turned on or off and made or "
            "unmade the preferred one; factors left out keep their settings. A factor is turned "
            "on only if the pool allows it and the user can use it (a phone number, an email "
            "address, a verified authenticator app)."
        ),
        parameters=[USERNAME],
        request=s.UserMfaPreferenceInputSerializer,
        responses={200: s.UserMfaOutputSerializer, **_errors(404)},
    )
    @action(detail=True, methods=["get", "patch"])
    def mfa(self, request: Request, pool_id: str, username: str) -> Response:
        if request.method == "PATCH":
            preferences = _valid(s.UserMfaPreferenceInputSerializer, request).validated_data
            user = mfa_preference_set(user=self.get_user(username), preferences=preferences)
            return self.mfa_response(user)
        return self.mfa_response(self.get_user(username))

    @extend_schema(
        summary="Reset a user's MFA",
        description=(
            "Every factor off, no preferred one, the authenticator app forgotten: the user signs "
            "in with their password alone, or sets MFA up again where the pool requires it."
        ),
        parameters=[USERNAME],
        request=None,
        responses={200: s.UserMfaOutputSerializer, **_errors(404)},
    )
    @action(detail=True, methods=["post"], url_path="mfa/reset")
    def reset_mfa(self, request: Request, pool_id: str, username: str) -> Response:
        return self.mfa_response(mfa_reset(user=self.get_user(username)))

    @extend_schema(
        summary="List a user's remembered devices",
        description="The devices the user has confirmed (ConfirmDevice), as AdminListDevices.",
        parameters=[USERNAME],
        responses={200: s.DeviceOutputSerializer(many=True), **_errors(404)},
    )
    @action(detail=True, methods=["get"])
    def devices(self, request: Request, pool_id: str, username: str) -> Response:
        limit, cursor = self.page_arguments(request)
        devices, next_token = devices_page(
            user=self.get_user(username),
            limit=min(limit, MAX_DEVICES_PAGE),
            pagination_token=cursor,
        )
        data = s.DeviceOutputSerializer(devices, many=True).data
        return self.page_response(request, data, next_token)

    @extend_schema(
        summary="Forget a user's device",
        description=(
            "As AdminForgetDevice: the device key no longer signs in; the client library drops "
            "it and the next sign-in is from a new device, with MFA if the user has it."
        ),
        parameters=[
            USERNAME,
            OpenApiParameter("device_key", OpenApiTypes.STR, OpenApiParameter.PATH),
        ],
        request=None,
        responses={204: None, **_errors(404)},
    )
    @action(detail=True, methods=["delete"], url_path="devices/(?P<device_key>[^/]+)")
    def forget_device(
        self, request: Request, pool_id: str, username: str, device_key: str
    ) -> Response:
        device_forget(user=self.get_user(username), device_key=device_key)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Groups -----------------------------------------------------------------------------------

GROUP_NAME = OpenApiParameter(
    "name", OpenApiTypes.STR, OpenApiParameter.PATH, description="The group's name."
)


@extend_schema(tags=["groups"], parameters=[POOL_ID])
@extend_schema_view(
    retrieve=extend_schema(parameters=[GROUP_NAME]),
    partial_update=extend_schema(parameters=[GROUP_NAME]),
    destroy=extend_schema(parameters=[GROUP_NAME]),
    users=extend_schema(parameters=[GROUP_NAME]),
)
class GroupViewSet(PoolScopedViewSet):
    lookup_field = "name"
    iam_actions = {
        "list": "cognito-idp:ListGroups",
        "create": "cognito-idp:CreateGroup",
        "retrieve": "cognito-idp:GetGroup",
        "partial_update": "cognito-idp:UpdateGroup",
        "destroy": "cognito-idp:DeleteGroup",
        "users": "cognito-idp:ListUsersInGroup",
    }
    serializer_class = s.GroupOutputSerializer
    input_serializers = {
        "create": s.GroupCreateInputSerializer,
        "partial_update": s.GroupUpdateInputSerializer,
    }

    def get_queryset(self) -> QuerySet[Group]:
        return Group.objects.filter(pool=self.get_pool())

    def get_group(self, name: str) -> Group:
        return group_get(pool=self.get_pool(), name=name)

    @extend_schema(
        summary="List groups", responses={200: s.GroupOutputSerializer(many=True), **_errors(404)}
    )
    def list(self, request: Request, pool_id: str) -> Response:
        limit, cursor = self.page_arguments(request)
        groups, next_token = groups_page(pool=self.get_pool(), limit=limit, next_token=cursor)
        data = s.GroupOutputSerializer(groups, many=True).data
        return self.page_response(request, data, next_token)

    @extend_schema(
        summary="Create a group",
        request=s.GroupCreateInputSerializer,
        responses={201: s.GroupOutputSerializer, **_errors(404, 409)},
    )
    def create(self, request: Request, pool_id: str) -> Response:
        data = _valid(s.GroupCreateInputSerializer, request).validated_data
        group = group_create(pool=self.get_pool(), **data)
        return Response(s.GroupOutputSerializer(group).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Get a group", responses={200: s.GroupOutputSerializer, **_errors(404)})
    def retrieve(self, request: Request, pool_id: str, name: str) -> Response:
        return Response(s.GroupOutputSerializer(self.get_group(name)).data)

    @extend_schema(
        summary="Change a group",
        request=s.GroupUpdateInputSerializer,
        responses={200: s.GroupOutputSerializer, **_errors(404)},
    )
    def partial_update(self, request: Request, pool_id: str, name: str) -> Response:
        group = self.get_group(name)
        current = {
            "description": group.description,
            "precedence": group.precedence,
            "role_arn": group.role_arn,
        }
        group = group_update(
            group=group, **self.patched(request, s.GroupUpdateInputSerializer, current)
        )
        return Response(s.GroupOutputSerializer(group).data)

    @extend_schema(summary="Delete a group", responses={204: None, **_errors(404)})
    def destroy(self, request: Request, pool_id: str, name: str) -> Response:
        group_delete(group=self.get_group(name))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="List the users in a group",
        responses={200: s.UserOutputSerializer(many=True), **_errors(404)},
    )
    @action(detail=True, methods=["get"])
    def users(self, request: Request, pool_id: str, name: str) -> Response:
        group = self.get_group(name)
        limit, cursor = self.page_arguments(request)
        users, next_token = users_in_group_page(group=group, limit=limit, next_token=cursor)
        data = s.UserOutputSerializer(users_identities_prefetch(users), many=True).data
        return self.page_response(request, data, next_token)


# --- App clients ------------------------------------------------------------------------------

CLIENT_ID = OpenApiParameter(
    "client_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The app client's id."
)


@extend_schema(tags=["app clients"], parameters=[POOL_ID])
@extend_schema_view(
    retrieve=extend_schema(parameters=[CLIENT_ID]),
    partial_update=extend_schema(parameters=[CLIENT_ID]),
    destroy=extend_schema(parameters=[CLIENT_ID]),
)
class AppClientViewSet(PoolScopedViewSet):
    lookup_field = "client_id"
    iam_actions = {
        "list": "cognito-idp:ListUserPoolClients",
        "create": "cognito-idp:CreateUserPoolClient",
        "retrieve": "cognito-idp:DescribeUserPoolClient",
        "partial_update": "cognito-idp:UpdateUserPoolClient",
        "destroy": "cognito-idp:DeleteUserPoolClient",
        "secrets": {
            "GET": "cognito-idp:ListUserPoolClientSecrets",
            "POST": "cognito-idp:AddUserPoolClientSecret",
        },
        "delete_secret": "cognito-idp:DeleteUserPoolClientSecret",
        "session_config": {
            "GET": "cognito-idp:GetUserPoolClientSessionConfiguration",
            "PUT": "cognito-idp:SetUserPoolClientSessionConfiguration",
        },
    }
    serializer_class = s.AppClientOutputSerializer
    input_serializers = {
        "create": s.AppClientCreateInputSerializer,
        "partial_update": s.AppClientUpdateInputSerializer,
        "session_config": s.AppClientSessionConfigSerializer,
    }

    def get_queryset(self) -> QuerySet[AppClient]:
        return AppClient.objects.filter(pool=self.get_pool())

    def get_client(self, client_id: str) -> AppClient:
        return app_client_get(pool=self.get_pool(), client_id=client_id)

    @staticmethod
    def client_data(client: AppClient) -> Any:
        return s.AppClientOutputSerializer(app_client_shape(client, include_secret=False)).data

    @extend_schema(
        summary="List app clients",
        responses={200: s.AppClientOutputSerializer(many=True), **_errors(404)},
    )
    def list(self, request: Request, pool_id: str) -> Response:
        limit, cursor = self.page_arguments(request)
        clients, next_token = app_clients_page(
            pool=self.get_pool(), max_results=limit, next_token=cursor
        )
        return self.page_response(request, [self.client_data(c) for c in clients], next_token)

    @extend_schema(
        summary="Create an app client",
        description="With `generate_secret`, the secret is in this response and never again.",
        request=s.AppClientCreateInputSerializer,
        responses={201: s.AppClientCreatedOutputSerializer, **_errors(404)},
    )
    def create(self, request: Request, pool_id: str) -> Response:
        settings = dict(_valid(s.AppClientCreateInputSerializer, request).validated_data)
        client, secret = app_client_create(
            pool=self.get_pool(), name=settings.pop("ClientName"), settings=settings
        )
        shape = {**app_client_shape(client, include_secret=False), "ClientSecret": secret}
        data = s.AppClientCreatedOutputSerializer(shape).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Describe an app client",
        responses={200: s.AppClientOutputSerializer, **_errors(404)},
    )
    def retrieve(self, request: Request, pool_id: str, client_id: str) -> Response:
        return Response(self.client_data(self.get_client(client_id)))

    @extend_schema(
        summary="Change an app client",
        description="Only the members sent change; nested objects merge member by member.",
        request=s.AppClientUpdateInputSerializer,
        responses={200: s.AppClientOutputSerializer, **_errors(404)},
    )
    def partial_update(self, request: Request, pool_id: str, client_id: str) -> Response:
        client = self.get_client(client_id)
        current = _settings(
            app_client_shape(client, include_secret=False), operation="UpdateUserPoolClient"
        )
        settings = self.patched(request, s.AppClientUpdateInputSerializer, current)
        return Response(self.client_data(app_client_update(client=client, settings=settings)))

    @extend_schema(summary="Delete an app client", responses={204: None, **_errors(404)})
    def destroy(self, request: Request, pool_id: str, client_id: str) -> Response:
        app_client_delete(client=self.get_client(client_id))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["GET"],
        summary="Get an app client's session configuration",
        responses={200: s.AppClientSessionConfigSerializer, **_errors(404)},
    )
    @extend_schema(
        methods=["PUT"],
        summary="Set an app client's session configuration",
        description=(
            "As SetUserPoolClientSessionConfiguration: only while the pool tracks sessions, "
            "Essentials and Plus pools only."
        ),
        request=s.AppClientSessionConfigSerializer,
        responses={200: s.AppClientSessionConfigSerializer, **_errors(404)},
    )
    @action(detail=True, methods=["get", "put"], url_path="session-config")
    def session_config(self, request: Request, pool_id: str, client_id: str) -> Response:
        client = self.get_client(client_id)
        if request.method == "PUT":
            given = _valid(s.AppClientSessionConfigSerializer, request).validated_data
            client = app_client_session_configuration_set(
                client=client, sso_session=given["SSOSession"]
            )
        shape = app_client_session_configuration_shape(client)
        return Response(s.AppClientSessionConfigSerializer(shape).data)

    @extend_schema(
        methods=["GET"],
        summary="List an app client's secrets",
        description="Ids and dates only, never the secrets.",
        request=None,
        responses={200: s.ClientSecretOutputSerializer(many=True), **_errors(404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a client secret (rotation)",
        description="A confidential client holds at most two; both are valid until one is "
        "deleted. A generated secret is in this response and never again.",
        request=s.ClientSecretAddInputSerializer,
        responses={201: s.ClientSecretAddedOutputSerializer, **_errors(404)},
    )
    @action(detail=True, methods=["get", "post"])
    def secrets(self, request: Request, pool_id: str, client_id: str) -> Response:
        client = self.get_client(client_id)
        if request.method == "POST":
            given = _valid(s.ClientSecretAddInputSerializer, request).validated_data
            secret, generated = app_client_secret_add(
                client=client, secret=given.get("ClientSecret")
            )
            shape = client_secret_descriptor_shape(secret, value=generated)
            return Response(
                s.ClientSecretAddedOutputSerializer(shape).data, status=status.HTTP_201_CREATED
            )
        shapes = [client_secret_descriptor_shape(row) for row in app_client_secrets(client=client)]
        # One page (a client has at most two), in the shape of every list of this API.
        return self.page_response(
            request, s.ClientSecretOutputSerializer(shapes, many=True).data, None
        )

    @extend_schema(
        summary="Delete a client secret",
        description="Never the client's last one.",
        parameters=[OpenApiParameter("secret_id", OpenApiTypes.STR, OpenApiParameter.PATH)],
        request=None,
        responses={204: None, **_errors(404)},
    )
    @action(detail=True, methods=["delete"], url_path="secrets/(?P<secret_id>[^/]+)")
    def delete_secret(
        self, request: Request, pool_id: str, client_id: str, secret_id: str
    ) -> Response:
        app_client_secret_delete(client=self.get_client(client_id), secret_id=secret_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Resource servers -------------------------------------------------------------------------

IDENTIFIER = OpenApiParameter(
    "identifier",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The resource server's identifier, URL-encoded (`https%3A%2F%2Fapi.example.com`).",
)


@extend_schema(tags=["resource servers"], parameters=[POOL_ID])
@extend_schema_view(
    retrieve=extend_schema(parameters=[IDENTIFIER]),
    partial_update=extend_schema(parameters=[IDENTIFIER]),
    destroy=extend_schema(parameters=[IDENTIFIER]),
)
class ResourceServerViewSet(PoolScopedViewSet):
    lookup_field = "identifier"
    iam_actions = {
        "list": "cognito-idp:ListResourceServers",
        "create": "cognito-idp:CreateResourceServer",
        "retrieve": "cognito-idp:DescribeResourceServer",
        "partial_update": "cognito-idp:UpdateResourceServer",
        "destroy": "cognito-idp:DeleteResourceServer",
    }
    # Identifiers are usually URLs: once the server decodes the path they contain slashes.
    lookup_value_regex = ".+"
    max_limit = MAX_RESOURCE_SERVERS_PAGE
    serializer_class = s.ResourceServerOutputSerializer
    input_serializers = {
        "create": s.ResourceServerCreateInputSerializer,
        "partial_update": s.ResourceServerUpdateInputSerializer,
    }

    def get_queryset(self) -> QuerySet[ResourceServer]:
        return ResourceServer.objects.filter(pool=self.get_pool())

    def get_server(self, identifier: str) -> ResourceServer:
        return resource_server_get(pool=self.get_pool(), identifier=identifier)

    @extend_schema(
        summary="List resource servers",
        responses={200: s.ResourceServerOutputSerializer(many=True), **_errors(404)},
    )
    def list(self, request: Request, pool_id: str) -> Response:
        limit, cursor = self.page_arguments(request)
        servers, next_token = resource_servers_page(
            pool=self.get_pool(), max_results=limit, next_token=cursor
        )
        data = s.ResourceServerOutputSerializer(servers, many=True).data
        return self.page_response(request, data, next_token)

    @extend_schema(
        summary="Create a resource server",
        request=s.ResourceServerCreateInputSerializer,
        responses={201: s.ResourceServerOutputSerializer, **_errors(404)},
    )
    def create(self, request: Request, pool_id: str) -> Response:
        data = _valid(s.ResourceServerCreateInputSerializer, request).validated_data
        server = resource_server_create(pool=self.get_pool(), **data)
        return Response(
            s.ResourceServerOutputSerializer(server).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Describe a resource server",
        responses={200: s.ResourceServerOutputSerializer, **_errors(404)},
    )
    def retrieve(self, request: Request, pool_id: str, identifier: str) -> Response:
        return Response(s.ResourceServerOutputSerializer(self.get_server(identifier)).data)

    @extend_schema(
        summary="Change a resource server",
        description="`scopes`, when sent, replaces the whole list.",
        request=s.ResourceServerUpdateInputSerializer,
        responses={200: s.ResourceServerOutputSerializer, **_errors(404)},
    )
    def partial_update(self, request: Request, pool_id: str, identifier: str) -> Response:
        server = self.get_server(identifier)
        current = {"name": server.name, "scopes": server.scopes}
        server = resource_server_update(
            server=server, **self.patched(request, s.ResourceServerUpdateInputSerializer, current)
        )
        return Response(s.ResourceServerOutputSerializer(server).data)

    @extend_schema(summary="Delete a resource server", responses={204: None, **_errors(404)})
    def destroy(self, request: Request, pool_id: str, identifier: str) -> Response:
        resource_server_delete(server=self.get_server(identifier))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Domains ----------------------------------------------------------------------------------

DOMAIN = OpenApiParameter(
    "domain", OpenApiTypes.STR, OpenApiParameter.PATH, description="The domain (prefix or name)."
)


class OnePageSchema(AutoSchema):
    """The schema of a viewset whose list is one page object (`results`, `next`), not an array
    for a paginator to wrap."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        return False


@extend_schema(tags=["domains"], parameters=[POOL_ID])
@extend_schema_view(
    retrieve=extend_schema(parameters=[DOMAIN]),
    partial_update=extend_schema(parameters=[DOMAIN]),
    destroy=extend_schema(parameters=[DOMAIN]),
)
class DomainViewSet(PoolScopedViewSet):
    lookup_field = "domain"
    iam_actions = {
        # Cognito has no list of a pool's domains; listing is describing each of them.
        "list": "cognito-idp:DescribeUserPoolDomain",
        "create": "cognito-idp:CreateUserPoolDomain",
        "retrieve": "cognito-idp:DescribeUserPoolDomain",
        "partial_update": "cognito-idp:UpdateUserPoolDomain",
        "destroy": "cognito-idp:DeleteUserPoolDomain",
    }
    # A pool has at most one prefix and one custom domain: the list is always one page.
    pagination_class = None
    schema = OnePageSchema()
    serializer_class = s.DomainOutputSerializer
    input_serializers = {
        "create": s.DomainCreateInputSerializer,
        "partial_update": s.DomainUpdateInputSerializer,
    }

    def get_queryset(self) -> QuerySet[Domain]:
        return Domain.objects.filter(pool=self.get_pool())

    @extend_schema(
        summary="List domains",
        operation_id="pools_domains_list",
        responses={200: s.DomainPageOutputSerializer, **_errors(404)},
    )
    def list(self, request: Request, pool_id: str) -> Response:
        domains = [domain_shape(domain) for domain in self.get_queryset()]
        return Response(s.DomainPageOutputSerializer({"results": domains, "next": None}).data)

    @extend_schema(
        summary="Create a domain",
        request=s.DomainCreateInputSerializer,
        responses={201: s.DomainOutputSerializer, **_errors(404)},
    )
    def create(self, request: Request, pool_id: str) -> Response:
        data = _valid(s.DomainCreateInputSerializer, request).validated_data
        domain = domain_create(pool=self.get_pool(), **data)
        return Response(
            s.DomainOutputSerializer(domain_shape(domain)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Describe a domain", responses={200: s.DomainOutputSerializer, **_errors(404)}
    )
    def retrieve(self, request: Request, pool_id: str, domain: str) -> Response:
        return Response(
            s.DomainOutputSerializer(
                domain_shape(domain_get(pool=self.get_pool(), domain=domain))
            ).data
        )

    @extend_schema(
        summary="Change a domain",
        request=s.DomainUpdateInputSerializer,
        responses={200: s.DomainOutputSerializer, **_errors(404)},
    )
    def partial_update(self, request: Request, pool_id: str, domain: str) -> Response:
        found = domain_get(pool=self.get_pool(), domain=domain)
        current: dict[str, Any] = {"managed_login_version": found.managed_login_version}
        if found.is_custom:
            current["custom_domain_config"] = {"CertificateArn": found.certificate_arn}
        changes = self.patched(request, s.DomainUpdateInputSerializer, current)
        updated = domain_update(pool=self.get_pool(), domain=domain, **changes)
        return Response(s.DomainOutputSerializer(domain_shape(updated)).data)

    @extend_schema(summary="Delete a domain", responses={204: None, **_errors(404)})
    def destroy(self, request: Request, pool_id: str, domain: str) -> Response:
        domain_delete(pool=self.get_pool(), domain=domain)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Deliveries -------------------------------------------------------------------------------

DELIVERY_ID = OpenApiParameter(
    "delivery_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The record's id."
)


@extend_schema(tags=["deliveries"], parameters=[POOL_ID])
@extend_schema_view(retrieve=extend_schema(parameters=[DELIVERY_ID]))
class DeliveryViewSet(PoolScopedViewSet):
    """The messages sent to the pool's users: verification codes, invitations."""

    lookup_field = "delivery_id"
    # Bounded: a longer number names no record and would overflow the database's integer.
    lookup_value_regex = "[0-9]{1,18}"
    iam_actions = {"list": LIST_DELIVERIES, "retrieve": LIST_DELIVERIES}
    max_limit = MAX_DELIVERIES_PAGE
    serializer_class = s.DeliveryOutputSerializer

    @extend_schema(
        summary="List deliveries",
        parameters=[s.DeliveryQueryInputSerializer],
        responses={200: s.DeliveryOutputSerializer(many=True), **_errors(404)},
    )
    def list(self, request: Request, pool_id: str) -> Response:
        query = s.DeliveryQueryInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        deliveries, next_token = deliveries_page(
            pool=self.get_pool(),
            limit=filters.get("limit", self.max_limit),
            next_token=filters.get("cursor"),
            status=filters.get("status"),
            kind=filters.get("kind"),
            channel=filters.get("channel"),
        )
        data = s.DeliveryOutputSerializer(deliveries, many=True).data
        return self.page_response(request, data, next_token)

    @extend_schema(
        summary="Describe a delivery", responses={200: s.DeliveryOutputSerializer, **_errors(404)}
    )
    def retrieve(self, request: Request, pool_id: str, delivery_id: str) -> Response:
        delivery = delivery_get(pool=self.get_pool(), delivery_id=int(delivery_id))
        return Response(s.DeliveryOutputSerializer(delivery).data)
