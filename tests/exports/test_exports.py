"""Export contents on a small hand-built program (tests/exports/test_export_data.py)."""

from __future__ import annotations

import contextlib
import csv
import io
import re
import zipfile
import zlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluation import runs
from evaluation.models import EvaluationRun
from exports import privacy, report, services, writers
from exports.base import DATES_SHIFT, DATES_WEEK, ExportOptions
from tests.exports.test_export_data import all_secrets, build
from tests.factories import AttendanceFactory, EnrollmentFactory, ParticipantFactory


@pytest.fixture(autouse=True)
def small_cells_suppressed(settings):
    settings.MIN_CELL = 5


@pytest.fixture
def w(org, coordinator):
    return build(org, coordinator)


def options(**kw) -> ExportOptions:
    kw.setdefault("pseudonym_key", privacy.pseudonym_key(kw.pop("salt", "per-export-salt")))
    kw.setdefault("min_cell", 5)
    return ExportOptions(**kw)


#: The organisation's own export with a smallest cell of 2: this small program's rows are
#: all kept but R's, who shares no combination of cohort, age band and answers with anyone.
OWN = {"external": False, "min_cell": 2}


def rows_of(w, kind, **kw):
    exporter = services.make_exporter(w.program, kind, options(**kw))
    return exporter, list(exporter.rows())


def csv_text(exporter, part="data") -> str:
    data = b"".join(services.csv_stream(exporter, part))
    assert data.startswith(b"\xef\xbb\xbf")
    return data.decode("utf-8-sig")


# --- writers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, written",
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("plain", "plain"),
        (-5, -5),
        (-2.5, -2.5),
        (None, ""),
    ],
)
def test_formula_cells_are_neutralised_and_negative_numbers_stay_numbers(value, written):
    assert writers.safe_cell(value) == written


def test_csv_starts_with_a_bom_and_keeps_accents():
    from exports.base import Variable

    data = b"".join(writers.csv_chunks([Variable("name", "Name")], [("Élodie",), ("=1+1",), (-3,)]))
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == "name\r\nÉlodie\r\n'=1+1\r\n-3\r\n"


# --- the de-identified dataset ------------------------------------------------------------

DATASET_HEADER = (
    "pseudonym,cohort,program_year,age_band,gender,indigenous,racialised,qi_suppressed,status,"
    "sessions_offered,sessions_attended,attended_m1,attended_m2,gse_pre,gse_post,gse_followup"
)


@pytest.mark.django_db
def test_dataset_has_one_row_per_consented_enrollment_with_hand_worked_values(w):
    exporter, rows = rows_of(w, "dataset", **OWN)
    assert ",".join(v.name for v in exporter.variables()) == DATASET_HEADER
    key = exporter.options.pseudonym_key
    p = {k: privacy.pseudonym(key, person.pk) for k, person in w.people.items()}
    # A score never administered is -9 (documented, user-missing in SPSS).
    assert rows == [
        (p["A"], "c1", 1, 3, 1, 2, 2, 0, 4, 3, 2, 2, 0, 8.0, 15.0, -9),
        (p["B"], "c1", 1, 3, 1, 2, 2, 0, 3, 2, 1, 1, 0, -9, -9, -9),
        (p["C"], "c1", 1, 3, 1, 2, 2, 0, 5, 3, 1, 1, 0, -9, -9, -9),
        (p["D"], "c1", 1, 3, 1, 2, 2, 0, 3, 3, 2, 1, 1, 7.0, -9, -9),
        # R (65 and over, non-binary, Indigenous, prefer not) is alone even with every
        # narrowing value blank: left out.
        (p["E"], "c2", 1, 3, 1, 2, 2, 0, 3, 1, 0, 0, 0, -9, -9, -9),
        (p["A"], "c2", 1, 3, 1, 2, 2, 0, 4, 1, 0, 0, 0, -9, -9, -9),
    ]
    text = csv_text(exporter)
    lines = text.split("\r\n")
    assert lines[0] == DATASET_HEADER
    assert lines[1] == f"{p['A']},c1,1,3,1,2,2,0,4,3,2,2,0,8.0,15.0,-9"
    assert len(lines) == 8 and lines[-1] == ""
    assert "1 rows left out: even with every narrowing value empty" in " ".join(
        exporter.codebook_notes()
    )


