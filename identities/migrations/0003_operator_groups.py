"""The two operator groups the README documents, with the permissions of every model there is now."""

from django.db import migrations

from identities.migrations._operator_groups import (
    ADMINISTRATORS,
    SUPPORT,
    grant_product_permissions,
)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[SUPPORT, ADMINISTRATORS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("identities", "0002_access_key_policy"),
        ("pools", "0002_auth_state"),
    ]

    operations = [migrations.RunPython(grant_product_permissions, remove_groups)]
