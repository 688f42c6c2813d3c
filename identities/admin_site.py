"""The operators' admin site: Django's admin behind django-otp's second factor.

Signing in takes a user name, a password and a one-time code: from an authenticator app (TOTP) or
one of the single-use backup codes. An operator without a confirmed device who gives the right
password is sent to a set-up page instead: scan a QR code, confirm one code, receive backup codes;
only then is the session signed in, already OTP-verified. Until then nothing in the session
counts as signed in.

`COGNITOADMIN_ADMIN_OTP_REQUIRED` off (development only, see settings) makes this Django's plain
admin.
"""

from __future__ import annotations

import time
from base64 import b32encode
from typing import Any

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.crypto import constant_time_compare
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite

from cognitoadmin.errors import ServiceError
from identities.selectors import operator_has_otp_device, operator_otp_device_for_token
from identities.services.operators import (
    operator_totp_device_confirm,
    operator_totp_device_start,
)

SETUP_SESSION_KEY = "cognitoadmin_otp_setup"
# Long enough to install an authenticator app, short enough that a forgotten tab goes stale.
SETUP_TIMEOUT_SECONDS = 15 * 60

# Apps whose tables the console does not list, and those shown together as the operators'.
_UNLISTED_APPS = frozenset({"social_django"})
_OPERATOR_APPS = frozenset({"auth", "otp_totp", "otp_static"})
_OPERATOR_MODEL_NAMES = {
    "User": _("Operators"),
    "Group": _("Permission groups"),
    "TOTPDevice": _("Authenticator apps"),
    "StaticDevice": _("Backup codes"),
}
_OPERATOR_MODEL_ORDER = {name: place for place, name in enumerate(_OPERATOR_MODEL_NAMES)}

_INVALID_CODE = _("That code is not valid. Enter a current code from your authenticator app.")


def otp_required() -> bool:
    return bool(settings.COGNITOADMIN_ADMIN_OTP_REQUIRED)


