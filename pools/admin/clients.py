"""App clients, resource servers, domains, identity providers and signing keys in the admin.

Shown read-only but for identity providers: their update operations replace a whole configuration
and belong to the API. App clients are created here through the service (the new secret is shown
once), identity providers created and changed through theirs; every row with a delete service can
be deleted through it. Secrets never appear: an app client shows whether it has one and lists its
secrets' ids and dates, an identity provider's form leaves its secret details out, a signing key
shows only its public half. Two actions rotate a client's secret through the services
of AddUserPoolClientSecret (the new secret shown once) and DeleteUserPoolClientSecret (the older
secret of a client that has two).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html

from cognitoadmin.authorization import action_declare
from cognitoadmin.errors import ServiceError
from cognitoadmin.service_admin import Created, ReadOnlyInline, report
from pools.admin.base import PoolFilter, PoolServiceAdmin
from pools.errors import ResourceNotFoundException
from pools.forms import AppClientCreateForm, IdentityProviderCreateForm, IdentityProviderFields
from pools.models import (
    AppClient,
    AppClientSecret,
    Domain,
    IdentityProvider,
    ResourceServer,
    SigningKey,
)
from pools.selectors.clients import app_client_secrets
from pools.services.clients import (
    app_client_create,
    app_client_delete,
    app_client_secret_add,
    app_client_secret_delete,
)
from pools.services.domains import domain_delete
from pools.services.federation import (
    SECRET_DETAILS,
    federation_callback_url,
    identity_provider_create,
    identity_provider_delete,
    identity_provider_update,
)
from pools.services.resource_servers import resource_server_delete

# No AWS operation lists a pool's signing keys (their public halves are its JWKS).
LIST_SIGNING_KEYS = action_declare(
    "cognitoadmin:ListSigningKeys", permission="pools.view_signingkey"
).name


class ReadOnlyServiceAdmin(PoolServiceAdmin[Any]):
    list_select_related = ("pool",)
    autocomplete_fields = ("pool",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.add_form is not None and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _pretty(value: object) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True))


class AppClientSecretInline(ReadOnlyInline):
    """A client's secrets by id and date, never their values."""

    model = AppClientSecret
    iam_action = "cognito-idp:ListUserPoolClientSecrets"
    fields = ("secret_id", "created_at")
    readonly_fields = fields
    verbose_name = "client secret"


@admin.register(AppClient)
class AppClientAdmin(ReadOnlyServiceAdmin):
    add_form = AppClientCreateForm
    iam_actions = {
        "view": "cognito-idp:DescribeUserPoolClient",
        "add": "cognito-idp:CreateUserPoolClient",
        "delete": "cognito-idp:DeleteUserPoolClient",
        "add_client_secret": "cognito-idp:AddUserPoolClientSecret",
        "delete_client_secret": "cognito-idp:DeleteUserPoolClientSecret",
    }
    inlines = (AppClientSecretInline,)
    actions = ("add_client_secret", "delete_older_client_secret")
    list_display = ("name", "client_id", "pool", "has_secret", "created_at")
    list_filter = (PoolFilter,)
    search_fields = ("name", "=client_id")
    readonly_fields = ("client_id", "has_secret", "created_at", "updated_at")

    @admin.display(description="has secret", boolean=True)
    def has_secret(self, client: AppClient) -> bool:
        return client.has_secret

    def get_add_form(self, request: HttpRequest) -> type[forms.Form]:
        return type(
            "AppClientCreateForm", (AppClientCreateForm,), {"pool": self.pool_field(request)}
        )

    def create_via_service(self, request: HttpRequest, form: forms.Form) -> Created[AppClient]:
        form = cast(AppClientCreateForm, form)
        client, secret = app_client_create(
            pool=form.cleaned_data["pool"],
            name=form.cleaned_data["name"],
            settings=form.settings(),
        )
        if secret is None:
            return Created(client)
        return Created(
            client,
            once=f"App client {client.name} created with client id {client.client_id} and "
            f"client secret {secret}. Copy the secret now: this page will not show it again.",
        )

    def delete_via_service(self, obj: AppClient) -> None:
        app_client_delete(client=obj)

    def has_add_client_secret_permission(self, request: HttpRequest) -> bool:
        return self.authorized(request, "add_client_secret")

    def has_delete_client_secret_permission(self, request: HttpRequest) -> bool:
        return self.authorized(request, "delete_client_secret")

    @admin.action(description="Add a client secret (rotation)", permissions=["add_client_secret"])
    def add_client_secret(
        self, request: HttpRequest, queryset: QuerySet[AppClient]
    ) -> HttpResponse | None:
        added: list[tuple[AppClient, str]] = []
        failures: list[tuple[object, ServiceError]] = []
        for client in queryset.select_related("pool"):
            try:
                _row, secret = app_client_secret_add(client=client)
            except ServiceError as error:
                failures.append((client, error))
            else:
                added.append((client, secret or ""))
        report(self, request, done="", failures=failures)
        if not added:
            return None
        shown = "; ".join(
            f"{client.name} ({client.client_id}): {secret}" for client, secret in added
        )
        # Shown in this response only, as a new client's secret is.
        return self._render_once(
            request,
            Created(
                added[0][0],
                once=f"New client secret of {shown}. Both secrets of each client are valid until "
                "the older one is deleted. Copy the secret now: this page will not show it again.",
            ),
        )

    @admin.action(
        description="Delete the older client secret (rotation)",
        permissions=["delete_client_secret"],
    )
    def delete_older_client_secret(
        self, request: HttpRequest, queryset: QuerySet[AppClient]
    ) -> None:
        deleted: list[str] = []
        failures: list[tuple[object, ServiceError]] = []
        for client in queryset.select_related("pool"):
            oldest = app_client_secrets(client=client).first()
            if oldest is None:
                failures.append((client, ResourceNotFoundException("It has no client secret.")))
                continue
            try:
                app_client_secret_delete(client=client, secret_id=oldest.secret_id)
            except ServiceError as error:
                failures.append((client, error))
            else:
                deleted.append(f"{client.name} ({oldest.secret_id})")
        done = f"Deleted the older client secret of {', '.join(deleted)}." if deleted else ""
        report(self, request, done=done, failures=failures)


