from django.apps import AppConfig


class PoolsConfig(AppConfig):
    name = "pools"
    verbose_name = "User pools"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the cognito-idp operations with the AWS endpoint, and its rate limits.
        import pools.aws  # noqa: F401, PLC0415
        from cognitoadmin.awsjson import limiter_register  # noqa: PLC0415
        from pools.aws.limits import request_rate_limit  # noqa: PLC0415

        limiter_register(request_rate_limit)

        from django.core import checks  # noqa: PLC0415

        from pools.checks import check_domain_url, check_log_destinations  # noqa: PLC0415

        checks.register(check_domain_url)
        checks.register(check_log_destinations)
