from django.db import migrations

from identities.migrations._operator_groups import grant_product_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("identities", "0005_delivery_permissions"),
        ("pools", "0005_mfa_devices"),
    ]

    operations = [migrations.RunPython(grant_product_permissions, migrations.RunPython.noop)]
