"""The operator groups that migrations keep: every migration that adds a model of the products
(pools, identities, sync) runs `grant_product_permissions` again, so both groups cover it.

A module of the migrations package whose name starts with `_`, which Django does not load as a
migration; the migrations that need it import it.
"""

from typing import Any

from django.contrib.auth.management import create_permissions

SUPPORT = "Support (read only)"
ADMINISTRATORS = "Administrators"
APPS = ("pools", "identities", "sync")


def grant_product_permissions(apps: Any, schema_editor: Any) -> None:
    # Permissions are made after all migrations have run; these must exist before then. A
    # migration's app configs are stubs without a models module, which create_permissions wants.
    for label in APPS:
        try:
            app_config = apps.get_app_config(label)
        except LookupError:
            continue  # no models yet, so nothing to grant

        stub = getattr(app_config, "models_module", None) is None
        if stub:
            app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        if stub:
            app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label__in=APPS)
    support, _ = Group.objects.get_or_create(name=SUPPORT)
    support.permissions.add(*permissions.filter(codename__startswith="view_"))
    administrators, _ = Group.objects.get_or_create(name=ADMINISTRATORS)
    administrators.permissions.add(*permissions)
