"""User pools in the admin: created and deleted through the pool services, read-only otherwise.

UpdateUserPool replaces every setting at once, so pool settings change through the API (or
the AWS endpoint), which send the whole configuration; the admin shows it. The MFA configuration
is the exception: SetUserPoolMfaConfig has few members, set on a page of their own.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from cognitoadmin.authorization import action_declare
from cognitoadmin.errors import ServiceError
from cognitoadmin.regions import resource_region
from cognitoadmin.service_admin import Created, ReadOnlyInline, report
from pools.admin.base import PoolServiceAdmin
from pools.admin.branding import SET_UI_CUSTOMIZATION, UICustomizationAdminMixin
from pools.forms import UserPoolCreateForm, UserPoolMfaConfigForm
from pools.models import SchemaAttribute, UserPool
from pools.selectors.pools import user_pools_of_region
from pools.services.keys import signing_key_rotate
from pools.services.pools import user_pool_create, user_pool_delete, user_pool_set_mfa_config
from pools.shapes.pools import user_pool_mfa_config_shape

# No AWS operation rotates a pool's keys; the action is this server's own.
ROTATE_SIGNING_KEY = action_declare(
    "cognitoadmin:RotateSigningKey", permission="pools.change_userpool"
).name


class SchemaAttributeInline(ReadOnlyInline):
    model = SchemaAttribute
    iam_action = "cognito-idp:DescribeUserPool"
    fields = (
        "full_name",
        "attribute_data_type",
        "required",
        "mutable",
        "developer_only",
        "min_length",
        "max_length",
        "min_value",
        "max_value",
    )
    readonly_fields = fields

    @admin.display(description="name")
    def full_name(self, attribute: SchemaAttribute) -> str:
        return attribute.full_name


class RegionListFilter(admin.SimpleListFilter):
    """A pool's region is the beginning of its id."""

    title = "region"
    parameter_name = "region"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        ids = UserPool.objects.values_list("pool_id", flat=True)
        return [(name, name) for name in sorted({resource_region(pool_id) for pool_id in ids})]

    def queryset(self, request: HttpRequest, queryset: QuerySet[UserPool]) -> QuerySet[UserPool]:
        region = self.value()
        return user_pools_of_region(queryset, region=region) if region else queryset


