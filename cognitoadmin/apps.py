from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.core import checks

from cognitoadmin.checks import check_settings


class CognitoadminConfig(AppConfig):
    # Explicit, because this module holds two AppConfigs (the admin's below).
    default = True
    name = "cognitoadmin"
    verbose_name = "cognitoadmin"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        checks.register(check_settings)


class OperatorAdminConfig(admin_apps.AdminConfig):
    """Django's admin with `admin.site` = the OTP-protected operator site, so every
    `@admin.register` in the project (and in django-otp and Django itself) lands on it."""

    default = False
    default_site = "identities.admin_site.OperatorAdminSite"
