"""Database triggers that make the audit table append-only below the ORM.

``AuditEntry`` refuses ``save()`` of an existing row, ``delete()`` and queryset updates,
but anything that reaches the database another way (an upsert, ``save_base``, raw SQL, a
console) could still rewrite history. These triggers refuse every ``UPDATE`` and
``DELETE`` on the table, whoever runs it, on PostgreSQL and on SQLite. They are installed
by ``peersupport``'s initial migration.

A trigger stops mistakes and a compromised application; it does not stop the table's
owner, who may drop it. On PostgreSQL, run the application with a role that does not own
the tables and has no ``TRUNCATE`` on the audit table (see "Database roles" in
``README.md``). ``manage.py verify_audit`` (the hash chain) shows an entry changed or
removed by someone who did.

On SQLite, a migration that alters the audit table rebuilds it and loses the triggers:
such a migration must call ``install`` again.
"""

from __future__ import annotations

TABLE = "peersupport_auditentry"
MESSAGE = "The audit log is append-only."
#: The PostgreSQL advisory lock held while an entry is chained (any constant bigint).
CHAIN_LOCK = 7_316_104_001

_POSTGRESQL_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION peersupport_audit_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE} % refused on %.', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    f"""
    CREATE TRIGGER peersupport_audit_append_only
    BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION peersupport_audit_append_only()
    """,
    # The chain's head for the next entry, in one round trip: wait for the lock (held to
    # the end of the transaction), then read the last hash. A VOLATILE function's queries
    # each take a new snapshot, so the read sees the entry the previous holder committed.
    f"""
    CREATE OR REPLACE FUNCTION peersupport_audit_chain_head() RETURNS text
    LANGUAGE plpgsql VOLATILE AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock({CHAIN_LOCK});
        RETURN (SELECT hash FROM {TABLE} ORDER BY id DESC LIMIT 1);
    END
    $$
    """,  # noqa: S608
]
_POSTGRESQL_DROP_TRIGGERS = [f"DROP TRIGGER IF EXISTS peersupport_audit_append_only ON {TABLE}"]
_POSTGRESQL_UNINSTALL = [
    *_POSTGRESQL_DROP_TRIGGERS,
    "DROP FUNCTION IF EXISTS peersupport_audit_append_only()",
    "DROP FUNCTION IF EXISTS peersupport_audit_chain_head()",
]
_SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER IF NOT EXISTS peersupport_audit_no_{op.lower()}
    BEFORE {op} ON {TABLE}
    BEGIN
        SELECT RAISE(ABORT, '{MESSAGE}');
    END
    """
    for op in ("UPDATE", "DELETE")
]
_SQLITE_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS peersupport_audit_no_{op}" for op in ("update", "delete")
]

INSTALL = {"postgresql": _POSTGRESQL_INSTALL, "sqlite": _SQLITE_INSTALL}
UNINSTALL = {"postgresql": _POSTGRESQL_UNINSTALL, "sqlite": _SQLITE_UNINSTALL}
#: Only the triggers (what a table owner could drop), not the chain's lock function.
DROP_TRIGGERS = {"postgresql": _POSTGRESQL_DROP_TRIGGERS, "sqlite": _SQLITE_UNINSTALL}


def _run(connection, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def chain_head(connection) -> str:
    """The hash of the last entry ("" for none), for the entry about to be written in the
    current transaction. On PostgreSQL the chain stays locked until that transaction ends,
    so concurrent writers append one after the other."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT peersupport_audit_chain_head()")
        else:
            # SQLite has a single writer at a time.
            cursor.execute(f"SELECT hash FROM {TABLE} ORDER BY id DESC LIMIT 1")  # noqa: S608
        row = cursor.fetchone()
    return (row[0] if row else "") or ""


def install(connection) -> None:
    """Add the triggers (a database other than PostgreSQL or SQLite gets none)."""
    _run(connection, INSTALL.get(connection.vendor, []))


def uninstall(connection) -> None:
    _run(connection, UNINSTALL.get(connection.vendor, []))


def install_in_migration(apps, schema_editor) -> None:
    install(schema_editor.connection)


def uninstall_in_migration(apps, schema_editor) -> None:
    uninstall(schema_editor.connection)
