"""What the user-pool admins share beyond `cognitoadmin.service_admin`: choosing among pools."""

from __future__ import annotations

from typing import Any, TypeVar

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import ImproperlyConfigured
from django.db.models import ForeignKey, Model, QuerySet
from django.http import HttpRequest

from cognitoadmin.authorization import ACCOUNT
from cognitoadmin.service_admin import ServiceModelAdmin
from pools.models import UserPool

_M = TypeVar("_M", bound=Model)


class PoolServiceAdmin(ServiceModelAdmin[_M]):
    """The admin of a pool's own rows: what it does acts on their pool (for authorization)."""

    def iam_resource(self, obj: _M | None) -> str:
        if obj is None:
            return ACCOUNT
        pool = obj if isinstance(obj, UserPool) else getattr(obj, "pool", None)
        return pool.arn if isinstance(pool, UserPool) else ACCOUNT

    def pool_field(self, request: HttpRequest) -> forms.Field:
        """The `pool` field with the admin's widget for it (autocomplete, never a full select)."""
        db_field = self.opts.get_field("pool")
        field = (
            self.formfield_for_dbfield(db_field, request)
            if isinstance(db_field, ForeignKey)
            else None
        )
        if field is None:
            raise ImproperlyConfigured(f"{self.opts.label} has no `pool` foreign key to choose.")
        return field


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
