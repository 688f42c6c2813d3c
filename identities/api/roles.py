"""The management API of IAM roles and managed policies (/api/v1/iam/roles/, /api/v1/iam/policies/).

Roles and policies are named by name in the paths (names are unique in the account); a role's
inline policies are under it (`iam/roles/{name}/policies/{policy}/`, PUT adds or replaces one, as
PutRolePolicy), and so are its attached policies (`attached-policies/`: POST attaches a policy by
ARN, DELETE detaches one by name). Documents are sent and answered as JSON objects (a JSON text is
taken too) and stored canonical. Each view action declares the IAM action it performs; errors are
the services' own, rendered by `cognitoadmin.errors`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from cognitoadmin.authorization import ACCOUNT
from identities.aws.resources import policy_arn_of, role_arn_of
from identities.models import ManagedPolicy, Role, RolePolicy
from identities.selectors.roles import (
    DEFAULT_MAX_ITEMS,
    DEFAULT_VERSION_ID,
    MAX_ITEMS,
    managed_policies_page,
    managed_policy_attachment_count,
    managed_policy_get,
    managed_policy_get_by_arn,
    role_attached_policies_page,
    role_get,
    role_policies_page,
    role_policy_get,
    roles_page,
)
from identities.services.roles import (
    UPDATE_POLICY,
    managed_policy_create,
    managed_policy_delete,
    managed_policy_update,
    role_create,
    role_delete,
    role_policy_attach,
    role_policy_delete,
    role_policy_detach,
    role_policy_put,
    role_update,
    role_update_assume_role_policy,
)
from pools.api.serializers import (
    ErrorOutputSerializer,
    QueryInputSerializer,
    StrictInputSerializer,
)
from pools.api.views import ServiceCursorPagination, ServiceViewSet

# --- Serializers ---------------------------------------------------------------------------------


class _TextField(serializers.CharField):
    """Text only: DRF's CharField would take the number 5 for the name "5"."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def _text(**kwargs: Any) -> serializers.CharField:
    # Values reach the services as sent: IAM's patterns decide what they may hold.
    kwargs.setdefault("trim_whitespace", False)
    return _TextField(**kwargs)


def _document(**kwargs: Any) -> serializers.JSONField:
    kwargs.setdefault("help_text", "An IAM policy document: a JSON object, or its JSON text.")
    return serializers.JSONField(**kwargs)


class TagInputSerializer(StrictInputSerializer):
    key = _text(source="Key")
    value = _text(source="Value", allow_blank=True)


class RoleOutputSerializer(serializers.ModelSerializer[Role]):
    arn = serializers.CharField(read_only=True)
    assume_role_policy_document = serializers.JSONField(source="assume_role_policy", read_only=True)
    tags = serializers.DictField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Role
        fields = [
            "name",
            "role_id",
            "arn",
            "path",
            "description",
            "assume_role_policy_document",
            "max_session_duration",
            "tags",
            "created_at",
            "last_used_at",
        ]
        read_only_fields = fields


class RoleCreateInputSerializer(StrictInputSerializer):
    name = _text()
    path = _text(required=False)
    assume_role_policy_document = _document()
    description = _text(required=False, allow_blank=True)
    max_session_duration = serializers.IntegerField(required=False)
    tags = TagInputSerializer(many=True, required=False)


class RoleUpdateInputSerializer(StrictInputSerializer):
    description = _text(required=False, allow_blank=True)
    max_session_duration = serializers.IntegerField(required=False)


class TrustPolicyInputSerializer(StrictInputSerializer):
    document = _document()


class TrustPolicyOutputSerializer(serializers.Serializer[Role]):
    document = serializers.JSONField(source="assume_role_policy", read_only=True)


class RoleListQueryInputSerializer(QueryInputSerializer):
    path_prefix = _text(required=False, help_text="Only roles whose path starts so.")


