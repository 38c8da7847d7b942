"""Writing many new rows of one model at once.

``bulk_create`` on PostgreSQL sends a batch as one array per column (``UNNEST``), and
psycopg escapes every element of a text array character by character: for a run's
cohort rows (22 MB of JSON at 3x the national data set) that escaping took longer than
the figures. ``insert_rows`` streams the rows with ``COPY`` instead on PostgreSQL, and
uses ``bulk_create`` elsewhere (SQLite).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connections, router

BATCH = 5000


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
    prepares = [column.get_db_prep_save for column in columns]
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
                tuple(
                    prepare(value, connection) for prepare, value in zip(prepares, row, strict=True)
                )
            )
            written += 1
    return written
