"""Row-level security for a migration's new tenant tables, like mspercury 0002: one forced
policy per table that lets through only the rows of the workspace in ``app.workspace_id``.
PostgreSQL only (the SQLite demo has no row-level security)."""

from django.db import migrations

TENANT = "workspace_id = (SELECT nullif(current_setting('app.workspace_id', true), '')::bigint)"


def fence(*tables: str) -> migrations.RunPython:
    def forward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in tables:
            schema_editor.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
            schema_editor.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
            schema_editor.execute(
                f'CREATE POLICY tenant_wall ON "{table}" USING ({TENANT}) WITH CHECK ({TENANT})'
            )

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for table in tables:
                schema_editor.execute(f'DROP POLICY IF EXISTS tenant_wall ON "{table}"')

    return migrations.RunPython(forward, backward)
