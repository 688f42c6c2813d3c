from django.apps import AppConfig


class PoolsConfig(AppConfig):
    name = "pools"
    verbose_name = "User pools"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the cognito-idp operations with the AWS endpoint.
        import pools.aws  # noqa: F401, PLC0415
