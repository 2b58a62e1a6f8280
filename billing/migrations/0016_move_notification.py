"""Notification moved to mspercury (the platform): the state moves, the table stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0015_notification_body_text_notification_title_text"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Notification")],
            database_operations=[],
        ),
    ]
