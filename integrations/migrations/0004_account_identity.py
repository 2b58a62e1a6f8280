from django.db import migrations, models


def freeze_identity(apps, schema_editor):
    StripeConnection = apps.get_model("integrations", "StripeConnection")
    for connection in StripeConnection.objects.filter(account_identity=""):
        connection.account_identity = connection.account_id or f"conn:{connection.public_id}"
        connection.save(update_fields=["account_identity"])


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0003_reconcile"),
    ]

    operations = [
        migrations.AddField(
            model_name="stripeconnection",
            name="account_identity",
            field=models.CharField(blank=True, editable=False, max_length=80),
        ),
        migrations.RunPython(freeze_identity, migrations.RunPython.noop),
    ]
