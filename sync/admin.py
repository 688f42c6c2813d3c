"""Cognito Sync in the admin: datasets and records to read, conflict rules set through their
services, and the conflict log, whose lost values can be restored.

Datasets and records change only through the devices' syncs (and restores), whose rules the
admin cannot keep, so here they are read-only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from cognitoadmin.authorization import ACCOUNT
from cognitoadmin.errors import ServiceError
from cognitoadmin.service_admin import Created, ServiceModelAdmin, report
from identities.models import IdentityPool
from sync.aws import identity_pool_arn
from sync.models import Conflict, ConflictRule, ConflictStrategy, Dataset, Record
from sync.services.conflicts import (
    DELETE_CONFLICT_RULE,
    LIST_CONFLICT_RULES,
    LIST_CONFLICTS,
    RESTORE_CONFLICT,
    SET_CONFLICT_RULE,
    conflict_restore,
    conflict_rule_delete,
    conflict_rule_set,
)


def _pool_arn(identity_pool_id: str) -> str:
    return identity_pool_arn({"IdentityPoolId": identity_pool_id})


@admin.register(Dataset)
class DatasetAdmin(ServiceModelAdmin[Dataset]):
    iam_actions = {"view": "cognito-sync:ListDatasets"}
    list_display = ["name", "identity", "sync_count", "num_records", "data_storage", "deleted"]
    list_select_related = ["identity"]
    list_filter = ["deleted"]
    search_fields = ["identity__identity_id", "name"]
    show_full_result_count = False

    def iam_resource(self, obj: Dataset | None) -> str:
        return ACCOUNT if obj is None else _pool_arn(obj.identity.pool.identity_pool_id)


@admin.register(Record)
class RecordAdmin(ServiceModelAdmin[Record]):
    iam_actions = {"view": "cognito-sync:ListRecords"}
    list_display = ["key", "dataset", "identity", "value", "sync_count", "last_modified_by"]
    list_select_related = ["dataset__identity"]
    search_fields = ["dataset__identity__identity_id", "dataset__name"]
    show_full_result_count = False

    @admin.display(description="identity")
    def identity(self, record: Record) -> str:
        return record.dataset.identity.identity_id

    def iam_resource(self, obj: Record | None) -> str:
        return ACCOUNT if obj is None else _pool_arn(obj.dataset.identity.pool.identity_pool_id)


class ConflictRuleAddForm(forms.Form):
    identity_pool = forms.ModelChoiceField(queryset=IdentityPool.objects.order_by("name"))
    dataset_pattern = forms.CharField(
        required=False,
        strip=False,
        max_length=128,
        help_text="Shell-style (`*`, `?`, `[...]`); empty: the pool's default. A non-empty "
        "pattern beats the default, and the longest matching one wins.",
    )
    strategy = forms.ChoiceField(choices=ConflictStrategy.choices)


@admin.register(ConflictRule)
class ConflictRuleAdmin(ServiceModelAdmin[ConflictRule]):
    add_form = ConflictRuleAddForm
    iam_actions = {
        "view": LIST_CONFLICT_RULES.name,
        "add": SET_CONFLICT_RULE.name,
        "change": SET_CONFLICT_RULE.name,
        "delete": DELETE_CONFLICT_RULE.name,
    }
    list_display = ["identity_pool", "dataset_pattern", "strategy"]
    list_select_related = ["identity_pool"]
    list_filter = ["strategy"]
    search_fields = ["identity_pool__identity_pool_id", "dataset_pattern"]
    # A rule is its pool's and its pattern's: another pattern is another rule.
    fields = ["identity_pool", "dataset_pattern", "strategy"]
    readonly_fields = ["identity_pool", "dataset_pattern"]

    def iam_resource(self, obj: ConflictRule | None) -> str:
        return ACCOUNT if obj is None else _pool_arn(obj.identity_pool.identity_pool_id)

    def create_via_service(self, request: HttpRequest, form: forms.Form) -> Created[ConflictRule]:
        return Created(obj=conflict_rule_set(**form.cleaned_data))

    def save_model(self, request: HttpRequest, obj: ConflictRule, form: Any, change: bool) -> None:
        stored = ConflictRule.objects.select_related("identity_pool").get(pk=obj.pk)
        conflict_rule_set(
            identity_pool=stored.identity_pool,
            dataset_pattern=stored.dataset_pattern,
            strategy=form.cleaned_data["strategy"],
        )

    def delete_via_service(self, obj: ConflictRule) -> None:
        conflict_rule_delete(rule=obj)


class RestoredFilter(admin.SimpleListFilter):
    title = "restored"
    parameter_name = "restored"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in {"yes", "no"}:
            return queryset.filter(restored_at__isnull=self.value() == "no")
        return queryset


@admin.register(Conflict)
class ConflictAdmin(ServiceModelAdmin[Conflict]):
    iam_actions = {"view": LIST_CONFLICTS.name, "restore": RESTORE_CONFLICT.name}
    actions = ["restore"]
    list_display = [
        "created_at",
        "identity",
        "dataset_name",
        "key",
        "strategy",
        "kept_value",
        "lost_value",
        "lost_by",
        "restored_at",
    ]
    list_select_related = ["identity"]
    list_filter = ["strategy", RestoredFilter]
    search_fields = ["identity__identity_id", "dataset_name"]
    ordering = ["-pk"]
    show_full_result_count = False

    def iam_resource(self, obj: Conflict | None) -> str:
        return ACCOUNT if obj is None else _pool_arn(obj.identity.pool.identity_pool_id)

    def has_restore_permission(self, request: HttpRequest) -> bool:
        return self.authorized(request, "restore")

    @admin.action(
        description="Restore the lost values of the selected conflicts", permissions=["restore"]
    )
    def restore(self, request: HttpRequest, queryset: QuerySet[Conflict]) -> None:
        restored_by = request.user.get_username()
        count, failures = 0, []
        for conflict in queryset.order_by("pk"):
            try:
                conflict_restore(conflict=conflict, restored_by=restored_by)
            except ServiceError as error:
                failures.append((conflict, error))
            else:
                count += 1
        done = f"Restored {count} value(s)." if count else ""
        report(self, request, done=done, failures=failures)
