# Each mirrored Stripe object belongs to exactly one workspace (issue 12).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_mirror"),
        ("customers", "0001_initial"),
        ("mspercury", "0001_initial"),
        ("quotes", "0002_documents_assessments"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="stripeinvoice",
            name="one_invoice_mirror",
        ),
        migrations.RemoveConstraint(
            model_name="stripesubscription",
            name="one_subscription_mirror",
        ),
        migrations.AddField(
            model_name="stripeinvoice",
            name="ownership",
            field=models.CharField(
                choices=[
                    ("ours", "Ours"),
                    ("unlinked", "Unlinked in Stripe"),
                    ("unverified", "Not verified yet"),
                ],
                default="ours",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="stripesubscription",
            name="ownership",
            field=models.CharField(
                choices=[
                    ("ours", "Ours"),
                    ("unlinked", "Unlinked in Stripe"),
                    ("unverified", "Not verified yet"),
                ],
                default="ours",
                max_length=10,
            ),
        ),
        migrations.AddConstraint(
            model_name="stripeinvoice",
            constraint=models.UniqueConstraint(
                fields=("workspace", "account_ref", "stripe_id"), name="one_invoice_mirror"
            ),
        ),
        migrations.AddConstraint(
            model_name="stripesubscription",
            constraint=models.UniqueConstraint(
                fields=("workspace", "account_ref", "stripe_id"), name="one_subscription_mirror"
            ),
        ),
    ]
