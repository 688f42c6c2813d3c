"""Pool users in the admin, built to stay fast with a million users in a pool.

The changelist never counts the whole filtered set (a lookahead paginator), searches only columns
that have an index scoped by pool, and offers no column sorting (each would sort every row).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from cognitoadmin.authorization import action_declare
from cognitoadmin.errors import ServiceError
from cognitoadmin.service_admin import Created, ReadOnlyInline, report
from pools.admin.base import PoolFilter, PoolServiceAdmin, chosen_pool_id
from pools.forms import GroupChoiceForm, PoolUserCreateForm, SoftwareTokenVerifyForm
from pools.models import (
    STANDARD_ATTRIBUTE_COLUMNS,
    Device,
    FederatedIdentity,
    Group,
    GroupMembership,
    PoolUser,
    UserPool,
)
from pools.selectors.mfa import RESET_USER_MFA, software_token_find
from pools.services.devices import devices_forget_all
from pools.services.mfa import (
    mfa_factors_enabled,
    mfa_reset,
    otpauth_qr_svg,
    software_token_associate,
    software_token_otpauth_uri,
    software_token_verify,
)
from pools.services.users import (
    user_add_to_group,
    user_create,
    user_delete,
    user_disable,
    user_enable,
    user_remove_from_group,
    user_update_attributes,
)

if TYPE_CHECKING:
    _Paginator = Paginator[PoolUser]
else:  # generic only in django-stubs
    _Paginator = Paginator

# AssociateSoftwareToken and VerifySoftwareToken are the user's own (access token); an operator
# setting up an app for a user is this server's action.
SET_UP_SOFTWARE_TOKEN = action_declare(
    "cognitoadmin:AdminSetUpSoftwareToken", permission="pools.change_pooluser"
).name


class LookaheadPaginator(_Paginator):
    """Counts rows only a few pages past the current one, never the whole filtered set.

    `count` is exact while the list ends within the lookahead, and otherwise a lower bound
    (`is_lower_bound`): the pagination then offers the next few pages and says "more than".
    The lookahead (5 pages) is larger than the changelist's "show all" limit, so "show all" is
    offered only when the count is exact.
    """

    lookahead_pages = 5

    def __init__(self, queryset: QuerySet[PoolUser], per_page: int, *, page_number: int) -> None:
        super().__init__(queryset, per_page)
        self.queryset = queryset
        self.page_number = max(page_number, 1)
        self.is_lower_bound = False

    @cached_property
    def count(self) -> int:
        start = (self.page_number - 1) * self.per_page
        window = self.per_page * self.lookahead_pages
        # Unordered ids only: the number of rows in a window does not depend on their order.
        ids = self.queryset.order_by().values_list("pk", flat=True)
        seen = len(ids[start : start + window + 1])
        self.is_lower_bound = seen > window
        return start + min(seen, window)


class GroupMemberFilter(admin.SimpleListFilter):
    """Members of one group, reached from the group list; never lists every group."""

    title = "group"
    parameter_name = "group"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        chosen = self.value()
        if chosen is None:
            return []
        group = (
            Group.objects.select_related("pool").filter(pk=chosen).first()
            if chosen.isdigit()
            else None
        )
        # Listed even when unknown, so the filter still applies (and matches nobody).
        return [
            (chosen, f"{group.name} ({group.pool.pool_id})" if group else f"unknown group {chosen}")
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        chosen = self.value()
        if chosen is None:
            return queryset
        if not chosen.isdigit():
            return queryset.none()
        return queryset.filter(memberships__group_id=int(chosen))


class MembershipInline(ReadOnlyInline):
    """The user's groups (at most 100 in Cognito); changed with the list's group actions."""

    model = GroupMembership
    iam_action = "cognito-idp:AdminListGroupsForUser"
    fields = ("group", "created_at")
    readonly_fields = ("group", "created_at")
    verbose_name = "group"
    verbose_name_plural = "groups"

    def get_queryset(self, request: HttpRequest) -> QuerySet[GroupMembership]:
        return super().get_queryset(request).select_related("group")


class DeviceInline(ReadOnlyInline):
    """The user's devices; forgotten with the list's "Forget devices" action."""

    model = Device
    iam_action = "cognito-idp:AdminListDevices"
    fields = ("name", "device_key", "confirmed", "remembered_status", "last_authenticated_at")
    readonly_fields = fields
    verbose_name = "device"
    verbose_name_plural = "devices"


class FederatedIdentityInline(ReadOnlyInline):
    """The user's accounts at the pool's identity providers (AdminGetUser's `identities`): made
    by their first sign-in through one, or linked by AdminLinkProviderForUser."""

    model = FederatedIdentity
    iam_action = "cognito-idp:AdminGetUser"
    fields = ("provider", "provider_type", "attribute_name", "uid", "primary", "created")
    readonly_fields = fields
    verbose_name = "linked external identity"
    verbose_name_plural = "linked external identities"


@admin.register(PoolUser)
class PoolUserAdmin(PoolServiceAdmin[PoolUser]):
    add_form = PoolUserCreateForm
    iam_actions = {
        "view": "cognito-idp:AdminGetUser",
        "add": "cognito-idp:AdminCreateUser",
        "change": "cognito-idp:AdminUpdateUserAttributes",
        "delete": "cognito-idp:AdminDeleteUser",
        "enable": "cognito-idp:AdminEnableUser",
        "disable": "cognito-idp:AdminDisableUser",
        "add_to_group": "cognito-idp:AdminAddUserToGroup",
        "remove_from_group": "cognito-idp:AdminRemoveUserFromGroup",
        "reset_mfa": RESET_USER_MFA,
        "forget_devices": "cognito-idp:AdminForgetDevice",
        "set_up_software_token": SET_UP_SOFTWARE_TOKEN,
    }
    list_display = (
        "username",
        "pool_link",
        "email",
        "phone_number",
        "status",
        "enabled",
        "created_at",
    )
    list_select_related = ("pool",)
    list_filter = (PoolFilter, GroupMemberFilter, "status", "enabled")
    # Gates Django's search box; the search itself is `get_search_results`.
    search_fields = ("username",)
    search_help_text = (
        "Username (exact or prefix), email prefix, or sub. Choose a user pool first for the "
        "fastest search."
    )
    ordering = ("-id",)
    # Sorting by a column would sort every matching row before showing the first hundred.
    sortable_by = ()
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 100
    list_max_show_all = 200
    autocomplete_fields = ("pool",)
    readonly_fields = (
        "pool",
        "username",
        "sub",
        "status",
        "custom_attributes",
        "password_set_at",
        "temporary_password_expires_at",
        "mfa_factors",
        "mfa_preferred",
        "authenticator",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("pool", "username", "sub", "status", "enabled")}),
        (
            "Attributes",
            {
                "fields": (
                    *STANDARD_ATTRIBUTE_COLUMNS.values(),
                    "custom_attributes",
                )
            },
        ),
        (
            "Password",
            {"fields": ("password_set_at", "temporary_password_expires_at")},
        ),
        # Changed with the MFA actions (reset, set up an authenticator app), never in the form.
        ("MFA", {"fields": ("mfa_factors", "mfa_preferred", "authenticator")}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )
    inlines = (MembershipInline, DeviceInline, FederatedIdentityInline)
    actions = (
        "enable_users",
        "disable_users",
        "add_to_group",
        "remove_from_group",
        "reset_mfa",
        "forget_devices",
    )
    change_form_template = "admin/pools/pooluser/change_form.html"

    # --- the list ----------------------------------------------------------------------------

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: QuerySet[PoolUser],
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> LookaheadPaginator:
        page = request.GET.get(PAGE_VAR, "1")
        return LookaheadPaginator(
            queryset, per_page, page_number=int(page) if page.isdigit() else 1
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[PoolUser], search_term: str
    ) -> tuple[QuerySet[PoolUser], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        # Each branch is served by an index: (pool, username) and (pool, email) with pattern ops
        # for prefixes, the unique (pool, username_key) for the pool's case rule, and `sub`.
        match = (
            Q(username__startswith=term)
            | Q(username_key__in={term, term.lower()})
            | Q(email__startswith=term)
        )
        with contextlib.suppress(ValueError):
            match |= Q(sub=uuid.UUID(term))
        if chosen_pool_id(request) is None:
            # The indexes lead with the pool; naming every pool lets each branch use them.
            queryset = queryset.filter(
                pool_id__in=list(UserPool.objects.order_by().values_list("pk", flat=True))
            )
        return queryset.filter(match), False

    @admin.display(description="user pool")
    def pool_link(self, user: PoolUser) -> str:
        # Narrows the list to the pool: the way to reach any of thousands of pools.
        return format_html(
            '<a href="?{}={}">{}</a>', PoolFilter.parameter_name, user.pool_id, user.pool
        )

    # --- add and change ----------------------------------------------------------------------

    def get_add_form(self, request: HttpRequest) -> type[forms.Form]:
        return type("PoolUserCreateForm", (PoolUserCreateForm,), {"pool": self.pool_field(request)})

    def create_via_service(self, request: HttpRequest, form: forms.Form) -> Created[PoolUser]:
        form = cast(PoolUserCreateForm, form)
        data = form.cleaned_data
        user = user_create(
            pool=data["pool"],
            username=data["username"],
            attributes=form.attributes(),
            temporary_password=data["temporary_password"] or None,
            message_action=data["message_action"] or None,
            desired_delivery_mediums=data["desired_delivery_mediums"],
        )
        return Created(user)

    def save_model(self, request: HttpRequest, obj: PoolUser, form: Any, change: bool) -> None:
        # The form has already copied its values onto `obj`; the services compare against the
        # stored user, so they get a fresh copy.
        user = PoolUser.objects.select_related("pool").get(pk=obj.pk)
        if "enabled" in form.changed_data:
            service = user_enable if form.cleaned_data["enabled"] else user_disable
            user = service(user=user)
        changed = {
            name: form.cleaned_data[column]
            for name, column in STANDARD_ATTRIBUTE_COLUMNS.items()
            if column in form.changed_data
        }
        if changed:
            user_update_attributes(
                user=user,
                attributes={
                    name: "" if value is None else _attribute_text(value)
                    for name, value in changed.items()
                },
            )

    def delete_via_service(self, obj: PoolUser) -> None:
        user_delete(user=obj)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # The MFA buttons of the page (see its template), for those who may use them.
        user = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "may_reset_mfa": user is not None and self.has_reset_mfa_permission(request, user),
            "may_set_up_software_token": user is not None
            and self.authorized(request, "set_up_software_token", user),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # --- MFA (read-only on the change page) --------------------------------------------------

    @admin.display(description="factors turned on")
    def mfa_factors(self, user: PoolUser) -> str:
        return ", ".join(mfa_factors_enabled(user=user)) or "none"

    @admin.display(description="authenticator app")
    def authenticator(self, user: PoolUser) -> str:
        token = software_token_find(user=user)
        if token is None:
            return "none"
        name = token.friendly_name or "(no name)"
        state = "verified" if token.confirmed else "not verified yet"
        if token.confirmed and token.pending_key_sealed:
            state = "verified; a new secret awaits its first code"
        return format_html("{} ({})", name, state)

    # --- actions -----------------------------------------------------------------------------

    def has_enable_permission(self, request: HttpRequest) -> bool:
        return self.authorized(request, "enable")

    def has_disable_permission(self, request: HttpRequest) -> bool:
        return self.authorized(request, "disable")

    def has_add_to_group_permission(self, request: HttpRequest) -> bool:
        return self.authorized(request, "add_to_group")

    def has_remove_from_group_permission(self, request: HttpRequest) -> bool:
        return self.authorized(request, "remove_from_group")

    def has_reset_mfa_permission(self, request: HttpRequest, obj: PoolUser | None = None) -> bool:
        return self.authorized(request, "reset_mfa", obj)

    def has_forget_devices_permission(self, request: HttpRequest) -> bool:
        return self.authorized(request, "forget_devices")

    @admin.action(description="Enable selected users", permissions=["enable"])
    def enable_users(self, request: HttpRequest, queryset: QuerySet[PoolUser]) -> None:
        count, failures = _apply(queryset.select_related("pool"), lambda u: user_enable(user=u))
        report(self, request, done=f"Enabled {count} user(s)." if count else "", failures=failures)

    @admin.action(description="Disable selected users", permissions=["disable"])
    def disable_users(self, request: HttpRequest, queryset: QuerySet[PoolUser]) -> None:
        count, failures = _apply(queryset.select_related("pool"), lambda u: user_disable(user=u))
        report(self, request, done=f"Disabled {count} user(s)." if count else "", failures=failures)

    @admin.action(description="Add selected users to a group", permissions=["add_to_group"])
    def add_to_group(
        self, request: HttpRequest, queryset: QuerySet[PoolUser]
    ) -> HttpResponse | None:
        return self._group_action(request, queryset, add=True)

    @admin.action(
        description="Remove selected users from a group", permissions=["remove_from_group"]
    )
    def remove_from_group(
        self, request: HttpRequest, queryset: QuerySet[PoolUser]
    ) -> HttpResponse | None:
        return self._group_action(request, queryset, add=False)

    @admin.action(description="Reset MFA of selected users", permissions=["reset_mfa"])
    def reset_mfa(self, request: HttpRequest, queryset: QuerySet[PoolUser]) -> HttpResponse | None:
        users = list(queryset.select_related("pool"))
        if not users:
            return None
        if "post" not in request.POST:
            return self.confirm_action(
                request,
                action="reset_mfa",
                title="Reset MFA",
                intro=(
                    "Every MFA factor of these users is turned off and their authenticator app "
                    "forgotten; they sign in with their password alone, or set MFA up again:"
                ),
                objects=users,
                submit="Reset MFA",
            )
        count, failures = _apply(users, lambda u: mfa_reset(user=u))
        report(
            self, request, done=f"Reset MFA of {count} user(s)." if count else "", failures=failures
        )
        return None

    @admin.action(
        description="Forget the devices of selected users", permissions=["forget_devices"]
    )
    def forget_devices(self, request: HttpRequest, queryset: QuerySet[PoolUser]) -> None:
        users = queryset.select_related("pool")
        count, failures = _apply(users, lambda u: devices_forget_all(user=u))
        done = f"Forgot the devices of {count} user(s)." if count else ""
        report(self, request, done=done, failures=failures)

    def _group_action(
        self, request: HttpRequest, queryset: QuerySet[PoolUser], *, add: bool
    ) -> HttpResponse | None:
        users = list(queryset.select_related("pool"))
        pools = {user.pool_id for user in users}
        if len(pools) > 1:
            self.message_user(
                request,
                f"The selected users belong to {len(pools)} user pools, and a group belongs to "
                "one. Select users of a single pool (filter the list by pool). "
                "Nothing was changed.",
                level=messages.ERROR,
            )
            return None
        if not users:
            return None
        pool = users[0].pool
        to = "to" if add else "from"
        form = GroupChoiceForm(request.POST if "post" in request.POST else None, pool=pool)
        if not form.is_bound or not form.is_valid():
            verb = "Add" if add else "Remove"
            return self.confirm_action(
                request,
                action="add_to_group" if add else "remove_from_group",
                title=f"{verb} users {to} a group",
                intro=f"Choose the group of {pool} to {verb.lower()} these users {to}:",
                objects=users,
                form=form,
                submit=verb,
            )
        group: Group = form.cleaned_data["group"]
        service = user_add_to_group if add else user_remove_from_group
        count, failures = _apply(users, lambda u: service(user=u, group=group))
        done = f"{'Added' if add else 'Removed'} {count} user(s) {to} group {group.name}."
        report(self, request, done=done if count else "", failures=failures)
        return None

    # --- MFA pages of one user ----------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        # Before the admin's own patterns: they end with a catch-all.
        return [
            path(
                "<path:object_id>/mfa/reset/",
                view(self.reset_mfa_view),
                name=f"{name}_reset_mfa",
            ),
            path(
                "<path:object_id>/mfa/authenticator/",
                view(self.software_token_view),
                name=f"{name}_software_token",
            ),
            *super().get_urls(),
        ]

    def reset_mfa_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The reset action for the one user of a change page: confirm, then reset."""
        user = self.get_object(request, object_id)
        if user is None:
            raise Http404(f"No {self.opts.verbose_name} with the id {object_id!r}.")
        if not self.has_reset_mfa_permission(request, user):
            raise PermissionDenied
        # A GET (no `post=yes`) is answered with the action's confirmation, which posts back here.
        response = self.reset_mfa(request, PoolUser.objects.filter(pk=user.pk))
        return response or HttpResponseRedirect(self._change_url(user.pk))

    def software_token_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Set up an authenticator app for a user: a new secret (shown in this response only,
        as a QR code and as text), then a code from the app to verify it."""
        user = self.get_object(request, object_id)
        if user is None:
            raise Http404(f"No {self.opts.verbose_name} with the id {object_id!r}.")
        if not self.authorized(request, "set_up_software_token", user):
            raise PermissionDenied
        here = request.get_full_path()
        secret = qr_code = ""
        form = SoftwareTokenVerifyForm()
        if request.method == "POST" and "associate" in request.POST:
            try:
                secret = software_token_associate(user=user)
            except ServiceError as error:
                self.message_user(request, error.message, messages.ERROR)
                return HttpResponseRedirect(here)
            uri = software_token_otpauth_uri(user=user, secret=secret)
            # The SVG is qrcode's own drawing of the URI: paths only, no text from the request.
            qr_code = mark_safe(otpauth_qr_svg(uri))  # noqa: S308
        elif request.method == "POST":
            form = SoftwareTokenVerifyForm(request.POST)
            if form.is_valid():
                try:
                    software_token_verify(
                        user=user,
                        code=form.cleaned_data["code"],
                        friendly_name=form.cleaned_data["friendly_name"],
                    )
                except ServiceError as error:
                    self.message_user(request, error.message, messages.ERROR)
                    return HttpResponseRedirect(here)
                self.message_user(
                    request,
                    f"The authenticator app of {user.username} is verified; its MFA is on.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._change_url(user.pk))
        return self.object_page(
            request,
            "admin/pools/pooluser/software_token.html",
            user,
            title=f"Set up an authenticator app for {user.username}",
            secret=secret,
            qr_code=qr_code,
            form=form,
        )


def _apply(
    users: Iterable[PoolUser], call: Callable[[PoolUser], object]
) -> tuple[int, list[tuple[PoolUser, ServiceError]]]:
    """`call` for each user; how many it served, and what it refused."""
    count, failures = 0, []
    for user in users:
        try:
            call(user)
        except ServiceError as error:
            failures.append((user, error))
        else:
            count += 1
    return count, failures


def _attribute_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