@pytest.mark.django_db
def test_dataset_with_labels_shows_words_instead_of_codes(w):
    exporter, _rows = rows_of(w, "dataset", labels=True, **OWN)
    lines = csv_text(exporter).split("\r\n")
    assert ",25–34,Woman,No,No,No,Completed,3,2" in lines[1]


@pytest.mark.django_db
def test_the_cohort_is_blanked_where_it_would_narrow_a_group_below_the_smallest_cell(w):
    # With a smallest cell of 5, the four women of c1 and the two of c2 are too few on
    # their own: blanking the cohort (the column that frees most rows) joins them into one
    # group of five people (A has two rows). R is still alone and is left out.
    exporter, rows = rows_of(w, "dataset", external=False)
    assert [r[1:8] for r in rows] == [(None, 1, 3, 1, 2, 2, 1)] * 6
    assert privacy.smallest_group([r[1:7] for r in rows], [r[0] for r in rows]) == 5
    notes = " ".join(exporter.codebook_notes())
    assert "cohort left empty in 6 rows" in notes
    assert "1 rows left out" in notes
    exporter, rows = rows_of(w, "dataset", external=False, min_cell=1)
    assert len(rows) == 7 and all(r[7] == 0 for r in rows)


@pytest.mark.django_db
def test_pseudonyms_are_stable_within_an_export_and_differ_between_exports(w):
    _e, first = rows_of(w, "dataset", salt=privacy.new_salt(), **OWN)
    _e, second = rows_of(w, "dataset", salt=privacy.new_salt(), **OWN)
    # A's two enrollments share one pseudonym within an export...
    assert first[0][0] == first[5][0]
    assert len({r[0] for r in first}) == 5
    # ...and no pseudonym of one export appears in another.
    assert not {r[0] for r in first} & {r[0] for r in second}


@pytest.mark.django_db
def test_a_project_salt_keeps_pseudonyms_across_exports_and_kinds(w):
    _e, first = rows_of(w, "dataset", salt="our evaluation project 2026", **OWN)
    _e, again = rows_of(w, "dataset", salt="our evaluation project 2026", **OWN)
    _e, items = rows_of(w, "items", salt="our evaluation project 2026", **OWN)
    assert [r[0] for r in first] == [r[0] for r in again]
    assert items[0][0] == first[0][0]  # A's answers link to A's dataset row
    # The salt alone does not give the pseudonym: it is keyed by the server's secret too.
    import hashlib
    import hmac

    naive = hmac.new(b"our evaluation project 2026", str(w.people["A"].pk).encode(), hashlib.sha256)
    assert naive.hexdigest()[:12] != first[0][0]


@pytest.mark.django_db
def test_dates_can_be_weeks_of_the_cohort_or_shifted_per_person(w):
    exporter, rows = rows_of(w, "dataset", dates=DATES_WEEK, external=False, min_cell=1)
    names = [v.name for v in exporter.variables()]
    a1 = dict(zip(names, rows[0], strict=True))
    b = dict(zip(names, rows[1], strict=True))
    assert (a1["enrolled_week"], a1["gse_pre_week"], a1["gse_post_week"]) == (1, 1, 4)
    assert b["enrolled_week"] == 2
    # Weeks narrow a group: with a smallest cell of 2, A's weeks (nobody else's) are blanked.
    exporter, rows = rows_of(w, "dataset", dates=DATES_WEEK, **OWN)
    a1 = dict(zip(names, rows[0], strict=True))
    assert (a1["gse_pre_week"], a1["gse_post_week"], a1["qi_suppressed"]) == (None, None, 1)
    qi = [names.index(n) for n in exporter.quasi_identifiers()]
    assert privacy.smallest_group([[r[i] for i in qi] for r in rows], [r[0] for r in rows]) >= 2
    exporter, rows = rows_of(w, "dataset", dates=DATES_SHIFT, **OWN)
    names = [v.name for v in exporter.variables()]
    a1 = dict(zip(names, rows[0], strict=True))
    from datetime import date

    enrolled = date.fromisoformat(a1["enrolled_on"])
    post = date.fromisoformat(a1["gse_post_date"])
    assert enrolled != date(2020, 5, 4)
    assert (post - enrolled).days == 21  # intervals are kept exactly


