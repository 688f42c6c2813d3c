from django.db import migrations

from identities.migrations._operator_groups import grant_product_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("identities", "0003_operator_groups"),
        ("pools", "0003_password_history"),
    ]

    operations = [migrations.RunPython(grant_product_permissions, migrations.RunPython.noop)]
