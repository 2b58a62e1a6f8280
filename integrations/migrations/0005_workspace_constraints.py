# Each mirrored Stripe object belongs to exactly one workspace (issue 12).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0004_account_identity"),
        ("mspercury", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="stripeevent",
            name="one_stored_event_per_account",
        ),
        migrations.RemoveConstraint(
            model_name="stripeobjectmap",
            name="one_stripe_object_each",
        ),
        migrations.AddConstraint(
            model_name="stripeevent",
            constraint=models.UniqueConstraint(
                fields=("workspace", "stripe_account", "event_id"),
                name="one_stored_event_per_workspace",
            ),
        ),
        migrations.AddConstraint(
            model_name="stripeobjectmap",
            constraint=models.UniqueConstraint(
                fields=("workspace", "account_ref", "mode", "kind", "local_ref"),
                name="one_stripe_object_each",
            ),
        ),
    ]