# --- the other exports ----------------------------------------------------------------------


@pytest.mark.django_db
def test_item_responses_are_long_format_for_consented_people_only(w):
    exporter, rows = rows_of(w, "items", **OWN)
    assert [v.name for v in exporter.variables()] == [
        "pseudonym", "cohort", "program_year", "instrument", "version", "timepoint",
        "item", "value", "reverse",
    ]  # fmt: skip
    key = exporter.options.pseudonym_key
    a, d = privacy.pseudonym(key, w.people["A"].pk), privacy.pseudonym(key, w.people["D"].pk)
    assert [r[0] for r in rows] == [a] * 8 + [d] * 4
    assert rows[:4] == [
        (a, "c1", 1, "GSE", 1, 1, 1, 2, 0),
        (a, "c1", 1, "GSE", 1, 1, 2, 2, 0),
        (a, "c1", 1, "GSE", 1, 1, 3, 2, 0),
        (a, "c1", 1, "GSE", 1, 1, 4, 3, 1),
    ]
    assert rows[4][5] == 2  # post


@pytest.mark.django_db
def test_attendance_counts_suppress_small_counts_for_outside_audiences(w):
    exporter, rows = rows_of(w, "attendance", external=True)
    assert [v.name for v in exporter.variables()] == [
        "cohort", "program_year", "session", "week", "module", "status",
        "present", "late", "absent", "excused", "attended", "suppressed",
    ]  # fmt: skip
    # c2 (two enrollments) is hidden in the report, and c1 with it: no session is left.
    assert rows == []
    assert "Sessions of a cohort or year" in " ".join(exporter.codebook_notes())
    # With a smallest cell of 2 nothing is hidden in the report; in s2 present 1 and late
    # 1 are small and hidden together (attended 2 does not tell them apart); in s4 late 1
    # and absent 1 are small, and attended (= 0 + late) goes with late.
    exporter, rows = rows_of(w, "attendance", external=True, min_cell=2)
    assert rows == [
        ("c1", 1, 1, 1, 1, 2, 6, 0, 0, 0, 6, 0),
        ("c1", 1, 2, 2, 1, 2, None, None, 0, 0, 2, 1),
        ("c1", 1, 3, 3, 1, 3, 0, 0, 0, 0, 0, 0),
        ("c1", 1, 4, 4, 2, 2, 0, None, None, 0, None, 1),
        ("c2", 1, 1, 1, 1, 2, 0, 0, 0, 0, 0, 0),
    ]
    _e, inside = rows_of(w, "attendance", external=False)
    assert inside[1] == ("c1", 1, 2, 2, 1, 2, 1, 1, 0, 0, 2, 0)


@pytest.mark.django_db
def test_attendance_counts_read_a_few_cohorts_at_a_time_in_the_same_order(w, monkeypatch):
    _e, whole = rows_of(w, "attendance", external=False)
    monkeypatch.setattr("exports.attendance_counts.COHORTS_PER_QUERY", 1)
    _e, one_cohort_per_query = rows_of(w, "attendance", external=False)
    assert one_cohort_per_query == whole
    assert [r[0] for r in whole] == ["c1", "c1", "c1", "c1", "c2"]


