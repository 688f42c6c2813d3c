from django.apps import AppConfig


class IdentitiesConfig(AppConfig):
    name = "identities"
    verbose_name = "Identity pools and access keys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here: these modules need the apps loaded.
        import identities.aws  # noqa: F401, PLC0415
        from cognitoadmin.authorization import authorizer_register  # noqa: PLC0415
        from cognitoadmin.awsjson import guard_register  # noqa: PLC0415
        from identities.guard import OperatorGuard  # noqa: PLC0415
        from identities.services.authorization import OperatorAuthorizer  # noqa: PLC0415

        guard_register(OperatorGuard())
        authorizer_register(OperatorAuthorizer())