@admin.register(ResourceServer)
class ResourceServerAdmin(ReadOnlyServiceAdmin):
    iam_actions = {
        "view": "cognito-idp:DescribeResourceServer",
        "delete": "cognito-idp:DeleteResourceServer",
    }
    list_display = ("identifier", "name", "pool", "created_at")
    list_filter = (PoolFilter,)
    search_fields = ("identifier", "name")
    readonly_fields = ("created_at", "updated_at")

    def delete_via_service(self, obj: ResourceServer) -> None:
        resource_server_delete(server=obj)


@admin.register(Domain)
class DomainAdmin(ReadOnlyServiceAdmin):
    iam_actions = {
        "view": "cognito-idp:DescribeUserPoolDomain",
        "delete": "cognito-idp:DeleteUserPoolDomain",
    }
    list_display = ("domain", "pool", "is_custom", "status", "created_at")
    list_filter = (PoolFilter, "is_custom", "status")
    search_fields = ("domain",)
    readonly_fields = ("created_at", "updated_at")

    def delete_via_service(self, obj: Domain) -> None:
        domain_delete(pool=obj.pool, domain=obj.domain)


if TYPE_CHECKING:
    _ProviderModelForm = forms.ModelForm[IdentityProvider]
else:  # generic only in django-stubs
    _ProviderModelForm = forms.ModelForm


class IdentityProviderChangeForm(_ProviderModelForm, IdentityProviderFields):
    """Details, mapping and identifiers for the update service. The details start as stored,
    secrets left out (the admin never shows them): a secret left out keeps its value."""

    class Meta:
        model = IdentityProvider
        fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        provider = self.instance
        if provider.pk is not None:
            self.fields["details"].initial = {
                key: value
                for key, value in provider.provider_details.items()
                if key not in SECRET_DETAILS
            }
            self.fields["mapping"].initial = dict(provider.attribute_mapping)
            self.fields["identifiers"].initial = "\n".join(provider.idp_identifiers)


@admin.register(IdentityProvider)
class IdentityProviderAdmin(PoolServiceAdmin[IdentityProvider]):
    """Identity providers added and changed through the services of CreateIdentityProvider and
    UpdateIdentityProvider; each page names the callback URL to register upstream."""

    add_form = IdentityProviderCreateForm
    form = IdentityProviderChangeForm
    iam_actions = {
        "view": "cognito-idp:DescribeIdentityProvider",
        "add": "cognito-idp:CreateIdentityProvider",
        "change": "cognito-idp:UpdateIdentityProvider",
        "delete": "cognito-idp:DeleteIdentityProvider",
    }
    list_display = ("name", "provider_type", "pool", "created_at")
    list_select_related = ("pool",)
    list_filter = (PoolFilter, "provider_type")
    search_fields = ("name",)
    autocomplete_fields = ("pool",)
    fields = (
        "pool",
        "name",
        "provider_type",
        "callback_url",
        "details",
        "mapping",
        "identifiers",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("pool", "name", "provider_type", "callback_url", "created_at", "updated_at")

    @admin.display(description="callback URL to register upstream")
    def callback_url(self, provider: IdentityProvider) -> str:
        return federation_callback_url(pool=provider.pool, provider_type=provider.provider_type)

    def get_add_form(self, request: HttpRequest) -> type[forms.Form]:
        return type(
            "IdentityProviderCreateForm",
            (IdentityProviderCreateForm,),
            {"pool": self.pool_field(request)},
        )

    def create_via_service(
        self, request: HttpRequest, form: forms.Form
    ) -> Created[IdentityProvider]:
        data = form.cleaned_data
        return Created(
            identity_provider_create(
                pool=data["pool"],
                name=data["name"],
                provider_type=data["provider_type"],
                details=data["details"],
                attribute_mapping=data["mapping"],
                idp_identifiers=data["identifiers"],
            )
        )

    def save_model(
        self, request: HttpRequest, obj: IdentityProvider, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        identity_provider_update(
            provider=IdentityProvider.objects.select_related("pool").get(pk=obj.pk),
            details=data["details"],
            attribute_mapping=data["mapping"],
            idp_identifiers=data["identifiers"],
        )

    def delete_via_service(self, obj: IdentityProvider) -> None:
        identity_provider_delete(provider=obj)


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyServiceAdmin):
    """Keys come from the pool's "rotate the signing key" action and leave the JWKS by expiry."""

    iam_actions = {"view": LIST_SIGNING_KEYS}

    list_display = ("kid", "pool", "active", "created_at", "retired_at", "expires_at")
    list_filter = (PoolFilter, "active")
    search_fields = ("=kid",)
    fields = ("pool", "kid", "active", "public_key", "created_at", "retired_at", "expires_at")
    readonly_fields = ("kid", "public_key", "created_at")

    @admin.display(description="public key (JWK)")
    def public_key(self, key: SigningKey) -> str:
        return _pretty(key.public_jwk)