@pytest.mark.django_db
def test_dataset_reads_a_few_cohorts_at_a_time_in_the_same_order(w, monkeypatch):
    for dates in ("none", "week", "shift"):
        _e, whole = rows_of(w, "dataset", dates=dates, **OWN)
        monkeypatch.setattr("exports.dataset.COHORTS_PER_QUERY", 1)
        _e, one_cohort_per_query = rows_of(w, "dataset", dates=dates, **OWN)
        monkeypatch.undo()
        assert one_cohort_per_query == whole
        assert len(whole) >= 5 and {"c1", "c2"} <= {r[1] for r in whole}


@pytest.mark.django_db
def test_dataset_rows_take_the_same_queries_however_many_enrollments(w, coordinator):
    """Sessions, attendance and scores are read by grouped queries, never per row."""

    def row_queries() -> tuple[int, int]:
        exporter = services.make_exporter(w.program, "dataset", options(**OWN))
        exporter.planned()  # the plan's own queries are not the rows'
        with CaptureQueriesContext(connection) as queries:
            n = len(list(exporter.rows()))
        return n, len(queries)

    rows_before, before = row_queries()
    for n in range(6):
        person = ParticipantFactory(
            organisation=w.program.organisation,
            code=f"P-more-{n}",
            birth_year=1990,
            gender_identity="woman",
            indigenous_identity="no",
            racialised="no",
            evaluation_consent="yes",
        )
        enrollment = EnrollmentFactory(participant=person, cohort=w.c2, status="enrolled")
        AttendanceFactory(enrollment=enrollment, session=w.sessions["t1"], status="present")
    rows_after, after = row_queries()
    assert rows_after == rows_before + 6
    # Per batch of cohorts: held sessions, attendance, scores (the plan read the enrollments).
    assert before == after == 3


@pytest.mark.django_db
def test_feedback_summaries_suppress_small_means_and_never_export_comments(w):
    exporter, rows = rows_of(w, "feedback", external=True)
    assert [v.name for v in exporter.variables()] == [
        "cohort", "program_year", "session", "week", "forms",
        "q1_n", "q1_mean", "q2_n", "q2_mean", "suppressed",
    ]  # fmt: skip
    assert rows == [
        ("c1", 1, 1, 1, 5, 5, 4.2, None, None, 1),
        ("c1", 1, 2, 2, None, None, None, 0, None, 1),
    ]
    _e, inside = rows_of(w, "feedback", external=False)
    assert inside[1] == ("c1", 1, 2, 2, 2, 2, None, 0, None, 1)
    assert "Zoë was there" not in csv_text(exporter)


@pytest.mark.django_db
def test_codebook_lists_variables_labels_values_and_instrument_versions(w):
    exporter = services.make_exporter(w.program, "dataset", options())
    rows = list(csv.reader(io.StringIO(csv_text(exporter, "codebook"))))
    assert rows[0] == [
        "variable", "label", "type", "measure", "values", "missing", "instrument", "version",
        "range", "direction", "target", "max_missing", "conversion", "note",
    ]  # fmt: skip
    by_name = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_name["gender"]["values"].startswith("1 = Woman; 2 = Man; 3 = Non-binary")
    assert by_name["age_band"]["values"] == (
        "1 = under 18; 2 = 18–24; 3 = 25–34; 4 = 35–44; 5 = 45–54; 6 = 55–64; 7 = 65 and over"
    )
    assert by_name["age_band"]["measure"] == "ordinal"
    assert by_name["gender"]["measure"] == "nominal"
    assert by_name["sessions_attended"]["measure"] == "scale"
    # GSE here: 4 items 1..4 (item 4 reversed), target 12, no item may be missing.
    post = by_name["gse_post"]
    assert (post["instrument"], post["version"], post["measure"]) == ("GSE", "1", "scale")
    assert post["missing"] == "not administered: -9; too incomplete to score: -8"
    assert (post["range"], post["direction"], post["target"], post["max_missing"]) == (
        "4–16", "higher is better", "12", "0",
    )  # fmt: skip
    assert post["conversion"].startswith("Sum of the item values (reverse items reversed)")
    # A module named like a formula is neutralised in the codebook too.
    assert by_name["attended_m2"]["label"] == "Sessions attended in module 2 (=2+3)"
    feedback = services.make_exporter(w.program, "feedback", options())
    notes = {r[0]: r[-1] for r in csv.reader(io.StringIO(csv_text(feedback, "codebook")))}
    assert notes["q2_mean"] == "'=1+1 useful"


