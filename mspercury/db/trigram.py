"""Trigram indexes for ``icontains`` searches, PostgreSQL only (the SQLite demo scans).

Django's ``icontains`` compiles to ``UPPER("col"::text) LIKE UPPER('%…%')``; a GIN index with
``gin_trgm_ops`` on that very expression lets PostgreSQL answer it without reading the table."""

from django.db import migrations


def trigram_index(table: str, column: str, name: str) -> migrations.RunPython:
    def forward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
                f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
            )

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')

    return migrations.RunPython(forward, backward)
