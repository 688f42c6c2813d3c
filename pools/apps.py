from django.apps import AppConfig


class PoolsConfig(AppConfig):
    name = "pools"
    verbose_name = "User pools"
    default_auto_field = "django.db.models.BigAutoField"
