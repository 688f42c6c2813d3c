"""The management API of an identity pool's conflict rules and conflict log
(/api/v1/identity-pools/{pool_id}/conflict-rules/ and .../conflicts/).

The actions are cognito-sync's, on the pool's cognito-sync ARN, as its datasets' operations are.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from cognitoadmin.authorization import ACCOUNT
from identities.api.identity_pools import POOL_ID, IdentityPoolScopedViewSet
from pools.api.serializers import ErrorOutputSerializer
from pools.selectors.pages import keyset_page
from sync.api.serializers import (
    ConflictOutputSerializer,
    ConflictQueryInputSerializer,
    ConflictRuleInputSerializer,
    ConflictRuleOutputSerializer,
)
from sync.aws import identity_pool_arn
from sync.selectors.conflicts import (
    conflict_get,
    conflict_rule_get,
    conflict_rules_list,
    conflicts_list,
)
from sync.services.conflicts import (
    DELETE_CONFLICT_RULE,
    DESCRIBE_CONFLICT,
    LIST_CONFLICT_RULES,
    LIST_CONFLICTS,
    RESTORE_CONFLICT,
    SET_CONFLICT_RULE,
    conflict_restore,
    conflict_rule_delete,
    conflict_rule_set,
)

MAX_PAGE_SIZE = 60

RULE_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The rule.")
CONFLICT_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The conflict."
)


def _errors(*statuses: int) -> dict[int, type[ErrorOutputSerializer]]:
    return {code: ErrorOutputSerializer for code in (400, 401, 403, 404, *statuses)}


class SyncPoolScopedViewSet(IdentityPoolScopedViewSet):
    lookup_value_regex = "[0-9]+"
    max_limit = MAX_PAGE_SIZE

    def iam_resource(self) -> str:
        pool_id = self.kwargs.get("pool_id")
        return identity_pool_arn({"IdentityPoolId": pool_id}) if pool_id else ACCOUNT


@extend_schema(tags=["sync conflicts"], parameters=[POOL_ID])
@extend_schema_view(destroy=extend_schema(parameters=[RULE_ID]))
class ConflictRuleViewSet(SyncPoolScopedViewSet):
    """How the pool's datasets' conflicts are settled; a dataset no rule matches rejects them,
    as Cognito does."""

    iam_actions = {
        "list": LIST_CONFLICT_RULES.name,
        "create": SET_CONFLICT_RULE.name,
        "destroy": DELETE_CONFLICT_RULE.name,
    }
    serializer_class = ConflictRuleOutputSerializer
    input_serializers = {"create": ConflictRuleInputSerializer}

    @extend_schema(
        summary="List an identity pool's conflict rules",
        responses={200: ConflictRuleOutputSerializer(many=True), **_errors()},
    )
    def list(self, request: Request, pool_id: str) -> Response:
        limit, cursor = self.page_arguments(request)
        pool = self.get_identity_pool()
        rules, next_token = keyset_page(
            conflict_rules_list(identity_pool=pool),
            limit=limit,
            next_token=cursor,
            scope=f"conflict-rules:{pool.identity_pool_id}",
        )
        data = ConflictRuleOutputSerializer(rules, many=True).data
        return self.page_response(request, data, next_token)

    @extend_schema(
        summary="Set the conflict rule of a dataset pattern",
        description="Made, or its strategy changed if the pattern has a rule already: setting "
        "a rule twice is the same as setting it once.",
        request=ConflictRuleInputSerializer,
        responses={200: ConflictRuleOutputSerializer, **_errors()},
    )
    def create(self, request: Request, pool_id: str) -> Response:
        serializer = ConflictRuleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = conflict_rule_set(
            identity_pool=self.get_identity_pool(), **serializer.validated_data
        )
        return Response(ConflictRuleOutputSerializer(rule).data)

    @extend_schema(summary="Delete a conflict rule", responses={204: None, **_errors()})
    def destroy(self, request: Request, pool_id: str, pk: str) -> Response:
        conflict_rule_delete(
            rule=conflict_rule_get(identity_pool=self.get_identity_pool(), rule_id=int(pk))
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["sync conflicts"], parameters=[POOL_ID])
@extend_schema_view(
    retrieve=extend_schema(parameters=[CONFLICT_ID]),
    restore=extend_schema(parameters=[CONFLICT_ID]),
)
class ConflictViewSet(SyncPoolScopedViewSet):
    """The conflict log: every value that lost a conflict the server settled, oldest first."""

    iam_actions = {
        "list": LIST_CONFLICTS.name,
        "retrieve": DESCRIBE_CONFLICT.name,
        "restore": RESTORE_CONFLICT.name,
    }
    serializer_class = ConflictOutputSerializer

    @extend_schema(
        summary="List an identity pool's conflicts",
        parameters=[ConflictQueryInputSerializer],
        responses={200: ConflictOutputSerializer(many=True), **_errors()},
    )
    def list(self, request: Request, pool_id: str) -> Response:
        limit, cursor = self.page_arguments(request)
        query = ConflictQueryInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        pool = self.get_identity_pool()
        dataset, restored = query.validated_data.get("dataset"), query.validated_data["restored"]
        conflicts, next_token = keyset_page(
            conflicts_list(identity_pool=pool, dataset_name=dataset, restored=restored),
            limit=limit,
            next_token=cursor,
            # The filters are in the scope: a cursor goes on only with the list it came from.
            scope=f"conflicts:{pool.identity_pool_id}:{dataset}:{restored}",
        )
        data = ConflictOutputSerializer(conflicts, many=True).data
        return self.page_response(request, data, next_token)

    @extend_schema(
        summary="Describe a conflict", responses={200: ConflictOutputSerializer, **_errors()}
    )
    def retrieve(self, request: Request, pool_id: str, pk: str) -> Response:
        conflict = conflict_get(identity_pool=self.get_identity_pool(), conflict_id=int(pk))
        return Response(ConflictOutputSerializer(conflict).data)

    @extend_schema(
        summary="Restore a conflict's lost value",
        description="Writes the lost value back as a synced write (the dataset's next sync "
        "count); the value it replaces is logged in turn. A conflict is restored once (409).",
        request=None,
        responses={200: ConflictOutputSerializer, **_errors(409)},
    )
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pool_id: str, pk: str) -> Response:
        conflict = conflict_get(identity_pool=self.get_identity_pool(), conflict_id=int(pk))
        restored = conflict_restore(conflict=conflict, restored_by=request.user.get_username())
        return Response(ConflictOutputSerializer(restored).data)
