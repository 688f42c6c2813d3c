"""Operators' access keys in the admin. Secrets are never shown, except once, right after "add".

Keys are managed as IAM manages an IAM user's keys (the actions are IAM's): an operator who is not
a superuser sees, creates and changes only their own.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from cognitoadmin.authorization import action_declare
from cognitoadmin.errors import AccessDeniedException
from cognitoadmin.service_admin import Created, ServiceModelAdmin, operator_may
from identities.models import AccessKey
from identities.services.access_keys import (
    DESCRIPTION_MAX_LENGTH,
    access_key_create,
    access_key_delete,
    access_key_disable,
    access_key_enable,
    access_key_set_policy,
    access_key_update,
)
from identities.services.authorization import operator_arn

CREATE_ACCESS_KEY = action_declare("iam:CreateAccessKey", permission="identities.add_accesskey")
LIST_ACCESS_KEYS = action_declare("iam:ListAccessKeys", permission="identities.view_accesskey")
UPDATE_ACCESS_KEY = action_declare("iam:UpdateAccessKey", permission="identities.change_accesskey")
DELETE_ACCESS_KEY = action_declare("iam:DeleteAccessKey", permission="identities.delete_accesskey")

if TYPE_CHECKING:
    _ModelForm = forms.ModelForm[AccessKey]
else:  # generic only in django-stubs
    _ModelForm = forms.ModelForm

_POLICY_HELP = (
    "Optional: an IAM policy document that narrows what this key may do, e.g. only "
    '{"Effect": "Allow", "Action": "cognito-idp:*", "Resource": "<a user pool ARN>"}. '
    "Empty: the key may do whatever its operator may."
)


def _policy_field() -> forms.CharField:
    return forms.CharField(
        required=False,
        strip=True,
        label="Policy",
        help_text=_POLICY_HELP,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80, "spellcheck": "false"}),
    )


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
    policy = _policy_field()


class AccessKeyChangeForm(_ModelForm):
    policy_document = _policy_field()

    class Meta:
        model = AccessKey
        fields = ["description"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.policy is not None:
            self.initial["policy_document"] = json.dumps(self.instance.policy, indent=2)


@admin.register(AccessKey)
class AccessKeyAdmin(ServiceModelAdmin[AccessKey]):
    add_form = AccessKeyCreateForm
    form = AccessKeyChangeForm
    iam_actions = {
        "view": LIST_ACCESS_KEYS.name,
        "add": CREATE_ACCESS_KEY.name,
        "change": UPDATE_ACCESS_KEY.name,
        "delete": DELETE_ACCESS_KEY.name,
    }
    list_display = [
        "access_key_id",
        "operator",
        "description",
        "active",
        "has_policy",
        "created_at",
        "last_used_at",
    ]
    list_filter = ["active", ("operator", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["access_key_id", "description", "operator__username"]
    list_select_related = ["operator"]
    fields = [
        "access_key_id",
        "operator",
        "description",
        "policy_document",
        "active",
        "created_at",
        "last_used_at",
    ]
    # Enabling and disabling are actions, so they go through the services.
    readonly_fields = ["access_key_id", "operator", "active", "created_at", "last_used_at"]
    actions = ["disable_keys", "enable_keys"]

    @admin.display(description="policy", boolean=True)
    def has_policy(self, key: AccessKey) -> bool:
        return key.policy is not None

    def iam_resource(self, obj: AccessKey | None) -> str:
        return operator_arn(obj.operator) if obj is not None else super().iam_resource(obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[AccessKey]:
        keys = super().get_queryset(request)
        user = request.user
        return keys if getattr(user, "is_superuser", False) else keys.filter(operator_id=user.pk)

    def get_add_form(self, request: HttpRequest) -> type[forms.Form]:
        if getattr(request.user, "is_superuser", False):
            return AccessKeyCreateForm
        # Others make keys for themselves only: the choice is theirs alone.
        operator = forms.ModelChoiceField(
            queryset=User.objects.filter(pk=request.user.pk or 0),
            initial=request.user.pk,
            help_text="The key acts as you.",
        )
        return type("OwnAccessKeyCreateForm", (AccessKeyCreateForm,), {"operator": operator})

    def create_via_service(self, request: HttpRequest, form: forms.Form) -> Created[AccessKey]:
        data = form.cleaned_data
        operator = cast(User, data["operator"])
        if not operator_may(request, CREATE_ACCESS_KEY.name, operator_arn(operator)):
            raise AccessDeniedException(
                f"You may not create access keys for {operator.get_username()}."
            )
        key, secret = access_key_create(
            operator=operator,
            description=data["description"],
            access_key_id=data["access_key_id"] or None,
            secret_access_key=data["secret_access_key"] or None,
            policy=data["policy"] or None,
        )
        return Created(
            key,
            once=format_html(
                "Access key {} created for {}. Its secret access key is <code>{}</code>: copy "
                "it now, it will not be shown again. Programs can now call the API as this "
                "operator, signing requests with AWS Signature Version 4 or sending the pair as "
                "HTTP Basic credentials.",
                key.access_key_id,
                key.operator.get_username(),
                secret,
            ),
        )

    def save_model(self, request: HttpRequest, obj: AccessKey, form: Any, change: bool) -> None:
        # Only the description and the policy are editable here; new keys come from add_view.
        key = AccessKey.objects.select_related("operator").get(pk=obj.pk)
        access_key_update(key=key, description=form.cleaned_data["description"])
        if "policy_document" in form.changed_data:
            access_key_set_policy(key=key, policy=form.cleaned_data["policy_document"] or None)

    def delete_via_service(self, obj: AccessKey) -> None:
        access_key_delete(key=obj)

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


# Imported last: these modules register their admins, and may import this module's.
from identities.admin import (  # noqa: E402
    identity_pools,  # noqa: F401  (registers the identity pools admin)
    oidc_providers,  # noqa: F401  (registers the OpenID Connect providers admin)
    roles,  # noqa: F401  (registers the roles and policies admins)
)
