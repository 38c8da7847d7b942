"""Lookups of the project's own.

``field__any=ids``: the rows whose ``field`` is one of ``ids``. Django writes ``__in`` with
one query parameter per value, which it prepares and the driver quotes one by one: for
the thousands of ids a page passes from one query to the next at national scale
(each open cohort's latest sessions, say) that cost more than the query itself. On
PostgreSQL ``__any`` passes them as a single array (``field = ANY(%s)``); elsewhere it is
``__in``.
"""

from __future__ import annotations

from django.db.models import Field, ForeignObject, Lookup
from django.db.models.lookups import In


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self):
        return list(self.rhs)

    def as_sql(self, compiler, connection):
        return compiler.compile(In(self.lhs, self.rhs))

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [field.get_db_prep_value(value, connection) for value in self.rhs]
        return f"{lhs} = ANY(%s)", (*lhs_params, values)


def register() -> None:
    # Relations look up only what is registered on them (ids of a foreign key, too).
    for kind in (Field, ForeignObject):
        kind.register_lookup(AnyOf)
