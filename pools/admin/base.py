"""What the user-pool admins share beyond `cognitoadmin.service_admin`: choosing among pools."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import QuerySet
from django.http import HttpRequest

from pools.models import UserPool


class PoolFilter(admin.SimpleListFilter):
    """Filter by pool without loading every pool: the first few by name, plus the chosen one.

    With thousands of pools, the pool list's links (and `?pool__id__exact=<id>`) reach any of them.
    """

    title = "user pool"
    parameter_name = "pool__id__exact"
    shown = 30

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        rows = list(
            UserPool.objects.order_by("name").values_list("pk", "name", "pool_id")[: self.shown]
        )
        chosen = self.value()
        if chosen is not None and chosen.isdigit() and all(str(row[0]) != chosen for row in rows):
            rows += UserPool.objects.filter(pk=int(chosen)).values_list("pk", "name", "pool_id")
        return [(str(pk), f"{name} ({pool_id})") for pk, name, pool_id in rows]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        chosen = self.value()
        if chosen is None:
            return queryset
        if not chosen.isdigit():
            raise IncorrectLookupParameters(f"Unknown user pool {chosen!r}.")
        return queryset.filter(pool_id=int(chosen))


def chosen_pool_id(request: HttpRequest) -> int | None:
    """The pool the list is filtered by (see `PoolFilter`), if any."""
    chosen = request.GET.get(PoolFilter.parameter_name, "")
    return int(chosen) if chosen.isdigit() else None
