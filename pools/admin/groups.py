"""Groups in the admin: created, changed and deleted through the group services."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from cognitoadmin.service_admin import Created, ReadOnlyInline
from pools.admin.base import PoolFilter, PoolServiceAdmin
from pools.forms import GroupCreateForm
from pools.models import Group, GroupMembership
from pools.services.groups import group_create, group_delete, group_update

MEMBERS_SHOWN = 100

if TYPE_CHECKING:
    _MemberFormSet = BaseInlineFormSet[GroupMembership, Group, Any]
else:  # generic only in django-stubs
    _MemberFormSet = BaseInlineFormSet


class FirstMembersFormSet(_MemberFormSet):
    # A group may hold most of a million-user pool; the page shows the newest members only.
    def get_queryset(self) -> QuerySet[GroupMembership]:
        return super().get_queryset().select_related("user").order_by("-id")[:MEMBERS_SHOWN]


class MemberInline(ReadOnlyInline):
    model = GroupMembership
    iam_action = "cognito-idp:ListUsersInGroup"
    formset = FirstMembersFormSet
    fields = ("user", "created_at")
    readonly_fields = ("user", "created_at")
    verbose_name = "member"
    verbose_name_plural = f"members (the newest {MEMBERS_SHOWN}; the group's user list has all)"


@admin.register(Group)
class GroupAdmin(PoolServiceAdmin[Group]):
    add_form = GroupCreateForm
    iam_actions = {
        "view": "cognito-idp:GetGroup",
        "add": "cognito-idp:CreateGroup",
        "change": "cognito-idp:UpdateGroup",
        "delete": "cognito-idp:DeleteGroup",
    }
    list_display = ("name", "pool", "precedence", "description", "members", "created_at")
    list_select_related = ("pool",)
    list_filter = (PoolFilter,)
    search_fields = ("name",)
    autocomplete_fields = ("pool",)
    fields = ("pool", "name", "description", "precedence", "role_arn", "created_at", "updated_at")
    readonly_fields = ("pool", "name", "created_at", "updated_at")
    inlines = (MemberInline,)

    @admin.display(description="members")
    def members(self, group: Group) -> str:
        url = reverse("admin:pools_pooluser_changelist", current_app=self.admin_site.name)
        return format_html(
            '<a href="{}?pool__id__exact={}&amp;group={}">users</a>', url, group.pool_id, group.pk
        )

    def get_add_form(self, request: HttpRequest) -> type[forms.Form]:
        return type("GroupCreateForm", (GroupCreateForm,), {"pool": self.pool_field(request)})

    def create_via_service(self, request: HttpRequest, form: forms.Form) -> Created[Group]:
        data = form.cleaned_data
        return Created(
            group_create(
                pool=data["pool"],
                name=data["name"],
                description=data["description"],
                precedence=data["precedence"],
                role_arn=data["role_arn"],
            )
        )

    def save_model(self, request: HttpRequest, obj: Group, form: Any, change: bool) -> None:
        # The form has already copied its values onto `obj`; the service gets the stored group.
        group = Group.objects.select_related("pool").get(pk=obj.pk)
        data = form.cleaned_data
        group_update(
            group=group,
            description=data["description"],
            precedence=data["precedence"],
            role_arn=data["role_arn"],
        )

    def delete_via_service(self, obj: Group) -> None:
        group_delete(group=obj)