@admin.register(UserPool)
class UserPoolAdmin(UICustomizationAdminMixin, PoolServiceAdmin[UserPool]):
    add_form = UserPoolCreateForm
    iam_actions = {
        "view": "cognito-idp:DescribeUserPool",
        "add": "cognito-idp:CreateUserPool",
        "delete": "cognito-idp:DeleteUserPool",
        "rotate_signing_key": ROTATE_SIGNING_KEY,
        "set_mfa_config": "cognito-idp:SetUserPoolMfaConfig",
        "set_ui_customization": SET_UI_CUSTOMIZATION,
    }
    list_display = (
        "name",
        "pool_id",
        "region",
        "status",
        "tier",
        "mfa_configuration",
        "deletion_protection",
        "users",
        "created_at",
    )
    list_filter = (RegionListFilter, "tier", "mfa_configuration", "deletion_protection")
    # Also what the pool autocomplete searches.
    search_fields = ("name", "=pool_id")
    ordering = ("name",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "pool_id",
                    "arn",
                    "status",
                    "tier",
                    "deletion_protection",
                    "estimated_number_of_users",
                    "created_at",
                    "updated_at",
                )
            },
        ),
        (
            "Sign-in",
            {
                "fields": (
                    "username_attributes",
                    "alias_attributes",
                    "username_case_sensitive",
                    "auto_verified_attributes",
                    "attributes_require_verification_before_update",
                    "allow_admin_create_user_only",
                    "account_recovery_mechanisms",
                )
            },
        ),
        (
            "Password policy",
            {
                "fields": (
                    "password_minimum_length",
                    "password_require_uppercase",
                    "password_require_lowercase",
                    "password_require_numbers",
                    "password_require_symbols",
                    "password_history_size",
                    "temporary_password_validity_days",
                )
            },
        ),
        (
            "MFA and devices",
            {
                "fields": (
                    "mfa_configuration",
                    "sms_mfa_enabled",
                    "software_token_mfa_enabled",
                    "email_mfa_enabled",
                    "email_mfa_configuration",
                    "device_tracking_enabled",
                    "device_challenge_required_on_new_device",
                    "device_only_remembered_on_user_prompt",
                )
            },
        ),
        (
            "Sessions",
            {"fields": ("session_tracking_enabled", "token_sessions_max_per_user")},
        ),
        (
            "Messages and delivery",
            {
                "classes": ("collapse",),
                "fields": (
                    "verification_message_template",
                    "invite_message_template",
                    "sms_verification_message",
                    "email_verification_message",
                    "email_verification_subject",
                    "sms_authentication_message",
                    "email_configuration",
                    "sms_configuration",
                ),
            },
        ),
        (
            "Other",
            {"classes": ("collapse",), "fields": ("lambda_config", "user_pool_add_ons", "tags")},
        ),
    )
    # Every field is shown, none edited (see the module's docstring).
    readonly_fields = flatten_fieldsets(fieldsets)
    inlines = (SchemaAttributeInline,)
    actions = ("rotate_signing_key",)
    change_form_template = "admin/pools/userpool/change_form.html"

    @admin.display(description="users (estimated)")
    def users(self, pool: UserPool) -> str:
        url = reverse("admin:pools_pooluser_changelist", current_app=self.admin_site.name)
        return format_html(
            '<a href="{}?pool__id__exact={}">{}</a>', url, pool.pk, pool.estimated_number_of_users
        )

    @admin.display(description="ARN")
    def arn(self, pool: UserPool) -> str:
        return pool.arn

    def has_rotate_signing_key_permission(self, request: HttpRequest) -> bool:
        # Rotation changes the pool's keys, not its settings, which the admin leaves read-only.
        return self.authorized(request, "rotate_signing_key")

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        pool = self.get_object(request, object_id)
        may = pool is not None and self.authorized(request, "set_mfa_config", pool)
        extra_context = {**(extra_context or {}), "may_set_mfa_config": may}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self) -> list[URLPattern]:
        name = f"{self.opts.app_label}_{self.opts.model_name}_mfa_config"
        # Before the admin's own patterns: they end with a catch-all.
        return [
            path(
                "<path:object_id>/mfa-config/",
                self.admin_site.admin_view(self.mfa_config_view),
                name=name,
            ),
            *super().get_urls(),
        ]

    def mfa_config_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """SetUserPoolMfaConfig: whether MFA is off, optional or required, and its factors."""
        pool = self.get_object(request, object_id)
        if pool is None:
            raise Http404(f"No {self.opts.verbose_name} with the id {object_id!r}.")
        if not self.authorized(request, "set_mfa_config", pool):
            raise PermissionDenied
        initial = UserPoolMfaConfigForm.initial_from(user_pool_mfa_config_shape(pool))
        form = UserPoolMfaConfigForm(request.POST or None, initial=initial)
        if form.is_bound and form.is_valid():
            try:
                user_pool_set_mfa_config(pool=pool, settings=form.settings())
            except ServiceError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(
                    request, f"The MFA configuration of {pool.name} is saved.", messages.SUCCESS
                )
                return HttpResponseRedirect(self._change_url(pool.pk))
        return self.object_page(
            request,
            "admin/pools/userpool/mfa_config.html",
            pool,
            title=f"MFA configuration of {pool.name}",
            form=form,
        )

    def create_via_service(self, request: HttpRequest, form: forms.Form) -> Created[UserPool]:
        form = cast(UserPoolCreateForm, form)
        return Created(
            user_pool_create(
                name=form.cleaned_data["name"],
                settings=form.settings(),
                region=form.cleaned_data["region"],
            )
        )

    def delete_via_service(self, obj: UserPool) -> None:
        user_pool_delete(pool=obj)

    def deletion_details(self, obj: UserPool) -> list[str]:
        return [
            f"About {obj.estimated_number_of_users} users, and the pool's groups, app clients, "
            "resource servers, domains, identity providers and signing keys"
        ]

    @admin.action(description="Rotate the signing key", permissions=["rotate_signing_key"])
    def rotate_signing_key(self, request: HttpRequest, queryset: QuerySet[UserPool]) -> None:
        rotated, failures = [], []
        for pool in queryset:
            try:
                key = signing_key_rotate(pool=pool)
            except ServiceError as error:
                failures.append((pool, error))
            else:
                rotated.append(f"{pool.name} (new key {key.kid})")
        done = f"Rotated the signing key of {', '.join(rotated)}." if rotated else ""
        report(self, request, done=done, failures=failures)
