"""``manage.py export``: the pages' exporters from a script, audited, with clear errors."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from evaluation.models import EvaluationRun
from exports import report, services
from exports.management.commands.export import SYSTEM_NOTE
from peersupport.models import AuditEntry
from tests.exports.test_export_data import build

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_cells_suppressed(settings):
    settings.MIN_CELL = 5


@pytest.fixture
def w(org, coordinator):
    return build(org, coordinator)


def export(*args) -> str:
    out = io.StringIO()
    call_command("export", "--program", "EXP", *args, stdout=out)
    return out.getvalue()


def test_report_xlsx_is_the_pages_report_audited_as_the_named_evaluator(w, evaluator, tmp_path):
    path = tmp_path / "report.xlsx"
    export("--kind", "report", "--format", "xlsx", "--all-years", "--user", evaluator.email,
           "-o", str(path))  # fmt: skip
    run = EvaluationRun.objects.get(program=w.program, status=EvaluationRun.Status.DONE)
    book = load_workbook(path)
    assert book.sheetnames[0] == "Year 1" and "All years" in book.sheetnames
    same = tmp_path / "page.xlsx"
    report.write_xlsx(run, str(same), external=True)
    assert [list(s.values) for s in load_workbook(same).worksheets[:-1]] == [
        list(s.values)
        for s in book.worksheets[:-1]  # the notes hold the generated time
    ]
    entry = AuditEntry.objects.filter(action="report.download").latest("pk")
    assert entry.actor == evaluator
    assert entry.detail["export"] == {
        "kind": "report", "run": run.pk, "format": "xlsx", "external": True,
        "via": "manage.py export",
    }  # fmt: skip


def test_report_pdf_and_csv_for_one_year(w, tmp_path):
    export("--kind", "report", "--format", "pdf", "--year", "1", "-o", str(tmp_path / "r.pdf"))
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    export("--kind", "report", "--format", "csv", "--year", "1", "-o", str(tmp_path / "r.csv"))
    lines = (tmp_path / "r.csv").read_text(encoding="utf-8-sig").splitlines()
    rows = list(csv.DictReader(lines[1:]))
    participants = next(r for r in rows if r["measure"] == "participants")
    assert (participants["year"], participants["value"]) == ("1", "7")


def test_dataset_as_the_system_is_audited_with_a_note_and_reads_back(w, tmp_path):
    path = tmp_path / "data.dta"
    # Internal: this small world's seven rows are too few to keep any in an external one.
    export("--kind", "dataset", "--format", "dta", "--salt", "a long project salt",
           "--year", "1", "--audience", "internal", "-o", str(path))  # fmt: skip
    frame = pd.read_stata(path)
    options = services.export_options(
        program=w.program, salt="a long project salt", year=1, external=False
    )
    rows = list(services.make_exporter(w.program, "dataset", options).rows())
    assert len(frame) == len(rows) > 0
    assert list(frame["pseudonym"]) == [r[0] for r in rows]  # the same salt, the same codes
    entry = AuditEntry.objects.filter(action="export.download").latest("pk")
    assert entry.actor is None
    assert entry.detail["export"]["note"] == SYSTEM_NOTE
    assert entry.detail["export"]["project_salt"] is True
    assert "a long project salt" not in str(entry.detail)


def test_internal_attendance_for_a_coordinator_shows_small_counts(w, coordinator, tmp_path):
    path = tmp_path / "attendance.csv"
    export("--kind", "attendance", "--format", "csv", "--audience", "internal",
           "--user", coordinator.email, "-o", str(path))  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows and all(r["suppressed"] == "0" for r in rows if "suppressed" in r)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--kind", "dataset", "--format", "pdf"], "--kind dataset has no pdf format"),
        (["--kind", "report", "--format", "sav"], "--kind report has no sav format"),
        (["--kind", "report", "--format", "csv", "--salt", "a long project salt"],
         "do not apply to --kind report"),
        (["--kind", "items", "--format", "csv", "--salt", "short"], "at least 12 characters"),
        (["--kind", "items", "--format", "csv", "--year", "0"], "before the program started"),
        (["--kind", "items", "--format", "csv", "--to", "2020-01-01"], "--to goes with --from"),
        (["--kind", "items", "--format", "csv", "--from", "2021-01-01", "--to", "2020-01-01"],
         "--to is before --from"),
        (["--kind", "items", "--format", "csv", "--from", "01/02/2020", "--to", "2020-01-01"],
         "is not a date"),
        (["--kind", "items", "--format", "csv", "--user", "nobody@example.org"],
         "No active user"),
    ],
)  # fmt: skip
def test_bad_combinations_are_one_line_errors_and_write_nothing(w, tmp_path, args, message):
    path = tmp_path / "out.file"
    with pytest.raises(CommandError, match=message):
        export(*args, "-o", str(path))
    assert not path.exists()
    assert not AuditEntry.objects.filter(action__in=["export.download", "report.download"])


def test_evaluators_cannot_have_the_internal_export_nor_outsiders_any(
    w, evaluator, outsider, tmp_path
):
    path = str(tmp_path / "x.csv")
    with pytest.raises(CommandError, match="Only a coordinator"):
        export("--kind", "items", "--format", "csv", "--audience", "internal",
               "--user", evaluator.email, "-o", path)  # fmt: skip
    with pytest.raises(CommandError, match="is not a coordinator or evaluator"):
        export("--kind", "items", "--format", "csv", "--user", outsider.email, "-o", path)
    with pytest.raises(CommandError, match="does not exist"):
        export("--kind", "items", "--format", "csv", "-o", str(tmp_path / "nowhere" / "x.csv"))
    with pytest.raises(CommandError, match="No program has the code"):
        call_command("export", "--program", "NOPE", "--kind", "items", "--format", "csv",
                     "-o", path)  # fmt: skip


def test_the_report_speaks_the_language_asked_for(w, tmp_path):
    path = tmp_path / "rapport.xlsx"
    export("--kind", "report", "--format", "xlsx", "--year", "1", "--language", "fr",
           "-o", str(path))  # fmt: skip
    sheet = load_workbook(path).worksheets[0]
    labels, names, *rows = list(sheet.values)
    assert labels[0] == "Code du programme"
    assert names[0] == "program"
    attendance = next(r for r in rows if r[7] == "attendance_rate")
    assert attendance[8] == "Présences"
    assert attendance[10].endswith("\xa0%")
