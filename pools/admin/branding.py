"""The hosted UI's branding in the admin: a page per pool (beside its change page) that sets
the pool's default or one app client's UI customization through SetUICustomization's service,
and shows the service's refusals as messages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse

from cognitoadmin.errors import ServiceError
from pools.admin.base import PoolServiceAdmin
from pools.forms import UICustomizationForm
from pools.models import AppClient, UICustomization, UserPool
from pools.selectors.branding import (
    ALL_CLIENTS,
    ui_customization_client,
    ui_customization_clients,
    ui_customization_get,
)
from pools.services.branding import (
    MAX_IMAGE_BYTES,
    ui_customization_image_url,
    ui_customization_set,
)

SET_UI_CUSTOMIZATION = "cognito-idp:SetUICustomization"


class UICustomizationAdminMixin(PoolServiceAdmin[UserPool]):
    """For UserPoolAdmin, whose `iam_actions` name "set_ui_customization"."""

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        pool = self.get_object(request, object_id)
        may = pool is not None and self.authorized(request, "set_ui_customization", pool)
        extra_context = {**(extra_context or {}), "may_set_ui_customization": may}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self) -> list[URLPattern]:
        name = f"{self.opts.app_label}_{self.opts.model_name}_ui_customization"
        # Before the admin's own patterns: they end with a catch-all.
        return [
            path(
                "<path:object_id>/ui-customization/",
                self.admin_site.admin_view(self.ui_customization_view),
                name=name,
            ),
            *super().get_urls(),
        ]

    def ui_customization_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """SetUICustomization: `?client=<ClientId>` for one client's, else the pool's default."""
        pool = self.get_object(request, object_id)
        if pool is None:
            raise Http404(f"No {self.opts.verbose_name} with the id {object_id!r}.")
        if not self.authorized(request, "set_ui_customization", pool):
            raise PermissionDenied
        client_id = request.GET.get("client") or ALL_CLIENTS
        try:
            client = ui_customization_client(pool=pool, client_id=client_id)
        except ServiceError as error:
            raise Http404(error.message) from None
        row = ui_customization_get(pool=pool, client=client)
        form = UICustomizationForm(
            request.POST or None, request.FILES or None, initial={"css": row.css if row else ""}
        )
        if form.is_bound and form.is_valid():
            saved = self._ui_customization_save(request, pool, client, row, form)
            if saved:
                return HttpResponseRedirect(request.get_full_path())
        levels = [(ALL_CLIENTS, "All app clients (the pool's default)")] + [
            (c.client_id, f"{c.name} ({c.client_id})") for c in ui_customization_clients(pool=pool)
        ]
        return self.object_page(
            request,
            "admin/pools/userpool/ui_customization.html",
            pool,
            title=f"Hosted UI branding of {pool.name}",
            form=form,
            levels=levels,
            level=client_id,
            level_url=reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_ui_customization",
                args=[pool.pk],
                current_app=self.admin_site.name,
            ),
            customization=row,
            image_url=ui_customization_image_url(row) if row is not None else None,
        )

    def _ui_customization_save(
        self,
        request: HttpRequest,
        pool: UserPool,
        client: AppClient | None,
        row: UICustomization | None,
        form: UICustomizationForm,
    ) -> bool:
        remove = "remove" in request.POST
        upload = form.cleaned_data["image"]
        if remove:
            css, image = "", None
        else:
            css = form.cleaned_data["css"]
            # One byte past the limit is enough for the service to refuse it.
            image = upload.read(MAX_IMAGE_BYTES + 1) if upload is not None else None
            if image is None and form.cleaned_data["keep_image"] and row is not None:
                image = bytes(row.image) or None
        try:
            saved = ui_customization_set(pool=pool, client=client, css=css, image=image)
        except ServiceError as error:
            self.message_user(request, error.message, messages.ERROR)
            return False
        level = client.name if client is not None else "all app clients"
        done = "saved" if saved is not None else "removed"
        self.message_user(
            request, f"The hosted UI branding of {level} is {done}.", messages.SUCCESS
        )
        return True
