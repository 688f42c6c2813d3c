"""Operators' access keys in the admin. Secrets are never shown, except once, right after "add"."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html

from cognitoadmin.errors import ServiceError
from identities.models import AccessKey
from identities.services.access_keys import (
    DESCRIPTION_MAX_LENGTH,
    access_key_create,
    access_key_delete,
    access_key_disable,
    access_key_enable,
    access_key_update,
)

if TYPE_CHECKING:
    _AccessKeyModelAdmin = admin.ModelAdmin[AccessKey]
else:  # ModelAdmin is generic only in django-stubs (no django_stubs_ext.monkeypatch() here)
    _AccessKeyModelAdmin = admin.ModelAdmin


class AccessKeyCreateForm(forms.Form):
    operator = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True, is_staff=True).order_by("username"),
        help_text="The key acts as this operator.",
    )
    description = forms.CharField(required=False, max_length=DESCRIPTION_MAX_LENGTH)
    access_key_id = forms.CharField(
        required=False,
        label="Access key ID",
        help_text="Only to import a known key pair (e.g. from AWS); leave both fields empty to "
        "generate a new pair.",
    )
    secret_access_key = forms.CharField(
        required=False,
        label="Secret access key",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )


@admin.register(AccessKey)
class AccessKeyAdmin(_AccessKeyModelAdmin):
    list_display = [
        "access_key_id",
        "operator",
        "description",
        "active",
        "created_at",
        "last_used_at",
    ]
    list_filter = ["active", ("operator", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["access_key_id", "description", "operator__username"]
    list_select_related = ["operator"]
    fields = ["access_key_id", "operator", "description", "active", "created_at", "last_used_at"]
    # Enabling and disabling are actions, so they go through the services.
    readonly_fields = ["access_key_id", "operator", "active", "created_at", "last_used_at"]
    actions = ["disable_keys", "enable_keys"]

    def add_view(
        self,
        request: HttpRequest,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """Create (or import) a key through the service and show its secret, once."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = AccessKeyCreateForm(request.POST if request.method == "POST" else None)
        context = {
            **self.admin_site.each_context(request),
            "title": "Add access key",
            "subtitle": None,
            "opts": self.opts,
            "form": form,
            "has_view_permission": self.has_view_permission(request),
            **(extra_context or {}),
        }
        if form.is_valid():
            try:
                key, secret = access_key_create(
                    operator=form.cleaned_data["operator"],
                    description=form.cleaned_data["description"],
                    access_key_id=form.cleaned_data["access_key_id"] or None,
                    secret_access_key=form.cleaned_data["secret_access_key"] or None,
                )
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                self.log_addition(request, key, [{"added": {}}])
                self.message_user(
                    request,
                    format_html(
                        "Access key {} created for {}. Its secret access key is "
                        "<code>{}</code>: copy it now, it will not be shown again.",
                        key.access_key_id,
                        key.operator.get_username(),
                        secret,
                    ),
                    messages.WARNING,
                )
                # Rendered here rather than redirected to: the message is shown in this very
                # response, so the secret is never stored in the message cookie or session.
                return TemplateResponse(
                    request,
                    "admin/identities/accesskey/created.html",
                    {**context, "title": "Access key created", "key": key},
                )
        return TemplateResponse(request, "admin/identities/accesskey/add_form.html", context)

    def save_model(self, request: HttpRequest, obj: AccessKey, form: Any, change: bool) -> None:
        # Only the description is editable here; new keys come from add_view.
        access_key_update(key=obj, description=obj.description)

    def delete_model(self, request: HttpRequest, obj: AccessKey) -> None:
        access_key_delete(key=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[AccessKey]) -> None:
        for key in queryset:
            access_key_delete(key=key)

    @admin.action(description="Disable selected access keys", permissions=["change"])
    def disable_keys(self, request: HttpRequest, queryset: QuerySet[AccessKey]) -> None:
        keys = list(queryset)
        for key in keys:
            access_key_disable(key=key)
        self.message_user(request, f"Disabled {len(keys)} access key(s).")

    @admin.action(description="Enable selected access keys", permissions=["change"])
    def enable_keys(self, request: HttpRequest, queryset: QuerySet[AccessKey]) -> None:
        keys = list(queryset)
        for key in keys:
            access_key_enable(key=key)
        self.message_user(request, f"Enabled {len(keys)} access key(s).")
