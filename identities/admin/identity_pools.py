"""Identity pools in the admin: created, changed and deleted through the identity pool services.

UpdateIdentityPool and SetIdentityPoolRoles each replace their whole part of the configuration,
so the change page shows the configuration read-only, in sections, and each part is edited on a
page of its own that sends all of it: the settings and the roles. A refusal is shown on the
fields it names. The pool's identities are listed on a page of their own, a page at a time (never
counted), with their logins, and can be deleted from there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from cognitoadmin.errors import ServiceError
from cognitoadmin.ids import identity_pool_arn as identity_pool_arn_of
from cognitoadmin.service_admin import Created, RegionFormField, ServiceModelAdmin
from identities.models import Identity, IdentityPool
from identities.selectors.identity_pools import identities_page, identity_get
from identities.services.identity_pools import (
    identities_delete,
    identity_pool_create,
    identity_pool_delete,
    identity_pool_set_roles,
    identity_pool_update,
)

# One page of identities is one ListIdentities page, and one deletion one DeleteIdentities call.
IDENTITIES_PAGE_SIZE = 60


def _lines(text: str) -> list[tuple[int, str]]:
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def _pairs(text: str, *, what: str) -> dict[str, str]:
    """`name = value` lines as a mapping; the value may be empty."""
    pairs: dict[str, str] = {}
    for number, line in _lines(text):
        name, equals, value = line.partition("=")
        if not equals or not name.strip():
            raise ValidationError(f"Line {number}: write {what} as `name = value`.")
        if name.strip() in pairs:
            raise ValidationError(f"Line {number}: {name.strip()} is given twice.")
        pairs[name.strip()] = value.strip()
    return pairs


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "cols": 80, "spellcheck": "false"})


class ServiceErrorsOnFieldsForm(forms.Form):
    """Shows a service's refusal on the fields it is about: those whose AWS members it names
    (`members`), or whose value it quotes; on the form as a whole when it names none."""

    members: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    def add_error(self, field: str | None, error: Any) -> None:
        if field is None and isinstance(error, str):
            named = [name for name in self.fields if self._is_about(name, error)]
            if named:
                for name in named:
                    super().add_error(name, error)
                return
        super().add_error(field, error)

    def _is_about(self, name: str, message: str) -> bool:
        value = self.data.get(self.add_prefix(name)) if self.is_bound else None
        if isinstance(value, str) and value.strip() and f"'{value.strip()}'" in message:
            return True
        return any(
            re.search(rf"(?<![\w.]){re.escape(member)}(?![\w])", message, re.IGNORECASE)
            for member in self.members.get(name, ())
        )


class IdentityPoolSettingsForm(ServiceErrorsOnFieldsForm):
    """CreateIdentityPool's and UpdateIdentityPool's members."""

    members: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "name": ("IdentityPoolName",),
        "allow_unauthenticated_identities": ("AllowUnauthenticatedIdentities",),
        "allow_classic_flow": ("AllowClassicFlow",),
        "supported_login_providers": ("SupportedLoginProviders",),
        "developer_provider_name": ("DeveloperProviderName",),
        "cognito_identity_providers": ("CognitoIdentityProviders",),
        "open_id_connect_provider_arns": ("OpenIdConnectProviderARNs",),
        "saml_provider_arns": ("SamlProviderARNs",),
        "tags": ("IdentityPoolTags", "tag", "tags"),
    }

    name = forms.CharField(max_length=128, strip=False)
    allow_unauthenticated_identities = forms.BooleanField(
        required=False, help_text="Guests (no login at all) get identities and credentials."
    )
    allow_classic_flow = forms.BooleanField(
        required=False, help_text="The basic (classic) authentication flow: GetOpenIdToken."
    )
    supported_login_providers = forms.CharField(
        required=False,
        widget=_textarea(),
        help_text="One a line: `provider = app id`, e.g. `graph.facebook.com = 7346241598935552`.",
    )
    developer_provider_name = forms.CharField(
        required=False,
        help_text="The name your back end gives its own users' logins. Once set, it cannot change.",
    )
    cognito_identity_providers = forms.CharField(
        required=False,
        widget=_textarea(),
        help_text="One user pool app client a line: `cognito-idp.<region>.amazonaws.com/<user pool "
        "id> <client id>`, and `server-side-check` after it to check tokens against the user.",
    )
    open_id_connect_provider_arns = forms.CharField(
        required=False,
        widget=_textarea(2),
        label="OpenID Connect provider ARNs",
        help_text="One IAM OIDC provider ARN a line.",
    )
    saml_provider_arns = forms.CharField(
        required=False,
        widget=_textarea(2),
        label="SAML provider ARNs",
        help_text="One IAM SAML provider ARN a line.",
    )
    tags = forms.CharField(
        required=False, widget=_textarea(), help_text="One a line: `key = value`."
    )

    def __init__(self, *args: Any, pool: IdentityPool | None = None, **kwargs: Any) -> None:
        if pool is not None:
            kwargs.setdefault("initial", self.initial_from(pool))
        super().__init__(*args, **kwargs)
        if pool is not None and pool.developer_provider_name:
            self.fields["developer_provider_name"].disabled = True

    @staticmethod
    def initial_from(pool: IdentityPool) -> dict[str, Any]:
        return {
            "name": pool.name,
            "allow_unauthenticated_identities": pool.allow_unauthenticated,
            "allow_classic_flow": pool.allow_classic_flow,
            "supported_login_providers": "\n".join(
                f"{provider} = {app}" for provider, app in pool.supported_login_providers.items()
            ),
            "developer_provider_name": pool.developer_provider_name,
            "cognito_identity_providers": "\n".join(
                f"{p['ProviderName']} {p['ClientId']}"
                + (" server-side-check" if p.get("ServerSideTokenCheck") else "")
                for p in pool.cognito_identity_providers
            ),
            "open_id_connect_provider_arns": "\n".join(pool.open_id_connect_provider_arns),
            "saml_provider_arns": "\n".join(pool.saml_provider_arns),
            "tags": "\n".join(f"{key} = {value}" for key, value in pool.tags.items()),
        }

    def clean_supported_login_providers(self) -> dict[str, str]:
        return _pairs(self.cleaned_data["supported_login_providers"], what="providers")

    def clean_cognito_identity_providers(self) -> list[dict[str, Any]]:
        providers = []
        for number, line in _lines(self.cleaned_data["cognito_identity_providers"]):
            words = line.split()
            check = words[2:] == ["server-side-check"]
            if len(words) != 2 and not (len(words) == 3 and check):
                raise ValidationError(
                    f"Line {number}: write `<provider name> <client id>`, and "
                    "`server-side-check` after them if wanted."
                )
            providers.append(
                {"ProviderName": words[0], "ClientId": words[1], "ServerSideTokenCheck": check}
            )
        return providers

    def clean_open_id_connect_provider_arns(self) -> list[str]:
        return [line for _n, line in _lines(self.cleaned_data["open_id_connect_provider_arns"])]

    def clean_saml_provider_arns(self) -> list[str]:
        return [line for _n, line in _lines(self.cleaned_data["saml_provider_arns"])]

    def clean_tags(self) -> dict[str, str]:
        return _pairs(self.cleaned_data["tags"], what="tags")

    def settings(self) -> dict[str, Any]:
        data = self.cleaned_data
        settings = {
            "IdentityPoolName": data["name"],
            "AllowUnauthenticatedIdentities": data["allow_unauthenticated_identities"],
            "AllowClassicFlow": data["allow_classic_flow"],
            "SupportedLoginProviders": data["supported_login_providers"],
            "CognitoIdentityProviders": data["cognito_identity_providers"],
            "OpenIdConnectProviderARNs": data["open_id_connect_provider_arns"],
            "SamlProviderARNs": data["saml_provider_arns"],
            "IdentityPoolTags": data["tags"],
        }
        if data["developer_provider_name"]:
            settings["DeveloperProviderName"] = data["developer_provider_name"]
        return settings


class IdentityPoolCreateForm(IdentityPoolSettingsForm):
    region = RegionFormField()


_ROLE_MAPPINGS_HELP = (
    "Optional: provider -> role mapping, as SetIdentityPoolRoles takes them, e.g. "
    '{"cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc:client": {"Type": "Token", '
    '"AmbiguousRoleResolution": "AuthenticatedRole"}}. A user pool is named with its app client.'
)


class IdentityPoolRolesForm(ServiceErrorsOnFieldsForm):
    """SetIdentityPoolRoles' members: what is left empty is removed."""

    members: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "authenticated_role": ("roles.authenticated",),
        "unauthenticated_role": ("roles.unauthenticated",),
        "role_mappings": ("RoleMappings", "RoleMapping"),
    }

    authenticated_role = forms.CharField(
        required=False, help_text="The role ARN of signed-in identities (it need not exist yet)."
    )
    unauthenticated_role = forms.CharField(
        required=False, help_text="The role ARN of guests, when the pool allows them."
    )
    role_mappings = forms.CharField(
        required=False, widget=_textarea(10), help_text=_ROLE_MAPPINGS_HELP
    )

    @staticmethod
    def initial_from(pool: IdentityPool) -> dict[str, Any]:
        return {
            "authenticated_role": pool.authenticated_role_arn,
            "unauthenticated_role": pool.unauthenticated_role_arn,
            "role_mappings": json.dumps(pool.role_mappings, indent=2) if pool.role_mappings else "",
        }

    def clean_role_mappings(self) -> dict[str, Any]:
        text = self.cleaned_data["role_mappings"].strip()
        if not text:
            return {}
        try:
            mappings = json.loads(text)
        except ValueError as error:
            raise ValidationError(f"This is not JSON: {error}.") from None
        if not isinstance(mappings, dict):
            raise ValidationError("Write the role mappings as one JSON object.")
        return mappings

    def roles(self) -> dict[str, str]:
        chosen = {
            "authenticated": self.cleaned_data["authenticated_role"],
            "unauthenticated": self.cleaned_data["unauthenticated_role"],
        }
        return {kind: arn for kind, arn in chosen.items() if arn}


