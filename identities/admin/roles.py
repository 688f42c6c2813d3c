"""IAM roles and managed policies in the admin, every write through the role services.

A role's page edits its description, session duration and trust policy and the managed policies
attached to it, which are all changes of the role (UpdateRole, UpdateAssumeRolePolicy and
AttachRolePolicy need the same permission, `identities.change_role`), and its inline policies in
the table below, which ask PutRolePolicy and DeleteRolePolicy of their own. Policy documents are
edited as JSON text, checked by the policy parsers as the form is cleaned, so a malformed one is
shown on its field; a refusal met while saving (a quota) rolls the whole page back and is shown
as a message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from cognitoadmin.awsmodel import service_model
from cognitoadmin.service_admin import Created, ReadOnlyInline, ServiceModelAdmin, operator_may
from identities.errors import MalformedPolicyDocumentException
from identities.models import ManagedPolicy, Role, RolePolicy
from identities.selectors.roles import managed_policy_attachment_count, role_policy_get
from identities.services.policies import policy_parse, trust_policy_parse
from identities.services.roles import (
    DEFAULT_MAX_SESSION_DURATION,
    UPDATE_POLICY,
    managed_policy_create,
    managed_policy_delete,
    managed_policy_update,
    role_create,
    role_delete,
    role_policy_attach,
    role_policy_delete,
    role_policy_detach,
    role_policy_put,
    role_update,
)

if TYPE_CHECKING:
    _RoleForm = forms.ModelForm[Role]
    _RolePolicyForm = forms.ModelForm[RolePolicy]
    _ManagedPolicyForm = forms.ModelForm[ManagedPolicy]
    _RolePolicyFormSet = BaseInlineFormSet[RolePolicy, Role, Any]
else:  # generic only in django-stubs
    _RoleForm = _RolePolicyForm = _ManagedPolicyForm = forms.ModelForm
    _RolePolicyFormSet = BaseInlineFormSet

_TRUST_HELP = (
    "Who may assume the role, e.g. the identities of one identity pool: "
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": '
    '"cognito-identity.amazonaws.com"}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": '
    '{"StringEquals": {"cognito-identity.amazonaws.com:aud": "<identity pool id>"}}}]}'
)
_POLICY_HELP = (
    "What the role's credentials may do, e.g. "
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
    '"Resource": "arn:aws:s3:::my-bucket/*"}]}'
)


def _document_field(*, label: str, help_text: str, rows: int = 12) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        strip=True,
        widget=forms.Textarea(attrs={"rows": rows, "cols": 80, "spellcheck": "false"}),
    )


def _checked(parse: Callable[..., Any], text: str) -> str:
    """`text` if `parse` takes it; its refusal as the field's error."""
    try:
        parse(document=text)
    except MalformedPolicyDocumentException as error:
        raise forms.ValidationError(error.message) from None
    return text


def _shown(document: Any) -> str:
    return json.dumps(document, indent=2)


def _session_duration_field() -> forms.IntegerField:
    # IAM's own bounds, from its model, so that the field says what the service would refuse.
    bounds = service_model("iam").shape_for("roleMaxSessionDurationType").metadata
    return forms.IntegerField(
        initial=DEFAULT_MAX_SESSION_DURATION,
        min_value=bounds["min"],
        max_value=bounds["max"],
        help_text="Seconds, 1 to 12 hours.",
    )


# --- Roles ---------------------------------------------------------------------------------------


class RoleCreateForm(forms.Form):
    name = forms.CharField(max_length=64, help_text="Letters, digits and _+=,.@- (IAM's rule).")
    path = forms.CharField(max_length=512, initial="/", help_text="/ or /a/path/.")
    description = forms.CharField(max_length=1000, required=False)
    max_session_duration = _session_duration_field()
    trust_policy = _document_field(label="Trust policy", help_text=_TRUST_HELP)

    def clean_trust_policy(self) -> str:
        return _checked(trust_policy_parse, self.cleaned_data["trust_policy"])


