"""What every admin of this project's data shares: writes go through services, refusals are shown.

Django's admin writes with the ORM (`form.save()`, `obj.delete()`, the deletion collector). Here
every create, change and delete calls the service that owns the rule instead, so a rule is enforced
once for the admin, the API and the AWS endpoint alike. A refused change leaves nothing behind:
the add view only creates through the service, and change, delete and bulk actions run in a
transaction that is rolled back before the refusal is shown.

What an operator may do here is decided by `cognitoadmin.authorization`, as on the other doors:
each admin names the IAM action behind each of its permissions (`iam_actions`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IS_POPUP_VAR
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import capfirst

from cognitoadmin.authorization import ACCOUNT, is_authorized, request_caller
from cognitoadmin.errors import ServiceError
from cognitoadmin.regions import region_check

_M = TypeVar("_M", bound=Model)

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[_M]
    _TabularInline = admin.TabularInline[Any, Any]
else:  # ModelAdmin is generic only in django-stubs (no django_stubs_ext.monkeypatch() here)

    class _ModelAdmin(admin.ModelAdmin, Generic[_M]):
        pass

    _TabularInline = admin.TabularInline


def operator_may(request: HttpRequest, action: str, resource: str = ACCOUNT) -> bool:
    """Whether the operator signed in to the admin may perform `action` (an IAM action name)."""
    return is_authorized(
        request_caller(request, operator=request.user), action=action, resource=resource
    )


# Bulk actions run one service call per object inside one request. Intermediate pages post the
# chosen ids back, and Django refuses more than DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000) fields.
ACTION_LIMIT = 500


@dataclass(frozen=True)
class Created(Generic[_M]):
    obj: _M
    # Shown in this response only, never stored for a later request: it may hold a secret.
    once: str = ""


class BulkChangeRejected(Exception):
    """A service refused one object of a bulk change; the whole change is rolled back."""

    def __init__(self, obj: object, error: ServiceError) -> None:
        super().__init__(f"{obj}: {error.message}")


def report(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    *,
    done: str,
    failures: Sequence[tuple[object, ServiceError]],
) -> None:
    """One success message (when anything was done) and one error message listing the refusals."""
    if done:
        modeladmin.message_user(request, done, messages.SUCCESS)
    if failures:
        shown = "; ".join(f"{obj}: {error.message}" for obj, error in failures[:10])
        more = f" (and {len(failures) - 10} more)" if len(failures) > 10 else ""
        modeladmin.message_user(request, f"{len(failures)} refused: {shown}{more}", messages.ERROR)


class ServiceModelAdmin(_ModelAdmin[_M]):
    """A ModelAdmin whose writes are service calls.

    Subclasses set `add_form` (a plain form, so the model's own validation never stands in for
    the service's) and implement `create_via_service`, and implement `delete_via_service` where
    a delete service exists. Changes go through `save_model`, which subclasses override to call
    their update services with a freshly read object.
    """

    add_form: type[forms.Form] | None = None
    # The IAM action behind each permission: "view", "add", "change", "delete", and the names
    # that actions list in `permissions` (each with its `has_<name>_permission`). A permission
    # without an action is refused.
    iam_actions: Mapping[str, str] = {}

    def iam_resource(self, obj: _M | None) -> str:
        """The ARN an action on `obj` (or, without one, on the model's rows) acts on."""
        return ACCOUNT

    def authorized(self, request: HttpRequest, permission: str, obj: _M | None = None) -> bool:
        action = self.iam_actions.get(permission)
        return action is not None and operator_may(request, action, self.iam_resource(obj))

    def has_view_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        # As in Django's admin, whoever may change may also look.
        return self.authorized(request, "view", obj) or self.authorized(request, "change", obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.authorized(request, "add")

    def has_change_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return self.authorized(request, "change", obj)

    def has_delete_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return self.authorized(request, "delete", obj)

    def create_via_service(self, request: HttpRequest, form: forms.Form) -> Created[_M]:
        raise NotImplementedError

    def delete_via_service(self, obj: _M) -> None:
        raise NotImplementedError

    def deletion_details(self, obj: _M) -> list[str]:
        """What else goes with `obj`, shown on the delete confirmation."""
        return []

    # --- add ---------------------------------------------------------------------------------

    def get_add_form(self, request: HttpRequest) -> type[forms.Form] | None:
        return self.add_form

    def add_view(
        self,
        request: HttpRequest,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        form_class = self.get_add_form(request)
        if form_class is None:
            return super().add_view(request, form_url, extra_context)
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = form_class(request.POST)
            if form.is_valid():
                try:
                    created = self.create_via_service(request, form)
                except ServiceError as error:
                    form.add_error(None, error.message)
                else:
                    self.log_addition(request, created.obj, [{"added": {}}])
                    if created.once:
                        return self._render_once(request, created)
                    return self.response_add(request, created.obj)
        else:
            form = form_class(initial=self.get_changeform_initial_data(request))

        admin_form = helpers.AdminForm(
            form,  # type: ignore[arg-type]  # any form renders; the stubs ask for a ModelForm
            [(None, {"fields": list(form.fields)})],
            {},
            (),
            model_admin=self,
        )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Add {self.opts.verbose_name}",
            "subtitle": None,
            "adminform": admin_form,
            "object_id": None,
            "original": None,
            "is_popup": IS_POPUP_VAR in request.POST or IS_POPUP_VAR in request.GET,
            "to_field": None,
            "media": self.media + admin_form.media,
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(form, []),  # type: ignore[arg-type]  # as above
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        return self.render_change_form(request, context, add=True, form_url=form_url)

    def _render_once(self, request: HttpRequest, created: Created[_M]) -> HttpResponse:
        # Rendered now rather than redirected: a message read in this response is never stored
        # (in the session or a cookie) for the next one.
        self.message_user(request, created.once, messages.SUCCESS)
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            "admin/created_once.html",
            {
                **self.admin_site.each_context(request),
                "title": f"{capfirst(self.opts.verbose_name)} created",
                "opts": self.opts,
                "obj": created.obj,
                "change_url": self._change_url(created.obj.pk),
            },
        )

    # --- change ------------------------------------------------------------------------------

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceError as error:
            # Django runs the view in a transaction, already rolled back here.
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    # --- delete ------------------------------------------------------------------------------

    def delete_model(self, request: HttpRequest, obj: _M) -> None:
        self.delete_via_service(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[_M]) -> None:
        for obj in queryset:
            try:
                self.delete_via_service(obj)
            except ServiceError as error:
                raise BulkChangeRejected(obj, error) from error

    def delete_view(
        self,
        request: HttpRequest,
        object_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(self._change_url(object_id))

    def get_deleted_objects(
        self, objs: Sequence[_M] | QuerySet[_M], request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        # The services own what goes with an object. Django's collector would read every dependent
        # row to list it (all of a pool's users), and ask for delete permissions the operator
        # does not need, since no row is deleted by the admin itself.
        listed: list[Any] = []
        count = 0
        for obj in objs:
            count += 1
            listed.append(f"{capfirst(self.opts.verbose_name)}: {obj}")
            details = self.deletion_details(obj)
            if details:
                listed.append(details)
        return listed, {str(self.opts.verbose_name_plural): count}, set(), []

    # --- actions -----------------------------------------------------------------------------

    def response_action(self, request: HttpRequest, queryset: QuerySet[_M]) -> HttpResponse | None:
        if forms.BooleanField(required=False).clean(request.POST.get("select_across")):
            # "Select all" means every row the list's filters match, possibly a million.
            chosen = list(queryset.values_list("pk", flat=True)[: ACTION_LIMIT + 1])
            if len(chosen) > ACTION_LIMIT:
                self.message_user(
                    request,
                    f"An action runs on at most {ACTION_LIMIT} {self.opts.verbose_name_plural}"
                    " at a time; narrow the list with a filter or a search.",
                    messages.ERROR,
                )
                return HttpResponseRedirect(request.get_full_path())
            queryset = queryset.filter(pk__in=chosen)
        try:
            with transaction.atomic():
                return super().response_action(request, queryset)
        except BulkChangeRejected as rejected:
            self.message_user(request, f"Nothing was changed. {rejected}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def confirm_action(
        self,
        request: HttpRequest,
        *,
        action: str,
        title: str,
        intro: str,
        objects: Sequence[_M],
        form: forms.Form | None = None,
        submit: str = "Yes, I'm sure",
    ) -> TemplateResponse:
        """An intermediate page that posts the chosen objects back to `action`, with `post=yes`."""
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            [
                f"admin/{self.opts.app_label}/{self.opts.model_name}/action_confirmation.html",
                "admin/action_confirmation.html",
            ],
            {
                **self.admin_site.each_context(request),
                "title": title,
                "intro": intro,
                "objects": objects,
                "form": form,
                "action": action,
                "submit": submit,
                "opts": self.opts,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "media": self.media + (form.media if form is not None else forms.Media()),
            },
        )

    # --- helpers -----------------------------------------------------------------------------

    def object_page(
        self, request: HttpRequest, template: str, obj: _M, *, title: str, **context: Any
    ) -> TemplateResponse:
        """A page of the admin about one object (its breadcrumbs back to the object's change
        page), beside the change page: an MFA set-up, a configuration form."""
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.opts,
                "original": obj,
                "change_url": self._change_url(obj.pk),
                **context,
            },
        )

    def _change_url(self, pk: object) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=[pk],
            current_app=self.admin_site.name,
        )


class ReadOnlyInline(_TabularInline):
    """Rows shown beside their owner, changed only through the owner's services and actions;
    seen by those whom `iam_action` (a read) is allowed."""

    iam_action: str
    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return operator_may(request, self.iam_action)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RegionFormField(forms.CharField):
    """An add form's region: one this server serves, or None (left empty) for its default."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            max_length=32,
            required=False,
            help_text="The region it lives in, which its id begins with. Left empty: "
            "this server's default region.",
            **kwargs,
        )

    def clean(self, value: Any) -> str | None:
        region: str = super().clean(value).strip()
        if not region:
            return None
        try:
            return region_check(region)
        except ServiceError as refusal:
            raise forms.ValidationError(refusal.message) from None
