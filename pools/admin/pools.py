"""User pools in the admin: created and deleted through the pool services, read-only otherwise.

UpdateUserPool replaces every setting at once, so pool settings change through the API (or
the AWS endpoint), which send the whole configuration; the admin shows it.
"""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from cognitoadmin.authorization import action_declare
from cognitoadmin.errors import ServiceError
from cognitoadmin.service_admin import Created, ReadOnlyInline, report
from pools.admin.base import PoolServiceAdmin
from pools.forms import UserPoolCreateForm
from pools.models import SchemaAttribute, UserPool
from pools.services.keys import signing_key_rotate
from pools.services.pools import user_pool_create, user_pool_delete

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


@admin.register(UserPool)
class UserPoolAdmin(PoolServiceAdmin[UserPool]):
    add_form = UserPoolCreateForm
    iam_actions = {
        "view": "cognito-idp:DescribeUserPool",
        "add": "cognito-idp:CreateUserPool",
        "delete": "cognito-idp:DeleteUserPool",
        "rotate_signing_key": ROTATE_SIGNING_KEY,
    }
    list_display = (
        "name",
        "pool_id",
        "status",
        "tier",
        "mfa_configuration",
        "deletion_protection",
        "users",
        "created_at",
    )
    list_filter = ("tier", "mfa_configuration", "deletion_protection")
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

    def create_via_service(self, request: HttpRequest, form: forms.Form) -> Created[UserPool]:
        form = cast(UserPoolCreateForm, form)
        return Created(user_pool_create(name=form.cleaned_data["name"], settings=form.settings()))

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
