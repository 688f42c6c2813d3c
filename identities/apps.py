from django.apps import AppConfig


class IdentitiesConfig(AppConfig):
    name = "identities"
    verbose_name = "Identity pools and access keys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cognitoadmin.awsjson import guard_register  # noqa: PLC0415 (apps load first)
        from identities.guard import OperatorGuard  # noqa: PLC0415

        guard_register(OperatorGuard())
