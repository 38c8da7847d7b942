"""Writing many rows of one model at once, for the save pass.

``bulk_create`` builds a model instance per row and prepares every field of every
instance, although an import sets only a few fields and every other one takes the same
default value on every row: for 100,000 participants of 27 columns that was most of the
save pass. ``upsert`` takes each row as the values of the fields the import sets,
prepares the other fields' defaults once, and on PostgreSQL streams the rows with COPY
into a temporary table (dropped at the end of the import's transaction) and writes them
with one ``INSERT … ON CONFLICT``. Elsewhere (SQLite) it goes through ``bulk_create``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

from peersupport.bulk import preparer

BATCH = 5000


def _defaults(model, given: set[str]) -> dict[str, Any]:
    """The database value of every field not in ``given`` (attnames), from one instance
    with its defaults (``auto_now`` fields: now)."""
    template = model()
    return {
        field.column: field.get_db_prep_save(field.pre_save(template, add=True), connection)
        for field in model._meta.concrete_fields
        if not field.primary_key and field.attname not in given
    }


def upsert(
    model,
    rows: Sequence[dict[str, Any]],
    *,
    unique: Sequence[str] = (),
    update: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[tuple]:
    """Insert ``rows`` (each the values of the same fields, by attname; the other fields
    take their defaults) or, where a row with the same ``unique`` fields exists, set its
    ``update`` fields instead. Answers the ``returning`` fields of every row written
    (in no particular order), or an empty list where the database cannot say."""
    if not rows:
        return []
    fields = [model._meta.get_field(name) for name in rows[0]]
    if connection.vendor != "postgresql":
        objs = model.objects.bulk_create(
            [model(**row) for row in rows],
            batch_size=BATCH,
            update_conflicts=bool(unique),
            unique_fields=list(unique) or None,
            update_fields=list(update) or None,
        )
        out = [tuple(getattr(obj, name) for name in returning) for obj in objs]
        return out if returning and all(obj.pk is not None for obj in objs) else []
    defaults = _defaults(model, {field.attname for field in fields})
    columns = [field.column for field in fields] + list(defaults)
    constant = tuple(defaults.values())
    quote = connection.ops.quote_name
    table = model._meta.db_table
    stage = quote(f"import_stage_{table}")
    names = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DROP AS "  # noqa: S608 - our names
            f"SELECT {names} FROM {quote(table)} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {stage}")
        with cursor.cursor.copy(f"COPY {stage} ({names}) FROM STDIN") as copy:
            prepares = [(field.attname, preparer(field, connection)) for field in fields]
            for row in rows:
                copy.write_row(tuple(prepare(row[name]) for name, prepare in prepares) + constant)
        sql = f"INSERT INTO {quote(table)} ({names}) SELECT {names} FROM {stage}"  # noqa: S608
        if unique:
            conflict = ", ".join(quote(model._meta.get_field(n).column) for n in unique)
            sets = ", ".join(
                f"{quote(c)} = EXCLUDED.{quote(c)}"
                for c in (model._meta.get_field(n).column for n in update)
            )
            sql += f" ON CONFLICT ({conflict}) DO UPDATE SET {sets}"
        if returning:
            sql += " RETURNING " + ", ".join(
                quote(model._meta.get_field(n).column) for n in returning
            )
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()] if returning else []