class OperatorAuthenticationForm(OTPAdminAuthenticationForm):  # type: ignore[misc]
    """User name, password and one code; the code's shape picks the device it is checked on."""

    otp_token = forms.CharField(
        required=False,
        label=_("One-time code"),
        help_text=_("From your authenticator app, or one of your backup codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
    )
    otp_error_messages = {
        **OTPAdminAuthenticationForm.otp_error_messages,
        "token_required": _("Enter the code from your authenticator app, or a backup code."),
        "invalid_token": _INVALID_CODE,
        "device_required": _INVALID_CODE,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.otp_setup_required = False

    def clean_otp_token(self) -> str:
        # Codes are often typed with spaces ("123 456") or in capitals; backup codes are lowercase.
        return "".join(str(self.cleaned_data.get("otp_token") or "").split()).lower()

    def clean(self) -> dict[str, Any]:
        # Password and staff checks first (AdminAuthenticationForm), then the code: only an
        # operator who has no device yet may go on without one, to the set-up page.
        self.cleaned_data = AdminAuthenticationForm.clean(self)
        user = self.get_user()
        if user is not None and not operator_has_otp_device(operator=user):
            self.otp_setup_required = True
        else:
            self.clean_otp(user)
        return self.cleaned_data

    def _chosen_device(self, user: User) -> Any:
        token = self.cleaned_data.get("otp_token") or ""
        if not token:
            return None
        return operator_otp_device_for_token(operator=user, token=token, for_verify=True)


class OTPSetupForm(forms.Form):
    otp_token = forms.CharField(
        label=_("Code from the app"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_otp_token(self) -> str:
        return "".join(str(self.cleaned_data["otp_token"]).split())


class OperatorLoginView(LoginView):
    """Django's login view, except that a right password without a device leads to set-up."""

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        if getattr(form, "otp_setup_required", False):
            user = form.get_user()
            # A fresh session id for the half-signed-in state, as login() gives one to the full.
            self.request.session.cycle_key()
            self.request.session[SETUP_SESSION_KEY] = {
                "operator": user.pk,
                "auth_hash": user.get_session_auth_hash(),
                "backend": getattr(user, "backend", None),
                "next": self.get_redirect_url(),
                "started": int(time.time()),
            }
            return HttpResponseRedirect(
                reverse("admin:otp_setup", current_app=self.request.current_app)
            )
        return super().form_valid(form)


def _pending_setup(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    """The operator whose password was right and who now sets up a device, if still valid."""
    pending = request.session.get(SETUP_SESSION_KEY)
    if not isinstance(pending, dict):
        return None
    operator_pk = pending.get("operator")
    operator = User.objects.filter(pk=operator_pk).first() if isinstance(operator_pk, int) else None
    if (
        operator is None
        or time.time() - int(pending.get("started", 0)) > SETUP_TIMEOUT_SECONDS
        or not (operator.is_active and operator.is_staff)
        # A password changed since then ends the set-up, as it ends sessions.
        or not constant_time_compare(
            operator.get_session_auth_hash(), str(pending.get("auth_hash", ""))
        )
    ):
        del request.session[SETUP_SESSION_KEY]
        return None
    return operator, pending


def _qr_code_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode")


class OperatorAdminSite(OTPAdminSite):  # type: ignore[misc]
    site_header = _("cognitoadmin")
    site_title = _("cognitoadmin")
    index_title = _("Administration")

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        """social_django's tables are left out: its states and nonces are the federation flow's
        own, purged as they expire, and its user associations are unused (a pool's external
        identities are FederatedIdentity rows, shown on each user's page)."""
        models = (
            model_or_iterable
            if isinstance(model_or_iterable, list | tuple)
            else [model_or_iterable]
        )
        kept = [model for model in models if model._meta.app_label not in _UNLISTED_APPS]
        if kept:
            super().register(kept, admin_class, **options)

    def get_app_list(
        self, request: HttpRequest, app_label: str | None = None
    ) -> list[dict[str, Any]]:
        """Operators, their permission groups and their second factors under one plain heading,
        instead of Django's and django-otp's app labels."""
        apps: list[dict[str, Any]] = super().get_app_list(request, app_label)
        security = [app for app in apps if app["app_label"] in _OPERATOR_APPS]
        if not security:
            return apps
        models = [model for app in security for model in app["models"]]
        for model in models:
            model["name"] = _OPERATOR_MODEL_NAMES.get(model["object_name"], model["name"])
        models.sort(
            key=lambda model: _OPERATOR_MODEL_ORDER.get(
                model["object_name"], len(_OPERATOR_MODEL_ORDER)
            )
        )
        operators = {**security[0], "name": _("Operators and their security"), "models": models}
        others = [app for app in apps if app["app_label"] not in _OPERATOR_APPS]
        return [*others, operators]

    def has_permission(self, request: HttpRequest) -> bool:
        if otp_required():
            allowed: bool = super().has_permission(request)
            return allowed
        return AdminSite.has_permission(self, request)

    def get_urls(self) -> list[URLResolver | URLPattern]:
        setup = path("otp/setup/", self.otp_setup_view, name="otp_setup")
        # Before the admin's own patterns: they end with a catch-all.
        return [setup, *super().get_urls()]

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        context = {
            **self.each_context(request),
            "title": _("Log in"),
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
        }
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=self.name)
        context.update(extra_context or {})
        request.current_app = self.name
        if not otp_required():
            return LoginView.as_view(
                extra_context=context,
                authentication_form=AdminAuthenticationForm,
                template_name="admin/login.html",
            )(request)
        return OperatorLoginView.as_view(
            extra_context=context,
            authentication_form=OperatorAuthenticationForm,
            template_name="otp/admin/login.html",
        )(request)

    @method_decorator(never_cache)
    @method_decorator(csrf_protect)
    @login_not_required
    def otp_setup_view(self, request: HttpRequest) -> HttpResponse:
        request.current_app = self.name
        found = _pending_setup(request)
        if found is None:
            return HttpResponseRedirect(reverse("admin:login", current_app=self.name))
        operator, pending = found
        try:
            device = operator_totp_device_start(operator=operator)
        except ServiceError:
            # Another session finished the set-up meanwhile: sign in with the device instead.
            del request.session[SETUP_SESSION_KEY]
            return HttpResponseRedirect(reverse("admin:login", current_app=self.name))
        form = OTPSetupForm(request.POST if request.method == "POST" else None)
        context = {
            **self.each_context(request),
            "title": _("Set up two-factor authentication"),
            "subtitle": None,
            "operator": operator,
            "form": form,
        }
        if form.is_valid():
            try:
                device, codes = operator_totp_device_confirm(
                    operator=operator, token=form.cleaned_data["otp_token"]
                )
            except ServiceError as exc:
                form.add_error("otp_token", exc.message)
            else:
                del request.session[SETUP_SESSION_KEY]
                operator.otp_device = device  # type: ignore[attr-defined]
                # django-otp's user_logged_in handler records the device: the session is verified.
                auth_login(request, operator, backend=pending.get("backend"))
                next_url = pending.get("next") or reverse("admin:index", current_app=self.name)
                return TemplateResponse(
                    request,
                    "otp/admin/backup_codes.html",
                    {**context, "title": _("Your backup codes"), "codes": codes, "next": next_url},
                )
        key = b32encode(device.bin_key).decode("ascii")
        context.update(
            # The SVG is drawn by qrcode from the device's URL: geometry only, no user text.
            qr_code=mark_safe(_qr_code_svg(device.config_url)),  # noqa: S308
            secret_key=" ".join(key[i : i + 4] for i in range(0, len(key), 4)),
        )
        return TemplateResponse(request, "otp/admin/setup.html", context)
