from django.apps import AppConfig


class IdentitiesConfig(AppConfig):
    name = "identities"
    verbose_name = "Identity pools and access keys"
    default_auto_field = "django.db.models.BigAutoField"