def _listed(items: list[SafeString | str]) -> SafeString:
    return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((i,) for i in items)))


@admin.register(IdentityPool)
class IdentityPoolAdmin(ServiceModelAdmin[IdentityPool]):
    add_form = IdentityPoolCreateForm
    iam_actions = {
        "view": "cognito-identity:DescribeIdentityPool",
        "add": "cognito-identity:CreateIdentityPool",
        "delete": "cognito-identity:DeleteIdentityPool",
        "update": "cognito-identity:UpdateIdentityPool",
        "set_roles": "cognito-identity:SetIdentityPoolRoles",
        "list_identities": "cognito-identity:ListIdentities",
        "delete_identities": "cognito-identity:DeleteIdentities",
    }
    list_display = (
        "name",
        "identity_pool_id",
        "region",
        "allow_unauthenticated",
        "developer_provider_name",
        "identities",
        "created_at",
    )
    list_filter = ("region", "allow_unauthenticated")
    search_fields = ("name", "=identity_pool_id", "=developer_provider_name")
    ordering = ("name",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "identity_pool_id",
                    "arn",
                    "allow_unauthenticated",
                    "allow_classic_flow",
                    "created_at",
                )
            },
        ),
        (
            "Providers",
            {
                "fields": (
                    "login_providers",
                    "user_pools",
                    "openid_connect_providers",
                    "saml_providers",
                    "developer_provider_name",
                )
            },
        ),
        (
            "Roles and role mappings",
            {"fields": ("authenticated_role_arn", "unauthenticated_role_arn", "mappings")},
        ),
        ("Attributes for access control", {"fields": ("principal_tags",)}),
        ("Tags", {"fields": ("tag_list",)}),
    )
    # Every field is shown, none edited here (see the module's docstring).
    readonly_fields = flatten_fieldsets(fieldsets)
    change_form_template = "admin/identities/identitypool/change_form.html"

    def iam_resource(self, obj: IdentityPool | None) -> str:
        return identity_pool_arn_of(obj.identity_pool_id) if obj else super().iam_resource(obj)

    # --- the list and the page ---------------------------------------------------------------

    @admin.display(description="identities")
    def identities(self, pool: IdentityPool) -> str:
        return format_html('<a href="{}">identities</a>', self._url("identities", pool))

    @admin.display(description="ARN")
    def arn(self, pool: IdentityPool) -> str:
        return identity_pool_arn_of(pool.identity_pool_id)

    @admin.display(description="login providers (provider = app id)")
    def login_providers(self, pool: IdentityPool) -> SafeString | str:
        items: list[SafeString | str] = [
            f"{provider} = {app}" for provider, app in pool.supported_login_providers.items()
        ]
        return _listed(items) if items else self.get_empty_value_display()

    @admin.display(description="user pools (app clients)")
    def user_pools(self, pool: IdentityPool) -> SafeString | str:
        items: list[SafeString | str] = [
            f"{p['ProviderName']}, client {p['ClientId']}"
            + (", tokens checked against the user" if p.get("ServerSideTokenCheck") else "")
            for p in pool.cognito_identity_providers
        ]
        return _listed(items) if items else self.get_empty_value_display()

    @admin.display(description="OpenID Connect providers")
    def openid_connect_providers(self, pool: IdentityPool) -> SafeString | str:
        items: list[SafeString | str] = list(pool.open_id_connect_provider_arns)
        return _listed(items) if items else self.get_empty_value_display()

    @admin.display(description="SAML providers")
    def saml_providers(self, pool: IdentityPool) -> SafeString | str:
        items: list[SafeString | str] = list(pool.saml_provider_arns)
        return _listed(items) if items else self.get_empty_value_display()

    @admin.display(description="role mappings")
    def mappings(self, pool: IdentityPool) -> SafeString | str:
        items: list[SafeString | str] = []
        for provider, mapping in pool.role_mappings.items():
            resolution = mapping.get("AmbiguousRoleResolution", "")
            if mapping["Type"] == "Token":
                summary = format_html(
                    "{}: the role from the token's cognito:roles; if ambiguous, {}",
                    provider,
                    resolution,
                )
            else:
                rules = [
                    f"{r['Claim']} {r['MatchType']} {r['Value']} → {r['RoleARN']}"
                    for r in mapping.get("RulesConfiguration", {}).get("Rules", [])
                ]
                summary = format_html(
                    "{}: the first rule that matches; if none, {}{}",
                    provider,
                    resolution,
                    _listed(list(rules)),
                )
            items.append(summary)
        return _listed(items) if items else self.get_empty_value_display()

    @admin.display(description="principal tags (tag = claim)")
    def principal_tags(self, pool: IdentityPool) -> SafeString | str:
        items: list[SafeString | str] = []
        for provider, mapping in pool.principal_tag_maps.items():
            tags = [f"{tag} = {claim}" for tag, claim in mapping.get("PrincipalTags", {}).items()]
            defaults = "the default tags" if mapping.get("UseDefaults") else ""
            items.append(format_html("{}: {}{}", provider, defaults, _listed(list(tags))))
        return _listed(items) if items else self.get_empty_value_display()

    @admin.display(description="tags")
    def tag_list(self, pool: IdentityPool) -> SafeString | str:
        items: list[SafeString | str] = [f"{k} = {v}" for k, v in pool.tags.items()]
        return _listed(items) if items else self.get_empty_value_display()

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        pool = self.get_object(request, object_id)
        may = {
            f"may_{name}": pool is not None and self.authorized(request, name, pool)
            for name in ("update", "set_roles", "list_identities")
        }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **may})

    # --- writes ------------------------------------------------------------------------------

    def create_via_service(self, request: HttpRequest, form: forms.Form) -> Created[IdentityPool]:
        form = cast(IdentityPoolCreateForm, form)
        return Created(
            identity_pool_create(settings=form.settings(), region=form.cleaned_data["region"])
        )

    def delete_via_service(self, obj: IdentityPool) -> None:
        identity_pool_delete(pool=obj)

    def deletion_details(self, obj: IdentityPool) -> list[str]:
        return ["The pool's identities and their logins"]

    # --- pages of their own ------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        views = {
            "settings": self.settings_view,
            "roles": self.roles_view,
            "identities": self.identities_view,
        }
        # Before the admin's own patterns: they end with a catch-all.
        return [
            *(
                path(
                    f"<path:object_id>/{name}/",
                    self.admin_site.admin_view(view),
                    name=f"{prefix}_{name}",
                )
                for name, view in views.items()
            ),
            *super().get_urls(),
        ]

    def _url(self, page: str, pool: IdentityPool) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_{page}",
            args=[pool.pk],
            current_app=self.admin_site.name,
        )

    def _pool(self, request: HttpRequest, object_id: str, permission: str) -> IdentityPool:
        pool = self.get_object(request, object_id)
        if pool is None:
            raise Http404(f"No {self.opts.verbose_name} with the id {object_id!r}.")
        if not self.authorized(request, permission, pool):
            raise PermissionDenied
        return pool

    def _posted(self, request: HttpRequest) -> Any:
        return request.POST if request.method == "POST" else None

    def settings_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """UpdateIdentityPool: every setting but the roles, sent together."""
        pool = self._pool(request, object_id, "update")
        form = IdentityPoolSettingsForm(self._posted(request), pool=pool)
        if form.is_bound and form.is_valid():
            try:
                identity_pool_update(pool=pool, settings=form.settings())
            except ServiceError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(request, f"The settings of {pool} are saved.", messages.SUCCESS)
                return HttpResponseRedirect(self._change_url(pool.pk))
        return self.object_page(
            request,
            "admin/identities/identitypool/form_page.html",
            pool,
            title=f"Settings of {pool}",
            page="Settings",
            intro="Every setting is saved together, as UpdateIdentityPool saves them; a "
            "provider taken away takes its role mapping and principal tags with it.",
            form=form,
        )

    def roles_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """SetIdentityPoolRoles: the roles and the role mappings, sent together."""
        pool = self._pool(request, object_id, "set_roles")
        form = IdentityPoolRolesForm(
            self._posted(request), initial=IdentityPoolRolesForm.initial_from(pool)
        )
        if form.is_bound and form.is_valid():
            try:
                identity_pool_set_roles(
                    pool=pool,
                    roles=form.roles(),
                    role_mappings=form.cleaned_data["role_mappings"],
                )
            except ServiceError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(request, f"The roles of {pool} are saved.", messages.SUCCESS)
                return HttpResponseRedirect(self._change_url(pool.pk))
        return self.object_page(
            request,
            "admin/identities/identitypool/form_page.html",
            pool,
            title=f"Roles of {pool}",
            page="Roles",
            intro="Identities get the authenticated role (guests the unauthenticated one) unless "
            "a role mapping of their provider chooses another. A role left empty is removed.",
            form=form,
        )

    def identities_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """ListIdentities a page at a time, and DeleteIdentities for the ones chosen."""
        pool = self._pool(request, object_id, "list_identities")
        may_delete = self.authorized(request, "delete_identities", pool)
        if request.method == "POST":
            if not may_delete:
                raise PermissionDenied
            return self._delete_identities(request, pool)
        cursor = request.GET.get("cursor") or None
        try:
            page, next_token = identities_page(
                pool=pool, max_results=IDENTITIES_PAGE_SIZE, next_token=cursor
            )
        except ServiceError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(self._url("identities", pool))
        next_url = f"?{urlencode({'cursor': next_token})}" if next_token else None
        return self._identities_page(
            request, pool, identities=page, next_url=next_url, may_delete=may_delete
        )

    def _delete_identities(self, request: HttpRequest, pool: IdentityPool) -> HttpResponse:
        chosen_ids = list(dict.fromkeys(request.POST.getlist("identity_id")))
        if len(chosen_ids) > IDENTITIES_PAGE_SIZE:
            self.message_user(
                request,
                f"Identities are deleted at most {IDENTITIES_PAGE_SIZE} at a time.",
                messages.ERROR,
            )
            return HttpResponseRedirect(self._url("identities", pool))
        try:
            chosen = [identity_get(identity_id=i, pool=pool) for i in chosen_ids]
        except ServiceError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(self._url("identities", pool))
        if not chosen:
            self.message_user(request, "Choose the identities to delete.", messages.WARNING)
            return HttpResponseRedirect(self._url("identities", pool))
        if request.POST.get("post") != "yes":
            return self._identities_page(
                request, pool, identities=chosen, next_url=None, may_delete=True, confirm=True
            )
        try:
            identities_delete(identity_ids=[identity.identity_id for identity in chosen])
        except ServiceError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.message_user(request, f"Deleted {len(chosen)} identities.", messages.SUCCESS)
        return HttpResponseRedirect(self._url("identities", pool))

    def _identities_page(
        self,
        request: HttpRequest,
        pool: IdentityPool,
        *,
        identities: list[Identity],
        next_url: str | None,
        may_delete: bool,
        confirm: bool = False,
    ) -> HttpResponse:
        return self.object_page(
            request,
            "admin/identities/identitypool/identities.html",
            pool,
            title=f"Delete identities of {pool}?" if confirm else f"Identities of {pool}",
            identities=identities,
            next_url=next_url,
            may_delete=may_delete,
            confirm=confirm,
        )
