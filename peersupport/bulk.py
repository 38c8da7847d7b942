"""Writing many new rows of one model at once.

``bulk_create`` on PostgreSQL sends a batch as one array per column (``UNNEST``), and
psycopg escapes every element of a text array character by character: for a run's
cohort rows (22 MB of JSON at 3x the national data set) that escaping took longer than
the figures. ``insert_rows`` streams the rows with ``COPY`` instead on PostgreSQL, and
uses ``bulk_create`` elsewhere (SQLite).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

from django.db import connections, models, router

BATCH = 5000

_NONE = type(None)
_INTEGER: set[type] = {int, _NONE}
_TEXT: set[type] = {str, _NONE}
#: Fields whose ``get_db_prep_save`` hands a value of these exact types to PostgreSQL
#: unchanged, by their exact class (not subclasses: an encrypted text field is a
#: TextField that must encrypt).
_PASS_THROUGH: dict[type, set[type]] = {
    models.AutoField: _INTEGER,
    models.BigAutoField: _INTEGER,
    models.SmallAutoField: _INTEGER,
    models.IntegerField: _INTEGER,
    models.BigIntegerField: _INTEGER,
    models.SmallIntegerField: _INTEGER,
    models.PositiveIntegerField: _INTEGER,
    models.PositiveBigIntegerField: _INTEGER,
    models.PositiveSmallIntegerField: _INTEGER,
    models.CharField: _TEXT,
    models.SlugField: _TEXT,
    models.TextField: _TEXT,
    models.BooleanField: {bool, _NONE},
    models.DateField: {date, _NONE},
}


def preparer(field, connection) -> Callable[[Any], Any]:
    """A function giving a value of ``field`` as PostgreSQL takes it, as
    ``field.get_db_prep_save`` does, without that round of calls for a value the field
    passes through unchanged (an int for an integer field or a foreign key to one, a
    str for a text field, …): for a million values the calls took seconds."""
    prepare = field.get_db_prep_save
    target = field.target_field if type(field) is models.ForeignKey else field
    plain = _PASS_THROUGH.get(type(target))
    if plain is None:
        return lambda value: prepare(value, connection)
    return lambda value: value if type(value) in plain else prepare(value, connection)


def insert_rows(model, fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert ``rows`` (each the values of ``fields``, by attname, in that order; every
    other field takes its database default or is nullable) in the caller's transaction.
    Answers how many rows were written."""
    using = router.db_for_write(model)
    connection = connections[using]
    if connection.vendor != "postgresql":
        objs = [model(**dict(zip(fields, row, strict=True))) for row in rows]
        model.objects.using(using).bulk_create(objs, batch_size=BATCH)
        return len(objs)
    columns = [model._meta.get_field(name) for name in fields]
    prepares = [preparer(column, connection) for column in columns]
    quote = connection.ops.quote_name
    names = ", ".join(quote(column.column) for column in columns)
    written = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN"  # noqa: S608 - our names
        ) as copy,
    ):
        for row in rows:
            copy.write_row(
                tuple(prepare(value) for prepare, value in zip(prepares, row, strict=True))
            )
            written += 1
    return written
