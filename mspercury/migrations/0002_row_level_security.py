"""Row-level security on every tenant-owned table: the second wall behind the access helpers.

PostgreSQL only (the SQLite demo keeps the application's checks). FORCE makes the policies
bind the tables' owner too, so an app wrongly connected as the owner is still fenced in.
"""

from django.db import migrations

WORKSPACE = "(SELECT nullif(current_setting('app.workspace_id', true), '')::bigint)"
USER = "(SELECT nullif(current_setting('app.user_id', true), '')::bigint)"

TENANT_TABLES = [
    "mspercury_invite",
    "mspercury_auditevent",
    "customers_customer",
    "customers_project",
    "quotes_service",
    "quotes_packagetemplate",
    "quotes_packageitem",
    "quotes_quotenumbercounter",
    "quotes_quote",
    "quotes_quoteline",
    "quotes_quoteacceptance",
    "quotes_sharelink",
    "quotes_quotedocument",
    "quotes_assessmentcategory",
    "quotes_assessmentquestion",
    "quotes_assessment",
    "quotes_assessmentanswer",
    "quotes_finding",
    "quotes_assessmentreport",
    "billing_stripeinvoice",
    "billing_stripesubscription",
    "billing_mrrmovement",
    "billing_notification",
    "integrations_stripeconnection",
    "integrations_stripeevent",
    "integrations_pushsettings",
    "integrations_stripeobjectmap",
    "integrations_push",
    "integrations_pushstep",
]

# (table, USING, WITH CHECK): a user also sees their own memberships in other workspaces (the
# workspace switcher); a notification's read marks follow their notification.
SPECIAL = [
    (
        "mspercury_membership",
        f"workspace_id = {WORKSPACE} OR user_id = {USER}",
        f"workspace_id = {WORKSPACE}",
    ),
    (
        "billing_notification_read_by",
        "EXISTS (SELECT 1 FROM billing_notification n WHERE n.id = notification_id)",
        "EXISTS (SELECT 1 FROM billing_notification n WHERE n.id = notification_id)",
    ),
]


def _policies():
    yield from ((t, f"workspace_id = {WORKSPACE}", f"workspace_id = {WORKSPACE}") for t in TENANT_TABLES)
    yield from SPECIAL


def enable(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, using, check in _policies():
        schema_editor.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        schema_editor.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
        schema_editor.execute(
            f'CREATE POLICY tenant_wall ON "{table}" USING ({using}) WITH CHECK ({check})'
        )


def disable(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, _using, _check in _policies():
        schema_editor.execute(f'DROP POLICY IF EXISTS tenant_wall ON "{table}"')
        schema_editor.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
        schema_editor.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')


class Migration(migrations.Migration):
    dependencies = [
        ("mspercury", "0001_initial"),
        ("customers", "0001_initial"),
        ("quotes", "0002_documents_assessments"),
        ("billing", "0003_attribute_mirror_rows"),
        ("integrations", "0005_workspace_constraints"),
    ]

    operations = [migrations.RunPython(enable, disable)]
