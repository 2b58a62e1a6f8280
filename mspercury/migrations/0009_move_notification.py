"""Notification moved here from billing: the state moves, the table (billing_notification)
stays as it is."""

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mspercury", "0008_auditevent_summary_text"),
        ("billing", "0016_move_notification"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "public_id",
                            models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("push_failed", "Push failed"),
                                    ("payment_failed", "Payment failed"),
                                    ("webhook_silent", "Webhook endpoint missed events"),
                                    ("events_stuck", "Stripe events not processed"),
                                    ("einvoice_failed", "E-invoice not delivered"),
                                    ("tax_recheck", "Invoice VAT re-check"),
                                    ("quote_accepted", "Quote accepted"),
                                    ("quote_reaccepted", "Quote re-accepted"),
                                    ("quote_declined", "Quote declined"),
                                    ("amendment_failed", "Contract change failed"),
                                ],
                                max_length=20,
                            ),
                        ),
                        ("dedupe_key", models.CharField(max_length=200)),
                        ("title", models.CharField(max_length=200)),
                        ("body", models.TextField(blank=True)),
                        ("title_text", models.JSONField(blank=True, default=dict)),
                        ("body_text", models.JSONField(blank=True, default=dict)),
                        ("url", models.CharField(blank=True, max_length=300)),
                        ("resolved_at", models.DateTimeField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "read_by",
                            models.ManyToManyField(
                                blank=True, related_name="+", to=settings.AUTH_USER_MODEL
                            ),
                        ),
                        (
                            "recipient",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "workspace",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notifications",
                                to="mspercury.workspace",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "billing_notification",
                        "ordering": ["-created_at", "-id"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("workspace", "dedupe_key"), name="notify_once"
                            )
                        ],
                    },
                ),
            ],
        ),
    ]