class RoleChangeForm(_RoleForm):
    max_session_duration = _session_duration_field()
    trust_policy = _document_field(label="Trust policy", help_text=_TRUST_HELP)

    class Meta:
        model = Role
        fields = ["description", "max_session_duration", "attached_policies"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["trust_policy"] = _shown(self.instance.assume_role_policy)

    def clean_trust_policy(self) -> str:
        text: str = self.cleaned_data["trust_policy"]
        # Untouched, it is the stored canonical document.
        return _checked(trust_policy_parse, text) if "trust_policy" in self.changed_data else text


class RolePolicyForm(_RolePolicyForm):
    document_text = _document_field(label="Document", help_text=_POLICY_HELP, rows=8)

    class Meta:
        model = RolePolicy
        fields = ["name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["document_text"] = _shown(self.instance.document)

    def clean_document_text(self) -> str:
        return _checked(policy_parse, self.cleaned_data["document_text"])


class RolePolicyInline(ReadOnlyInline):
    """The role's inline policies, edited in place; `RoleAdmin.save_formset` writes them through
    PutRolePolicy and DeleteRolePolicy, each asked of the authorization here.

    A ReadOnlyInline by descent only, for what it shares (authorization by IAM action): it
    allows the writes its operator may do.
    """

    model = RolePolicy
    form = RolePolicyForm
    iam_action = "iam:GetRolePolicy"
    fields = ("name", "document_text")
    can_delete = True
    verbose_name = "inline policy"
    verbose_name_plural = "inline policies"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return operator_may(request, "iam:PutRolePolicy")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return operator_may(request, "iam:PutRolePolicy")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return operator_may(request, "iam:DeleteRolePolicy")


@admin.register(Role)
class RoleAdmin(ServiceModelAdmin[Role]):
    add_form = RoleCreateForm
    form = RoleChangeForm
    iam_actions = {
        "view": "iam:GetRole",
        "add": "iam:CreateRole",
        "change": "iam:UpdateRole",
        "delete": "iam:DeleteRole",
    }
    list_display = ("name", "path", "description", "max_session_duration", "created_at")
    list_filter = ("path",)
    search_fields = ("name", "role_id", "description")
    fields = (
        "name",
        "role_id",
        "arn",
        "path",
        "description",
        "max_session_duration",
        "trust_policy",
        "attached_policies",
        "tags",
        "created_at",
        "last_used_at",
    )
    readonly_fields = ("name", "role_id", "arn", "path", "tags", "created_at", "last_used_at")
    filter_horizontal = ("attached_policies",)
    inlines = (RolePolicyInline,)

    @admin.display(description="ARN")
    def arn(self, role: Role) -> str:
        return role.arn

    def iam_resource(self, obj: Role | None) -> str:
        return obj.arn if obj is not None else super().iam_resource(obj)

    def deletion_details(self, obj: Role) -> list[str]:
        # DeleteRole refuses a role with policies: the operator sees why before trying.
        policies = [f"Inline policy: {p.name}" for p in obj.inline_policies.all()]
        policies += [f"Attached policy: {p.name}" for p in obj.attached_policies.all()]
        if policies:
            policies.insert(0, "Delete or detach these policies first:")
        return policies

    def create_via_service(self, request: HttpRequest, form: forms.Form) -> Created[Role]:
        data = form.cleaned_data
        return Created(
            role_create(
                name=data["name"],
                path=data["path"],
                description=data["description"],
                max_session_duration=data["max_session_duration"],
                assume_role_policy_document=data["trust_policy"],
            )
        )

    def save_model(self, request: HttpRequest, obj: Role, form: Any, change: bool) -> None:
        # The form has copied its values onto `obj`; the service gets the stored role.
        data = form.cleaned_data
        trust = data["trust_policy"] if "trust_policy" in form.changed_data else None
        role_update(
            role=Role.objects.get(pk=obj.pk),
            description=data["description"],
            max_session_duration=data["max_session_duration"],
            assume_role_policy_document=trust,
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Not form.save_m2m(): attachments are AttachRolePolicy and DetachRolePolicy.
        role = Role.objects.get(pk=form.instance.pk)
        if "attached_policies" in form.changed_data:
            wanted = set(form.cleaned_data["attached_policies"])
            current = set(role.attached_policies.all())
            for policy in current - wanted:
                role_policy_detach(role=role, policy=policy)
            for policy in sorted(wanted - current, key=lambda p: p.pk):
                role_policy_attach(role=role, policy=policy)
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # Not formset.save(): each inline policy is a PutRolePolicy or a DeleteRolePolicy. The
        # lists formset.save() would make are made here too, for the change's log entry.
        role = Role.objects.get(pk=form.instance.pk)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        deleted = set(formset.deleted_forms)
        for policy_form in deleted:
            if policy_form.instance.pk is not None:
                old = role_policy_get(role=role, name=policy_form.initial["name"])
                role_policy_delete(policy=old)
                formset.deleted_objects.append(old)
        for policy_form in formset.forms:
            if policy_form in deleted or not policy_form.has_changed():
                continue
            name = policy_form.cleaned_data["name"]
            existing = policy_form.instance.pk is not None
            if existing and policy_form.initial["name"] != name:
                # IAM knows no rename: the policy is put under its new name, the old one deleted.
                old = role_policy_get(role=role, name=policy_form.initial["name"])
                role_policy_delete(policy=old)
            policy = role_policy_put(
                role=role, name=name, document=policy_form.cleaned_data["document_text"]
            )
            if existing:
                formset.changed_objects.append((policy, policy_form.changed_data))
            else:
                formset.new_objects.append(policy)

    def delete_via_service(self, obj: Role) -> None:
        role_delete(role=obj)


# --- Managed policies ----------------------------------------------------------------------------


class ManagedPolicyCreateForm(forms.Form):
    name = forms.CharField(max_length=128, help_text="Letters, digits and _+=,.@- (IAM's rule).")
    path = forms.CharField(max_length=512, initial="/", help_text="/ or /a/path/.")
    description = forms.CharField(max_length=1000, required=False)
    document = _document_field(label="Document", help_text=_POLICY_HELP)

    def clean_document(self) -> str:
        return _checked(policy_parse, self.cleaned_data["document"])


class ManagedPolicyChangeForm(_ManagedPolicyForm):
    policy_document = _document_field(
        label="Document",
        help_text="Replaces the policy's one version (v1), at once for every role it is "
        "attached to.",
    )

    class Meta:
        model = ManagedPolicy
        fields = ["description"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["policy_document"] = _shown(self.instance.document)

    def clean_policy_document(self) -> str:
        text: str = self.cleaned_data["policy_document"]
        # Untouched, it is the stored canonical document.
        return _checked(policy_parse, text) if "policy_document" in self.changed_data else text


@admin.register(ManagedPolicy)
class ManagedPolicyAdmin(ServiceModelAdmin[ManagedPolicy]):
    add_form = ManagedPolicyCreateForm
    form = ManagedPolicyChangeForm
    iam_actions = {
        "view": "iam:GetPolicy",
        "add": "iam:CreatePolicy",
        "change": UPDATE_POLICY,
        "delete": "iam:DeletePolicy",
    }
    list_display = ("name", "path", "description", "attachments", "updated_at")
    list_filter = ("path",)
    search_fields = ("name", "policy_id", "description")
    fields = (
        "name",
        "policy_id",
        "arn",
        "path",
        "description",
        "policy_document",
        "attached_to",
        "tags",
        "created_at",
        "updated_at",
    )
    readonly_fields = (
        "name",
        "policy_id",
        "arn",
        "path",
        "attached_to",
        "tags",
        "created_at",
        "updated_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ManagedPolicy]:
        return super().get_queryset(request).annotate(attachment_count=Count("roles"))

    @admin.display(description="ARN")
    def arn(self, policy: ManagedPolicy) -> str:
        return policy.arn

    @admin.display(description="attached to")
    def attachments(self, policy: ManagedPolicy) -> int:
        return managed_policy_attachment_count(policy)

    @admin.display(description="attached to roles")
    def attached_to(self, policy: ManagedPolicy) -> str:
        names = Role.objects.filter(attached_policies=policy).values_list("name", flat=True)
        return ", ".join(names) or "-"

    def iam_resource(self, obj: ManagedPolicy | None) -> str:
        return obj.arn if obj is not None else super().iam_resource(obj)

    def deletion_details(self, obj: ManagedPolicy) -> list[str]:
        # DeletePolicy refuses an attached policy: the operator sees why before trying.
        names = Role.objects.filter(attached_policies=obj).values_list("name", flat=True)
        roles = [f"Attached to role: {name}" for name in names]
        return ["Detach it from these roles first:", *roles] if roles else []

    def create_via_service(self, request: HttpRequest, form: forms.Form) -> Created[ManagedPolicy]:
        data = form.cleaned_data
        return Created(
            managed_policy_create(
                name=data["name"],
                path=data["path"],
                description=data["description"],
                document=data["document"],
            )
        )

    def save_model(self, request: HttpRequest, obj: ManagedPolicy, form: Any, change: bool) -> None:
        data = form.cleaned_data
        document = data["policy_document"] if "policy_document" in form.changed_data else None
        managed_policy_update(
            policy=ManagedPolicy.objects.get(pk=obj.pk),
            description=data["description"],
            document=document,
        )

    def delete_via_service(self, obj: ManagedPolicy) -> None:
        managed_policy_delete(policy=obj)
