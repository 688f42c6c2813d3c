from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "sync"
    verbose_name = "Sync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the cognito-sync operations with the AWS endpoint's registry.
        import sync.aws  # noqa: PLC0415
        import sync.aws_configuration  # noqa: F401, PLC0415
        from identities.services.identities import identity_merge_hook_register  # noqa: PLC0415
        from sync.services.merges import identity_datasets_merge  # noqa: PLC0415

        identity_merge_hook_register(identity_datasets_merge)
