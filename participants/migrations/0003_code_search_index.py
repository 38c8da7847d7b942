"""A trigram index for searching participants by any part of their code.

The participant list searches ``code`` with ``icontains`` (``UPPER(code) LIKE '%…%'``),
which no B-tree index serves; with tens of thousands of participants that is a scan
per search. PostgreSQL only (pg_trgm ships with it and is a trusted extension); SQLite
development databases are small and need none.
"""

from django.db import migrations

INDEX = "participant_code_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON participants_participant "
        "USING gin (UPPER(code::text) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("participants", "0002_initial")]

    operations = [migrations.RunPython(create, drop)]
