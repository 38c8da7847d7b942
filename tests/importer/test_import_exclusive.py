"""``import_bundle --exclusive``: the foreign keys of the filled tables are checked once
per table (``importer.keys``), and the import saves exactly what an ordinary one saves."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from importer import keys
from importer import run as run_module
from sessions.models import Attendance
from tests.availability import require
from tests.importer.import_bundles import VALID, write_folder
from tests.importer.test_import import record_counts, run

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_exclusive_import_saves_what_an_ordinary_one_saves(org, tmp_path):
    report = run(org, tmp_path / "a", VALID, exclusive=True)
    assert report.ok and report.saved
    counts = record_counts()
    assert counts["Attendance"] == 3 and counts["Answer"] == 12
    # An ordinary import of the same bundle finds every record as it would have written it.
    again = run(org, tmp_path / "b", VALID)
    assert again.saved and record_counts() == counts
    assert all(c.created == c.updated == 0 for c in again.files.values())


def test_the_command_takes_exclusive(org, tmp_path, capsys):
    call_command(
        "import_bundle", str(write_folder(tmp_path / "bundle", VALID)), "--exclusive",
        "--organisation", org.slug,
    )  # fmt: skip
    assert "Imported into" in capsys.readouterr().out
    assert record_counts()["Attendance"] == 3


@pytest.fixture
def postgres():
    require(
        connection.vendor == "postgresql",
        "the foreign keys are checked per row elsewhere: nothing to change",
    )


def test_every_key_is_back_and_checks_again_after_an_exclusive_import(postgres, org, tmp_path):
    before = keys.foreign_keys()
    assert any(table == Attendance._meta.db_table for table, _name, _d in before)
    assert run(org, tmp_path, VALID, exclusive=True).saved
    assert keys.foreign_keys() == before
    attendance = Attendance.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Attendance.objects.filter(pk=attendance.pk).update(session_id=10**9)


def test_a_failed_exclusive_import_leaves_nothing_and_every_key(
    postgres, org, tmp_path, monkeypatch
):
    before, counts = keys.foreign_keys(), record_counts()
    saving = run_module.save_bundle

    during = []

    def save_then_fail(*args, **kwargs):
        during.extend(keys.foreign_keys())
        saving(*args, **kwargs)  # written with the keys off, then
        raise DatabaseError("the disk is full")

    monkeypatch.setattr(run_module, "save_bundle", save_then_fail)
    report = run(org, tmp_path, VALID, exclusive=True)
    assert not report.saved
    assert "nothing was saved" in " ".join(report.problem_lines())
    assert during == []  # every key of the filled tables was off while saving
    assert record_counts() == counts
    assert keys.foreign_keys() == before
