"""The two operator groups the README documents, with the permissions of every model there is now.

A later migration that adds a model grants its permissions to these groups the same way (a test
fails until it does).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SUPPORT = "Support (read only)"
ADMINISTRATORS = "Administrators"
APPS = ("pools", "identities")


def create_groups(apps, schema_editor):
    # Permissions are made after all migrations have run; these must exist before then. A
    # migration's app configs are stubs without a models module, which create_permissions wants.
    for label in APPS:
        app_config = apps.get_app_config(label)
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


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[SUPPORT, ADMINISTRATORS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("identities", "0002_access_key_policy"),
        ("pools", "0002_auth_state"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
