from django.db import migrations

from identities.migrations._operator_groups import grant_product_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("identities", "0004_password_history_permissions"),
        ("pools", "0004_deliveries"),
    ]

    operations = [migrations.RunPython(grant_product_permissions, migrations.RunPython.noop)]