class RolePolicyOutputSerializer(serializers.ModelSerializer[RolePolicy]):
    class Meta:
        model = RolePolicy
        fields = ["name", "document"]
        read_only_fields = fields


class RolePolicyNameOutputSerializer(serializers.ModelSerializer[RolePolicy]):
    class Meta:
        model = RolePolicy
        fields = ["name"]
        read_only_fields = fields


class RolePolicyPutInputSerializer(StrictInputSerializer):
    document = _document()


class ManagedPolicyOutputSerializer(serializers.ModelSerializer[ManagedPolicy]):
    arn = serializers.CharField(read_only=True)
    default_version_id = serializers.SerializerMethodField()
    attachment_count = serializers.SerializerMethodField()
    tags = serializers.DictField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = ManagedPolicy
        fields = [
            "name",
            "policy_id",
            "arn",
            "path",
            "description",
            "document",
            "default_version_id",
            "attachment_count",
            "tags",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_default_version_id(self, policy: ManagedPolicy) -> str:
        return DEFAULT_VERSION_ID

    def get_attachment_count(self, policy: ManagedPolicy) -> int:
        return managed_policy_attachment_count(policy)


class ManagedPolicyCreateInputSerializer(StrictInputSerializer):
    name = _text()
    path = _text(required=False)
    document = _document()
    description = _text(required=False, allow_blank=True)
    tags = TagInputSerializer(many=True, required=False)


class ManagedPolicyUpdateInputSerializer(StrictInputSerializer):
    description = _text(required=False, allow_blank=True)
    document = _document(required=False)


class ManagedPolicyListQueryInputSerializer(QueryInputSerializer):
    path_prefix = _text(required=False, help_text="Only policies whose path starts so.")
    only_attached = serializers.BooleanField(
        required=False, default=False, help_text="Only policies attached to a role."
    )


class AttachedPolicyOutputSerializer(serializers.ModelSerializer[ManagedPolicy]):
    arn = serializers.CharField(read_only=True)

    class Meta:
        model = ManagedPolicy
        fields = ["name", "arn"]
        read_only_fields = fields


class AttachPolicyInputSerializer(StrictInputSerializer):
    policy_arn = _text(help_text="The managed policy's ARN.")


# --- Views ---------------------------------------------------------------------------------------


def _errors(*statuses: int) -> dict[int, type[ErrorOutputSerializer]]:
    return {code: ErrorOutputSerializer for code in (400, 401, 403, *statuses)}


def _valid(serializer_class: type[serializers.Serializer[Any]], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    validated: dict[str, Any] = serializer.validated_data
    return validated


ROLE_NAME = OpenApiParameter(
    "name", OpenApiTypes.STR, OpenApiParameter.PATH, description="The role's name."
)
PARENT_ROLE_NAME = OpenApiParameter(
    "role_name", OpenApiTypes.STR, OpenApiParameter.PATH, description="The role's name."
)
INLINE_POLICY_NAME = OpenApiParameter(
    "name", OpenApiTypes.STR, OpenApiParameter.PATH, description="The inline policy's name."
)
POLICY_NAME = OpenApiParameter(
    "name", OpenApiTypes.STR, OpenApiParameter.PATH, description="The managed policy's name."
)


class IamViewSet(ServiceViewSet):
    """Base of the IAM views: pages of up to IAM's 1,000 items (100 unless asked)."""

    max_limit = MAX_ITEMS

    def page_arguments(self, request: Request) -> dict[str, Any]:
        limit, cursor = ServiceCursorPagination().page_arguments(
            request, default_limit=DEFAULT_MAX_ITEMS
        )
        return {"max_items": limit, "marker": cursor}

    def page_response(self, request: Request, results: Any, marker: str | None) -> Response:
        return ServiceCursorPagination().page_response(request, results, marker)

    def query(self, serializer_class: type[serializers.Serializer[Any]]) -> dict[str, Any]:
        return _valid(serializer_class, self.request.query_params)


@extend_schema(tags=["iam roles"])
@extend_schema_view(
    retrieve=extend_schema(parameters=[ROLE_NAME]),
    partial_update=extend_schema(parameters=[ROLE_NAME]),
    destroy=extend_schema(parameters=[ROLE_NAME]),
    trust_policy=extend_schema(parameters=[ROLE_NAME]),
    attached_policies=extend_schema(parameters=[ROLE_NAME]),
    detach_policy=extend_schema(parameters=[ROLE_NAME]),
)
class RoleViewSet(IamViewSet):
    lookup_field = "name"
    iam_actions = {
        "list": "iam:ListRoles",
        "create": "iam:CreateRole",
        "retrieve": "iam:GetRole",
        "partial_update": "iam:UpdateRole",
        "destroy": "iam:DeleteRole",
        "trust_policy": {"GET": "iam:GetRole", "PUT": "iam:UpdateAssumeRolePolicy"},
        "attached_policies": {
            "GET": "iam:ListAttachedRolePolicies",
            "POST": "iam:AttachRolePolicy",
        },
        "detach_policy": "iam:DetachRolePolicy",
    }
    serializer_class = RoleOutputSerializer
    input_serializers = {
        "create": RoleCreateInputSerializer,
        "partial_update": RoleUpdateInputSerializer,
        "trust_policy": TrustPolicyInputSerializer,
        "attached_policies": AttachPolicyInputSerializer,
    }

    def get_queryset(self) -> Any:
        return Role.objects.all()

    def iam_resource(self) -> str:
        # As on the AWS endpoint, a role named without its path is named at `/`.
        name = self.kwargs.get("name")
        return role_arn_of(path="/", name=name) if name else ACCOUNT

    @extend_schema(
        summary="List roles",
        parameters=[RoleListQueryInputSerializer],
        responses={200: RoleOutputSerializer(many=True), **_errors()},
    )
    def list(self, request: Request) -> Response:
        roles, marker = roles_page(
            path_prefix=self.query(RoleListQueryInputSerializer).get("path_prefix"),
            **self.page_arguments(request),
        )
        return self.page_response(request, RoleOutputSerializer(roles, many=True).data, marker)

    @extend_schema(
        summary="Create a role",
        request=RoleCreateInputSerializer,
        responses={201: RoleOutputSerializer, **_errors(409)},
    )
    def create(self, request: Request) -> Response:
        data = _valid(RoleCreateInputSerializer, request.data)
        role = role_create(**data)
        return Response(RoleOutputSerializer(role).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Get a role", responses={200: RoleOutputSerializer, **_errors(404)})
    def retrieve(self, request: Request, name: str) -> Response:
        return Response(RoleOutputSerializer(role_get(name=name)).data)

    @extend_schema(
        summary="Change a role's description or maximum session duration",
        description="Only the members sent change.",
        request=RoleUpdateInputSerializer,
        responses={200: RoleOutputSerializer, **_errors(404)},
    )
    def partial_update(self, request: Request, name: str) -> Response:
        role = role_get(name=name)
        data = _valid(RoleUpdateInputSerializer, request.data)
        role = role_update(
            role=role,
            description=data.get("description"),
            # UpdateRole resets a duration it is not given; a PATCH keeps it.
            max_session_duration=data.get("max_session_duration", role.max_session_duration),
        )
        return Response(RoleOutputSerializer(role).data)

    @extend_schema(
        summary="Delete a role",
        description="Refused while the role has inline or attached policies.",
        responses={204: None, **_errors(404, 409)},
    )
    def destroy(self, request: Request, name: str) -> Response:
        role_delete(role=role_get(name=name))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["GET"],
        summary="Get a role's trust policy",
        responses={200: TrustPolicyOutputSerializer, **_errors(404)},
    )
    @extend_schema(
        methods=["PUT"],
        summary="Replace a role's trust policy",
        request=TrustPolicyInputSerializer,
        responses={200: TrustPolicyOutputSerializer, **_errors(404)},
    )
    @action(detail=True, methods=["get", "put"], url_path="trust-policy")
    def trust_policy(self, request: Request, name: str) -> Response:
        role = role_get(name=name)
        if request.method == "PUT":
            document = _valid(TrustPolicyInputSerializer, request.data)["document"]
            role = role_update_assume_role_policy(role=role, document=document)
        return Response(TrustPolicyOutputSerializer(role).data)

    @extend_schema(
        methods=["GET"],
        summary="List the managed policies attached to a role",
        responses={200: AttachedPolicyOutputSerializer(many=True), **_errors(404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Attach a managed policy to a role",
        description="Attaching an attached policy again changes nothing.",
        request=AttachPolicyInputSerializer,
        responses={200: AttachedPolicyOutputSerializer(many=True), **_errors(404)},
    )
    @action(detail=True, methods=["get", "post"], url_path="attached-policies")
    def attached_policies(self, request: Request, name: str) -> Response:
        role = role_get(name=name)
        if request.method == "POST":
            arn = _valid(AttachPolicyInputSerializer, request.data)["policy_arn"]
            policy = managed_policy_get_by_arn(arn=arn, attachable=True)
            role_policy_attach(role=role, policy=policy)
        policies, marker = role_attached_policies_page(role=role, **self.page_arguments(request))
        data = AttachedPolicyOutputSerializer(policies, many=True).data
        return self.page_response(request, data, marker)

    @extend_schema(
        summary="Detach a managed policy from a role",
        parameters=[
            OpenApiParameter(
                "policy_name",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="The managed policy's name.",
            )
        ],
        responses={204: None, **_errors(404)},
    )
    @action(detail=True, methods=["delete"], url_path="attached-policies/(?P<policy_name>[^/]+)")
    def detach_policy(self, request: Request, name: str, policy_name: str) -> Response:
        role = role_get(name=name)
        role_policy_detach(role=role, policy=managed_policy_get(name=policy_name))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["iam roles"], parameters=[PARENT_ROLE_NAME])
@extend_schema_view(
    retrieve=extend_schema(parameters=[INLINE_POLICY_NAME]),
    update=extend_schema(parameters=[INLINE_POLICY_NAME]),
    destroy=extend_schema(parameters=[INLINE_POLICY_NAME]),
)
class RolePolicyViewSet(IamViewSet):
    """A role's inline policies."""

    lookup_field = "name"
    iam_actions = {
        "list": "iam:ListRolePolicies",
        "retrieve": "iam:GetRolePolicy",
        "update": "iam:PutRolePolicy",
        "destroy": "iam:DeleteRolePolicy",
    }
    serializer_class = RolePolicyOutputSerializer
    input_serializers = {"update": RolePolicyPutInputSerializer}

    def get_queryset(self) -> Any:
        return RolePolicy.objects.all()

    def iam_resource(self) -> str:
        return role_arn_of(path="/", name=self.kwargs["role_name"])

    @extend_schema(
        summary="List a role's inline policies (their names)",
        responses={200: RolePolicyNameOutputSerializer(many=True), **_errors(404)},
    )
    def list(self, request: Request, role_name: str) -> Response:
        policies, marker = role_policies_page(
            role=role_get(name=role_name), **self.page_arguments(request)
        )
        data = RolePolicyNameOutputSerializer(policies, many=True).data
        return self.page_response(request, data, marker)

    @extend_schema(
        summary="Get an inline policy",
        responses={200: RolePolicyOutputSerializer, **_errors(404)},
    )
    def retrieve(self, request: Request, role_name: str, name: str) -> Response:
        policy = role_policy_get(role=role_get(name=role_name), name=name)
        return Response(RolePolicyOutputSerializer(policy).data)

    @extend_schema(
        summary="Add or replace an inline policy",
        request=RolePolicyPutInputSerializer,
        responses={200: RolePolicyOutputSerializer, **_errors(404)},
    )
    def update(self, request: Request, role_name: str, name: str) -> Response:
        role = role_get(name=role_name)
        document = _valid(RolePolicyPutInputSerializer, request.data)["document"]
        policy = role_policy_put(role=role, name=name, document=document)
        return Response(RolePolicyOutputSerializer(policy).data)

    @extend_schema(summary="Delete an inline policy", responses={204: None, **_errors(404)})
    def destroy(self, request: Request, role_name: str, name: str) -> Response:
        role_policy_delete(policy=role_policy_get(role=role_get(name=role_name), name=name))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["iam policies"])
@extend_schema_view(
    retrieve=extend_schema(parameters=[POLICY_NAME]),
    partial_update=extend_schema(parameters=[POLICY_NAME]),
    destroy=extend_schema(parameters=[POLICY_NAME]),
)
class ManagedPolicyViewSet(IamViewSet):
    lookup_field = "name"
    iam_actions = {
        "list": "iam:ListPolicies",
        "create": "iam:CreatePolicy",
        "retrieve": "iam:GetPolicy",
        "partial_update": UPDATE_POLICY,
        "destroy": "iam:DeletePolicy",
    }
    serializer_class = ManagedPolicyOutputSerializer
    input_serializers = {
        "create": ManagedPolicyCreateInputSerializer,
        "partial_update": ManagedPolicyUpdateInputSerializer,
    }

    def get_queryset(self) -> Any:
        return ManagedPolicy.objects.all()

    def iam_resource(self) -> str:
        name = self.kwargs.get("name")
        return policy_arn_of(path="/", name=name) if name else ACCOUNT

    @extend_schema(
        summary="List managed policies",
        parameters=[ManagedPolicyListQueryInputSerializer],
        responses={200: ManagedPolicyOutputSerializer(many=True), **_errors()},
    )
    def list(self, request: Request) -> Response:
        query = self.query(ManagedPolicyListQueryInputSerializer)
        policies, marker = managed_policies_page(
            only_attached=query["only_attached"],
            path_prefix=query.get("path_prefix"),
            **self.page_arguments(request),
        )
        data = ManagedPolicyOutputSerializer(policies, many=True).data
        return self.page_response(request, data, marker)

    @extend_schema(
        summary="Create a managed policy",
        request=ManagedPolicyCreateInputSerializer,
        responses={201: ManagedPolicyOutputSerializer, **_errors(409)},
    )
    def create(self, request: Request) -> Response:
        policy = managed_policy_create(**_valid(ManagedPolicyCreateInputSerializer, request.data))
        return Response(ManagedPolicyOutputSerializer(policy).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Get a managed policy",
        responses={200: ManagedPolicyOutputSerializer, **_errors(404)},
    )
    def retrieve(self, request: Request, name: str) -> Response:
        return Response(ManagedPolicyOutputSerializer(managed_policy_get(name=name)).data)

    @extend_schema(
        summary="Change a managed policy's description or document",
        description=(
            "The policy keeps its one version, `v1`: a new document replaces it, and applies at "
            "once to every role the policy is attached to. Only the members sent change."
        ),
        request=ManagedPolicyUpdateInputSerializer,
        responses={200: ManagedPolicyOutputSerializer, **_errors(404)},
    )
    def partial_update(self, request: Request, name: str) -> Response:
        policy = managed_policy_get(name=name)
        data = _valid(ManagedPolicyUpdateInputSerializer, request.data)
        policy = managed_policy_update(policy=policy, **data)
        return Response(ManagedPolicyOutputSerializer(policy).data)

    @extend_schema(
        summary="Delete a managed policy",
        description="Refused while the policy is attached to a role.",
        responses={204: None, **_errors(404, 409)},
    )
    def destroy(self, request: Request, name: str) -> Response:
        managed_policy_delete(policy=managed_policy_get(name=name))
        return Response(status=status.HTTP_204_NO_CONTENT)
