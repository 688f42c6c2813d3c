"""The messages sent to pool users (the outbox's records), read-only: where each went and how it
fared, never what it said."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from pools.admin.base import PoolFilter, PoolServiceAdmin
from pools.models import Delivery
from pools.selectors.deliveries import LIST_DELIVERIES


@admin.register(Delivery)
class DeliveryAdmin(PoolServiceAdmin[Delivery]):
    iam_actions = {"view": LIST_DELIVERIES}

    list_display = (
        "id",
        "kind",
        "channel",
        "destination",
        "user",
        "pool",
        "status",
        "attempts",
        "created_at",
        "sent_at",
    )
    list_filter = (PoolFilter, "status", "kind", "channel")
    list_select_related = ("pool", "user")
    search_fields = ("=user__username", "=task_id")
    fields = (
        "pool",
        "user",
        "kind",
        "channel",
        "destination",
        "status",
        "attempts",
        "last_error",
        "task_id",
        "created_at",
        "updated_at",
        "sent_at",
    )
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Delivery | None = None) -> bool:
        return False
