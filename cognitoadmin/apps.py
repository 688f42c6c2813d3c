from django.apps import AppConfig


class CognitoadminConfig(AppConfig):
    name = "cognitoadmin"
    verbose_name = "cognitoadmin"
    default_auto_field = "django.db.models.BigAutoField"
