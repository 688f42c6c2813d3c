"""IAM OpenID Connect providers in the admin, read only: they are made and changed over IAM
(CreateOpenIDConnectProvider and the rest); deleting one goes through its service."""

from __future__ import annotations

from django.contrib import admin

from cognitoadmin.service_admin import ServiceModelAdmin
from identities.models import OpenIdConnectProvider
from identities.services.oidc_providers import oidc_provider_delete


@admin.register(OpenIdConnectProvider)
class OpenIdConnectProviderAdmin(ServiceModelAdmin[OpenIdConnectProvider]):
    iam_actions = {
        "view": "iam:GetOpenIDConnectProvider",
        "delete": "iam:DeleteOpenIDConnectProvider",
    }
    list_display = ("url", "arn", "created_at")
    search_fields = ("url",)
    fields = ("url", "arn", "client_id_list", "thumbprint_list", "tags", "created_at")
    readonly_fields = fields

    def iam_resource(self, obj: OpenIdConnectProvider | None) -> str:
        return obj.arn if obj is not None else super().iam_resource(obj)

    def delete_via_service(self, obj: OpenIdConnectProvider) -> None:
        oidc_provider_delete(provider=obj)
