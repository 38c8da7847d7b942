"""Foreign keys checked once per table, for an import that has the database to itself.

PostgreSQL checks a foreign key row by row: for the national bundle that is about four
million checks (two million attendance rows, each with its session and its enrollment),
half a minute at COMMIT. When nobody else uses the database (a first set-up),
``import_bundle --exclusive`` takes the foreign keys of the tables an import fills off
inside the import's transaction and puts them back, with the same names and definitions,
before it commits: each is then checked in one pass over its table, as ``pg_restore``
does. Dropping a key locks its table and the table it refers to until the import ends,
so everyone else waits; a failure rolls everything back, the keys included. Elsewhere
than on PostgreSQL nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connection

from participants.models import Consent, Enrollment, Participant, ParticipantNameTerm
from programs.models import Cohort, Module
from sessions.models import Attendance, Session
from surveys.models import Administration, Answer

#: The tables an import fills with many rows (the small reference tables keep their keys).
FILLED = (
    Session,
    Participant,
    ParticipantNameTerm,
    Consent,
    Enrollment,
    Attendance,
    Administration,
    Answer,
    Cohort,
    Module,
)


def foreign_keys(models: Iterable = FILLED) -> list[tuple[str, str, str]]:
    """``(table, name, definition)`` of every foreign key of the ``models``' tables."""
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) "
            "ORDER BY 1, 2",
            [tables],
        )
        return cursor.fetchall()


@contextmanager
def checked_once(exclusive: bool) -> Iterator[None]:
    """Inside a transaction: with ``exclusive`` (on PostgreSQL), the filled tables' foreign
    keys are off while the body runs and back, checked over every row, after it."""
    if not exclusive or connection.vendor != "postgresql":
        yield
        return
    quote = connection.ops.quote_name
    keys = foreign_keys()
    with connection.cursor() as cursor:
        for table, name, _definition in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
    yield
    with connection.cursor() as cursor:
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")