# --- SPSS, Stata, XLSX --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_spss_and_stata_files_read_back_with_variable_and_value_labels(w, tmp_path, fmt):
    import pyreadstat

    exporter = services.make_exporter(w.program, "dataset", options(**OWN))
    path = tmp_path / f"data.{fmt}"
    services.build_file(exporter, fmt, "data", path)
    read = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    frame, meta = read(str(path))
    assert list(frame.columns) == DATASET_HEADER.split(",")
    assert len(frame) == 6
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["age_band"] == "Age band at the cohort's start"
    value_labels = meta.variable_value_labels
    assert value_labels["gender"][1] == "Woman"
    assert value_labels["status"][4] == "Completed"
    assert frame["gse_post"].iloc[0] == 15.0
    assert frame["status"].tolist() == [4, 3, 5, 3, 3, 4]


@pytest.mark.django_db
def test_xlsx_dataset_has_data_codebook_and_notes_sheets(w, tmp_path):
    from openpyxl import load_workbook

    exporter = services.make_exporter(w.program, "dataset", options(labels=True, **OWN))
    path = tmp_path / "data.xlsx"
    services.build_file(exporter, "xlsx", "data", path)
    book = load_workbook(path)
    assert book.sheetnames == ["dataset", "codebook", "notes"]
    data = list(book["dataset"].values)
    assert data[0] == tuple(DATASET_HEADER.split(","))
    assert data[1][3:9] == ("25–34", "Woman", "No", "No", "No", "Completed")
    assert data[1][13:16] == (8, 15, -9)


# --- the evaluation report ------------------------------------------------------------------


@pytest.fixture
def run(w):
    run = EvaluationRun.objects.create(
        program=w.program, period=EvaluationRun.Period.ALL, request_key="test-export-run",
        parameters={"min_cell": 5},
    )  # fmt: skip
    return runs.execute(run_id=run.pk)


@pytest.mark.django_db
def report_csv(run, *, external: bool) -> list[dict]:
    """The report CSV read as a program reads it: the labels row skipped."""
    text = b"".join(report.csv_chunks(run, external=external)).decode("utf-8-sig")
    lines = text.splitlines(keepends=True)
    return list(csv.DictReader(io.StringIO("".join(lines[1:]))))


def test_report_csv_lists_every_figure_with_a_suppressed_flag(w, run):
    text = b"".join(report.csv_chunks(run, external=False)).decode("utf-8-sig")
    labels = next(csv.reader(io.StringIO(text)))
    assert labels[:2] == ["Program code", "Program year (empty: all years or a date range)"]
    assert "Value as shown in the report" in labels
    rows = report_csv(run, external=False)
    assert list(rows[0]) == [
        "program", "year", "period_start", "period_end", "breakdown", "group",
        "instrument", "measure", "figure", "value", "value_shown", "suppressed",
    ]  # fmt: skip
    year1 = {
        (r["instrument"], r["measure"]): r for r in rows if r["year"] == "1" and not r["breakdown"]
    }
    # Everyone counts in participation, consent or not (A, B, C, D, E, R, N).
    assert year1[("", "participants")]["value"] == "7"
    assert year1[("", "enrollments")]["value"] == "8"
    # Fewer than five matched pairs: the mean change is empty and flagged.
    assert year1[("GSE", "mean_change")] | {} == {
        **year1[("GSE", "mean_change")],
        "value": "",
        "suppressed": "1",
    }
    assert year1[("GSE", "mean_change")]["value_shown"] == "n<5"
    assert year1[("GSE", "matched_n")]["value"] == "1"
    assert year1[("", "attendance_rate")]["figure"] == "Attendance"
    # For outside audiences the count itself is suppressed.
    rows = report_csv(run, external=True)
    outside = {
        (r["instrument"], r["measure"]): r for r in rows if r["year"] == "1" and not r["breakdown"]
    }
    assert (
        outside[("GSE", "matched_n")]["value"],
        outside[("GSE", "matched_n")]["suppressed"],
    ) == ("", "1")
    assert outside[("", "participants")]["value"] == "7"
    # A module named "=2+3" is written as text.
    modules = [r["group"] for r in rows if r["breakdown"] == "module"]
    assert "'=2+3" in modules


