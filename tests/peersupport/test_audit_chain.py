"""The audit table is append-only in the database, and its entries form a hash chain
that ``manage.py verify_audit`` walks."""

import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import QuerySet

from peersupport import audit_guard
from peersupport.audit import log_action
from peersupport.models import AuditEntry, audit_hash

pytestmark = pytest.mark.django_db

TABLE = AuditEntry._meta.db_table


def _entries(org, n=3):
    return [
        log_action(actor=None, action="auth.login_failed", organisation=org, detail={"n": i})
        for i in range(n)
    ]


def _refused(sql, params=()):
    with pytest.raises(DatabaseError, match="append-only"):  # noqa: SIM117
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)


def test_a_raw_update_of_an_audit_row_is_refused_by_the_database(org):
    entry = _entries(org, 1)[0]
    _refused(f"UPDATE {TABLE} SET action = 'auth.login' WHERE id = %s", [entry.pk])  # noqa: S608
    _refused(f"UPDATE {TABLE} SET detail = '{{}}'")  # noqa: S608
    assert AuditEntry.objects.get(pk=entry.pk).action == "auth.login_failed"


def test_a_raw_delete_of_an_audit_row_is_refused_by_the_database(org):
    entry = _entries(org, 1)[0]
    _refused(f"DELETE FROM {TABLE} WHERE id = %s", [entry.pk])  # noqa: S608
    _refused(f"DELETE FROM {TABLE}")  # noqa: S608
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_save_base_cannot_rewrite_an_entry(org):
    entry = _entries(org, 1)[0]
    entry.object_repr = "rewritten"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        entry.save_base(force_update=True)
    assert AuditEntry.objects.get(pk=entry.pk).object_repr == ""


def test_an_upsert_cannot_rewrite_an_entry(org):
    entry = _entries(org, 1)[0]
    clash = AuditEntry(pk=entry.pk, action="auth.login", created_at=entry.created_at)
    with pytest.raises(PermissionError):
        AuditEntry.objects.bulk_create(
            [clash], update_conflicts=True, unique_fields=["id"], update_fields=["action"]
        )
    # Past the manager, straight to the database's INSERT … ON CONFLICT DO UPDATE.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        QuerySet(AuditEntry).bulk_create(
            [clash], update_conflicts=True, unique_fields=["id"], update_fields=["action"]
        )
    assert AuditEntry.objects.get(pk=entry.pk).action == "auth.login_failed"


def test_each_entry_hashes_its_fields_and_the_previous_hash(org):
    first, second, third = _entries(org)
    assert (second.prev_hash, third.prev_hash) == (first.hash, second.hash)
    for entry in AuditEntry.objects.all():
        assert len(entry.hash) == 64 and audit_hash(entry) == entry.hash


def test_bulk_created_entries_join_the_chain(org):
    (before,) = _entries(org, 1)
    made = AuditEntry.objects.bulk_create(
        [AuditEntry(action="auth.login", organisation=org) for _ in range(2)]
    )
    assert [e.prev_hash for e in made] == [before.hash, made[0].hash]


def _verify():
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def test_verify_audit_says_how_many_entries_and_that_the_chain_is_intact(org):
    _entries(org, 4)
    assert f"{AuditEntry.objects.count()} entries, chain intact." in _verify()


@pytest.fixture
def without_triggers():
    """Someone who owns the table drops the triggers to tamper with the log."""
    with connection.cursor() as cursor:
        for sql in audit_guard.DROP_TRIGGERS[connection.vendor]:
            cursor.execute(sql)
    yield
    audit_guard.install(connection)


def test_verify_audit_reports_an_entry_edited_behind_the_triggers(org, without_triggers):
    first, second, third = _entries(org)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET detail = %s WHERE id = %s", ['{"n": 99}', second.pk])  # noqa: S608
    with pytest.raises(CommandError, match=rf"entry {second.pk} \(") as error:
        _verify()
    assert "changed" in str(error.value)
    assert f"{second.created_at:%Y-%m-%d %H:%M:%S}" in str(error.value)


def test_verify_audit_reports_where_an_entry_was_removed_behind_the_triggers(org, without_triggers):
    first, second, third = _entries(org)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [second.pk])  # noqa: S608
    with pytest.raises(CommandError, match=rf"entry {third.pk} \("):
        _verify()


def test_verify_audit_exits_with_an_error_status(org, without_triggers):
    (entry,) = _entries(org, 1)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET object_repr = 'x' WHERE id = %s", [entry.pk])  # noqa: S608
    with pytest.raises(CommandError) as error:
        _verify()
    # What ``manage.py`` exits with.
    assert error.value.returncode == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain_on_postgresql(org):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    barrier = threading.Barrier(4)
    errors = []

    def write():
        try:
            barrier.wait()
            for i in range(10):
                with transaction.atomic():
                    log_action(actor=None, action="auth.login_failed", detail={"i": i})
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert f"{AuditEntry.objects.count()} entries, chain intact." in _verify()
    assert AuditEntry.objects.count() >= 40


@pytest.mark.django_db
def test_an_entry_copied_with_dumpdata_and_loaddata_keeps_its_hash(coordinator, org):
    """Moving from SQLite to PostgreSQL copies the log with Django's serialisers, which
    keep milliseconds only: the chain must still verify afterwards."""
    from datetime import UTC, datetime

    import time_machine
    from django.core import serializers

    with time_machine.travel(datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=UTC), tick=False):
        entry = log_action(actor=coordinator, action="organisation.setup", obj=org)

    copied = next(serializers.deserialize("json", serializers.serialize("json", [entry]))).object

    assert copied.created_at.microsecond == 123000  # what a copy keeps
    assert audit_hash(copied) == entry.hash