@pytest.mark.django_db
def test_report_xlsx_has_a_sheet_per_year_and_notes(w, run, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "report.xlsx"
    report.write_xlsx(run, str(path), external=True)
    book = load_workbook(path)
    assert book.sheetnames[0] == "Year 1"
    assert book.sheetnames[-3:] == ["breakdowns", "variables", "notes"]
    assert "All years" in book.sheetnames
    labels, names, first = list(book["Year 1"].values)[:3]
    assert labels[:2] == ("Program code", "Program year (empty: all years or a date range)")
    assert names[7:11] == ("measure", "figure", "value", "value_shown")
    assert first[7:9] == ("participants", "Participants")
    assert ("value_shown", "Value as shown in the report") in list(book["variables"].values)
    notes = [row[0] for row in book["notes"].values]
    assert any("Suppression" in (n or "") for n in notes)


def _pdf_text(pdf: bytes) -> bytes:
    out = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        with contextlib.suppress(zlib.error):
            out.append(zlib.decompress(match.group(1)))
    return b"\n".join(out)


@pytest.mark.django_db
def test_report_pdf_is_a_pdf_with_the_program_name(w, run):
    from tests.availability import require

    try:
        from exports.pdf import render_pdf
    except OSError as exc:  # WeasyPrint's system libraries are missing
        require(False, f"WeasyPrint cannot load: {exc}")
    pdf = render_pdf(run, external=True)
    assert pdf.startswith(b"%PDF")
    assert b"Circle of Strength EXP" in _pdf_text(pdf)


# --- nothing identifying, anywhere ----------------------------------------------------------


def _all_bytes(path) -> bytes:
    data = path.read_bytes()
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            data += b"".join(archive.read(name) for name in archive.namelist())
    return data


@pytest.mark.django_db
def test_no_identifying_value_appears_in_any_export(w, run, tmp_path):
    blobs = []
    #: Exports with shifted dates: one person's shifted date may by chance be another
    #: person's real date (their shifts depend on database ids), so the real cohort start
    #: is looked for only where dates are not shifted; shifting itself is tested above.
    shifted = set()
    for kind in ("dataset", "items", "attendance", "feedback"):
        for dates in ("none", DATES_WEEK, DATES_SHIFT):
            exporter = services.make_exporter(w.program, kind, options(dates=dates, external=False))
            for fmt in ("csv", "xlsx", "sav", "dta"):
                for part in ("data", "codebook"):
                    path = tmp_path / f"{kind}-{dates}-{part}.{fmt}"
                    services.build_file(exporter, fmt, part, path)
                    if dates == DATES_SHIFT:
                        shifted.add(len(blobs))
                    blobs.append(_all_bytes(path))
    report.write_xlsx(run, str(tmp_path / "r.xlsx"), external=False)
    blobs.append(_all_bytes(tmp_path / "r.xlsx"))
    blobs.append(b"".join(report.csv_chunks(run, external=False)))
    from exports.pdf import render_pdf

    blobs.append(_pdf_text(render_pdf(run, external=False)))
    participants = [p.code for p in w.people.values()]
    for secret in [*all_secrets(), *participants, "1990", "1950", "2020-05-04"]:
        for encoded in {secret.encode("utf-8"), secret.encode("utf-16-le")}:
            hits = [i for i, blob in enumerate(blobs) if encoded in blob]
            if secret == "2020-05-04":
                hits = [i for i in hits if i not in shifted]
            assert not hits, f"{secret!r} found in export {hits}"
