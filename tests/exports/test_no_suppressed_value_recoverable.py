"""No value hidden from outside readers can be worked out from what they are shown.

A program with a small Year 2 (one cohort of three), a small breakdown group (two men)
and small attendance cells (a few late or excused per session). Every output for an
outside audience is produced — the report rows (CSV and XLSX), the PDF's tables, the
report page for an evaluator and its summary sentences, the attendance counts, the
de-identified dataset and the item export — and every subtraction a reader could try is
tried by brute force: a total minus its shown parts (years to all years, cohorts to their
year, groups and modules to the period, present and late to attended) and n-weighted
means against the total's mean and n.

A control runs the same attacks on the outputs with primary suppression only (the rule
before complementary suppression), and they succeed: the test can fail.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from unittest import mock

import pytest

from evaluation import disclosure, figures, periods, runs
from evaluation.models import EvaluationRun
from evaluation.views import present
from exports import pdf, privacy, report, services
from exports.base import DATES_WEEK, ExportOptions
from participants.models import Enrollment, Participant
from sessions.models import Attendance, Session
from surveys.services import administration_create
from tests.factories import (
    AttendanceFactory,
    CohortFactory,
    EnrollmentFactory,
    ModuleFactory,
    ParticipantFactory,
    ProgramFactory,
    ProgramInstrumentFactory,
    SessionFactory,
    make_instrument,
)

pytestmark = pytest.mark.django_db
MIN_CELL = 5
COUNTS = ("participants", "enrollments", "pre_n", "post_n", "matched_n", "incomplete_n")
COUNTS += ("post_meeting_target_n", "sessions_offered", "sessions_attended")
#: (mean, its weight): the weight is a count shown beside it, or a product of two.
MEANS = {
    "sessions_offered_mean": "enrollments",
    "sessions_attended_mean": "enrollments",
    "completion_rate": "enrollments",
    "attendance_rate": ("sessions_offered_mean", "enrollments"),
    "pre_mean": "matched_n",
    "post_mean": "matched_n",
    "mean_change": "matched_n",
    "post_meeting_target_pct": "post_n",
}
#: (cohort code, start, size, men, gender not recorded) — Year 1: A (9) and B (7);
#: Year 2: C (3), a small year; Year 3: D (6).
COHORTS = [
    ("A", date(2022, 5, 2), 9, 1, 2),
    ("B", date(2022, 9, 5), 7, 1, 2),
    ("C", date(2023, 5, 1), 3, 0, 0),
    ("D", date(2024, 5, 6), 6, 0, 2),
]


@pytest.fixture
def world(org, coordinator, settings):
    settings.MIN_CELL = MIN_CELL
    program = ProgramFactory(organisation=org, code="SUB", start_date=date(2022, 4, 1))
    modules = [ModuleFactory(program=program, order=i, name=f"Module {i}") for i in (1, 2)]
    gse = make_instrument(organisation=org, code="GSE", target_score=10)
    ProgramInstrumentFactory(program=program, instrument_code="GSE", target_pct=75)
    statuses = [Attendance.Status.PRESENT, Attendance.Status.LATE, Attendance.Status.ABSENT]
    person = 0
    for code, start, size, men, unknown in COHORTS:
        cohort = CohortFactory(program=program, code=code, start_date=start)
        sessions = [
            SessionFactory(
                cohort=cohort,
                number=n,
                date=start + timedelta(weeks=n - 1),
                status=Session.Status.HELD,
                module=modules[0 if n <= 3 else 1],
            )
            for n in range(1, 5)
        ]
        for i in range(size):
            person += 1
            participant = ParticipantFactory(
                organisation=org,
                birth_year=1985 + person % 3,
                gender_identity="man" if i < men else "" if i < men + unknown else "woman",
                indigenous_identity="no",
                racialised="no",
                evaluation_consent=Participant.Consent.YES,
            )
            enrollment = EnrollmentFactory(
                participant=participant,
                cohort=cohort,
                status=Enrollment.Status.COMPLETED if i % 3 else Enrollment.Status.ENROLLED,
                enrolled_on=start,
            )
            for n, session in enumerate(sessions):
                status = statuses[(person + n) % 7 % 3] if (person + n) % 7 < 3 else "present"
                if (person * n) % 11 == 5:
                    status = Attendance.Status.EXCUSED
                AttendanceFactory(enrollment=enrollment, session=session, status=status)
            pre = 1 + person % 3
            for timepoint, day, value in (
                ("pre", start, pre),
                ("post", start + timedelta(weeks=3), min(4, pre + 1 + person % 2)),
            ):
                if timepoint == "post" and person % 8 == 0:
                    continue  # a few without a post survey
                administration_create(
                    enrollment=enrollment,
                    instrument=gse,
                    timepoint=timepoint,
                    date=day,
                    mode="staff",
                    answers=dict.fromkeys(range(1, 5), value),
                    by=coordinator,
                )
    run = EvaluationRun.objects.create(
        program=program,
        period=EvaluationRun.Period.ALL,
        request_key=runs.make_request_key(program=program, period="all"),
        parameters={"min_cell": MIN_CELL},
    )
    runs.execute(run_id=run.pk)
    run.refresh_from_db()
    return program, run


def options(**kw) -> ExportOptions:
    return ExportOptions(
        min_cell=MIN_CELL, external=True, pseudonym_key=privacy.pseudonym_key("s"), **kw
    )


# --- the attacks ------------------------------------------------------------------------


def cells_from_rows(rows) -> dict[tuple, dict]:
    """Report rows as ``{(level, group): {(instrument, measure): (value, suppressed)}}``."""
    out: dict[tuple, dict] = {}
    for _prog, year, _s, _e, breakdown, group, instrument, measure, value, flag in rows:
        level = ("period", year) if not breakdown else (breakdown, group)
        out.setdefault(level, {})[(instrument, measure)] = (value, flag)
    return out


def relations(cells: dict, cohort_years: dict[str, int]) -> list[tuple[tuple, list[tuple]]]:
    years = sorted(k for k in cells if k[0] == "period" and k[1] is not None)
    total = ("period", None)
    out = [(total, years)] if years else []
    by_year: dict = {}
    for key in cells:
        if key[0] == "cohort":
            by_year.setdefault(("period", cohort_years[key[1]]), []).append(key)
    out += list(by_year.items())
    for field in ("gender_identity", "indigenous_identity", "racialised", "module"):
        parts = [k for k in cells if k[0] == field]
        if parts:
            out.append((total, parts))
    return out


def _known(cell: dict, key) -> float | None:
    """A shown value; an undefined one (empty, not suppressed) counts as 0."""
    value, flag = cell.get(key, (None, 0))
    if flag:
        return None
    return 0.0 if value in (None, "") else float(value)


def _weight(cell: dict, instrument: str, weight) -> float | None:
    if isinstance(weight, tuple):
        a, b = (_known(cell, (instrument, w)) for w in weight)
        return None if a is None or b is None else a * b
    return _known(cell, (instrument, weight))


def attack(cells: dict, cohort_years: dict[str, int]) -> list[tuple]:
    """Every hidden value a reader can work out by the subtractions: ``(relation, cell,
    measure, value)``."""
    found = []
    for total_key, part_keys in relations(cells, cohort_years):
        total, parts = cells[total_key], [cells[k] for k in part_keys]
        module_parts = part_keys and part_keys[0][0] == "module"
        measures = {m for c in [total, *parts] for m in c}
        for instrument, measure in sorted(measures):
            # Modules add up to the period's sessions offered / attended.
            if module_parts:
                if measure not in ("sessions_offered", "sessions_attended"):
                    continue
                mean = _known(total, ("", measure + "_mean"))
                n = _known(total, ("", "enrollments"))
                t = None if mean is None or n is None else mean * n
            elif measure in COUNTS:
                t = _known(total, (instrument, measure))
            else:
                continue
            shown = [_known(p, (instrument, measure)) for p in parts]
            unknown = [i for i, v in enumerate(shown) if v is None]
            if t is not None and len(unknown) == 1:
                value = t - sum(v for v in shown if v is not None)
                found.append((total_key, part_keys[unknown[0]], measure, round(value, 6)))
            if t is None and not unknown and parts and not module_parts:
                found.append((total_key, total_key, measure, sum(shown)))
        if module_parts:
            continue
        for (instrument, measure), weight in [
            ((i, m), MEANS[m]) for (i, m) in sorted(measures) if m in MEANS
        ]:
            t_mean = _known(total, (instrument, measure))
            t_n = _weight(total, instrument, weight)
            if t_mean is None or t_n is None:
                continue
            means = [_known(p, (instrument, measure)) for p in parts]
            ns = [_weight(p, instrument, weight) for p in parts]
            unknown = [i for i, v in enumerate(means) if v is None]
            if len(unknown) != 1:
                continue
            u = unknown[0]
            others_n = [n for i, n in enumerate(ns) if i != u]
            if any(n is None for n in others_n):
                continue
            n_u = ns[u] if ns[u] is not None else t_n - sum(others_n)
            if not n_u:
                continue
            rest = sum(
                m * n for i, (m, n) in enumerate(zip(means, ns, strict=True)) if i != u and n
            )
            value = (t_mean * t_n - rest) / n_u
            found.append((total_key, part_keys[u], measure, round(value, 6)))
    return found


def attendance_attack(rows, names) -> list[tuple]:
    at = {n: i for i, n in enumerate(names)}
    found = []
    for row in rows:
        present, late, attended = (row[at[k]] for k in ("present", "late", "attended"))
        hidden = [k for k, v in (("present", present), ("late", late), ("attended", attended))]
        hidden = [k for k in hidden if row[at[k]] is None]
        if len(hidden) == 1:
            found.append((row[:3], hidden[0]))
    return found


def cohort_years(program) -> dict[str, int]:
    return {c.code: program.year_of(c.start_date) for c in program.cohorts.all()}


def without_complementary(relations, weights, hidden, *, min_cell):
    return set(hidden)


# --- the tests ----------------------------------------------------------------------------


def test_the_attacks_work_on_primary_suppression_alone(world):
    """The control: without complementary suppression, Year 2 and the small group come
    back by subtraction, and a late count comes back as attended minus present."""
    program, _run = world
    with mock.patch.object(disclosure, "complementary", without_complementary):
        # What outside readers see is worked out when a run is stored: one stored so.
        run = EvaluationRun.objects.create(
            program=program,
            period="all",
            request_key="primary-only",
            parameters={"min_cell": MIN_CELL},
        )
        run = runs.execute(run_id=run.pk)
        found = attack(cells_from_rows(report.rows(run, external=True)), cohort_years(program))
        exporter = services.make_exporter(program, "attendance", options())
        rows = list(exporter.rows())
    recovered = {(cell, measure): value for _t, cell, measure, value in found}
    assert recovered[(("period", 2), "enrollments")] == 3
    assert recovered[(("gender_identity", "man"), "enrollments")] == 2
    year2 = figures.report(program, periods.year_period(program, 2), min_cell=1)
    assert recovered[(("period", 2), "sessions_attended_mean")] == pytest.approx(
        year2["sessions_attended_mean"]
    )
    assert attendance_attack(rows, [v.name for v in exporter.variables()])


def test_no_hidden_report_value_can_be_worked_out(world):
    program, run = world
    rows = list(report.rows(run, external=True))
    cells = cells_from_rows(rows)
    # The small things are hidden...
    assert cells[("period", 2)][("", "enrollments")] == (None, 1)
    assert cells[("gender_identity", "man")][("", "enrollments")] == (None, 1)
    # ...and nothing hidden comes back by subtraction, in counts or in weighted means.
    assert attack(cells, cohort_years(program)) == []
    # The period as a whole is still shown.
    assert cells[("period", None)][("", "enrollments")] == (25, 0)


def test_xlsx_pdf_page_and_summary_show_the_same_suppressed_figures(world, tmp_path):
    from openpyxl import load_workbook

    program, run = world
    rows = list(report.rows(run, external=True))
    path = tmp_path / "report.xlsx"
    report.write_xlsx(run, path, external=True)
    book = load_workbook(path)

    def key(row):
        _p, year, _s, _e, breakdown, group, instrument, measure, value, flag = (
            "" if v is None else v for v in row
        )
        value = "" if value == "" else round(float(value), 9)
        return (str(year), breakdown, group, instrument, measure), (value, int(flag))

    columns = ("program", "year", "period_start", "period_end", "breakdown", "group")
    columns += ("instrument", "measure", "value", "suppressed")
    xlsx = {}
    for name in book.sheetnames:
        if name in ("notes", "variables"):
            continue
        values = list(book[name].values)
        names = values[1]  # the first row gives labels, the second the variable names
        for row in values[2:]:
            by_name = dict(zip(names, row, strict=True))
            k, v = key(tuple(by_name[c] for c in columns))
            xlsx[k] = v
    assert xlsx == dict(key(row) for row in rows)
    hidden_periods = {
        (year, measure)
        for _p, year, _s, _e, b, _g, i, measure, _v, flag in rows
        if flag and not b
        if not i
    }
    assert (2, "participants") in hidden_periods
    # The PDF's tables: the same cells say n<5.
    context = pdf.context(run, external=True)
    headers = ["participants", "enrollments"]
    for row, obj in zip(
        context["participation_rows"], report.shown(run, external=True)[0], strict=True
    ):
        for key, cell in zip(headers, row["cells"][:2], strict=True):
            hidden = (obj.get("year"), key) in hidden_periods
            assert (cell["text"] == f"n<{MIN_CELL}") == hidden, (key, cell)
    # All of them read the copy suppressed once, when the run was stored: exactly what
    # the rule gives for the organisation's own figures.
    objects, details = report.shown(run, external=False)
    assert report.shown(run, external=True) == disclosure.protect(
        objects, details, min_cell=MIN_CELL
    )
    # The evaluator's page and its summary sentences.
    shown = present(run, external=True)
    for row, obj in zip(
        shown["participation_rows"], report.shown(run, external=True)[0], strict=True
    ):
        assert row["cells"][0]["suppressed"] == (
            (obj.get("year"), "participants") in hidden_periods
        )
    internal = report.periods(run)
    for obj in internal[:-1]:
        if (obj["year"], "participants") in hidden_periods:
            label = f"{obj['participants']} participants took part in Year {obj['year']}"
            sentences = [shown["summary"], *shown["year_summaries"]]
            assert all(label not in sentence for sentence in sentences)
            assert any(f"Year {obj['year']} is not shown" in s for s in sentences), sentences


def test_attendance_counts_hide_no_single_cell_of_present_late_attended(world):
    program, _run = world
    exporter = services.make_exporter(program, "attendance", options())
    rows = list(exporter.rows())
    names = [v.name for v in exporter.variables()]
    at = {n: i for i, n in enumerate(names)}
    assert any(r[at["suppressed"]] for r in rows)  # there are small cells
    assert attendance_attack(rows, names) == []
    # A session's marks add up to its cohort's size: hidden cohorts' sessions are left out.
    cells = cells_from_rows(report.rows(_run, external=True))
    hidden = {k[1] for k, c in cells.items() if k[0] == "cohort" and c[("", "enrollments")][1]}
    assert hidden == {"C", "D"}  # the small year's cohort, and Year 3's that would tell it
    assert {r[at["cohort"]] for r in rows} == {"A", "B"}
    for row in rows:  # what is shown is never a small count
        for key in ("present", "late", "absent", "excused", "attended"):
            assert not disclosure.small(row[at[key]], MIN_CELL)
        if row[at["present"]] is not None and row[at["late"]] is not None:
            assert row[at["attended"]] == row[at["present"]] + row[at["late"]]


@pytest.mark.parametrize("kind", ["dataset", "items"])
def test_participant_rows_of_hidden_cells_are_left_out(world, kind):
    program, run = world
    cells = cells_from_rows(report.rows(run, external=True))
    hidden_years = {
        k[1] for k, c in cells.items() if k[0] == "period" and c[("", "enrollments")][1]
    }
    hidden_cohorts = {
        k[1] for k, c in cells.items() if k[0] == "cohort" and c[("", "enrollments")][1]
    }
    assert 2 in hidden_years and "C" in hidden_cohorts
    exporter = services.make_exporter(program, kind, options(dates=DATES_WEEK))
    rows = list(exporter.rows())
    names = [v.name for v in exporter.variables()]
    at = {n: i for i, n in enumerate(names)}
    assert rows  # Year 1 is not all hidden
    assert all(r[at["program_year"]] not in hidden_years for r in rows)
    assert all(r[at["cohort"]] not in hidden_cohorts for r in rows)
    notes = " ".join(exporter.codebook_notes())
    assert "rows left out: they belong to a year or cohort" in notes
    if kind == "dataset":
        # The two men's group is hidden in the report: their answer is not exported.
        assert all(r[at["gender"]] != 2 for r in rows)  # 2 = man
    # Nobody can be singled out over the narrowing columns.
    qi = [at[n] for n in exporter.quasi_identifiers()]
    people = [r[at["pseudonym"]] for r in rows]
    assert privacy.smallest_group([[r[i] for i in qi] for r in rows], people) >= MIN_CELL


def test_an_export_of_the_small_year_alone_leaves_every_row_out(world):
    program, _run = world
    year = periods.year_period(program, 2)
    exporter = services.make_exporter(
        program, "dataset", options(year=2, period_start=year.start, period_end=year.end)
    )
    assert list(exporter.rows()) == []
    assert "3 rows left out: they belong to a year or cohort" in " ".join(exporter.codebook_notes())


@pytest.mark.parametrize("min_cell", [3, 5, 8])
def test_what_exports_leave_out_is_read_without_computing_statistics(world, min_cell):
    # runs.shown_figures (what participant-level exports leave out) counts matched pairs
    # without testing them; suppression depends on counts only, so every object hides
    # the same families as in the run with its statistics.
    from evaluation import stored
    from exports.withheld import _hidden_families

    program, _run = world
    seen_hidden = False
    for year in (None, 1, 2):
        run = EvaluationRun(program=program, parameters={"min_cell": min_cell})
        if year is None:
            run.period = EvaluationRun.Period.ALL
        else:
            run.period, run.year = EvaluationRun.Period.YEAR, year
        full = stored.split(*runs.compute(run), min_cell=min_cell)
        counted = stored.split(*runs.compute(run, statistics=False), min_cell=min_cell)

        def hidden(parts):
            objects = [*parts.external_objects, *parts.external_rows]
            for groups in parts.external_details["by_group"].values():
                objects += groups
            modules = [
                disclosure.is_hidden(m, disclosure.MODULE_KEYS)
                for m in parts.external_details["by_module"]
            ]
            return [_hidden_families(obj) for obj in objects], modules

        assert hidden(counted) == hidden(full)
        seen_hidden |= any(h[0] or h[1] for h in hidden(full)[0])
    assert seen_hidden, "nothing hidden: a weak check"
    # The last run (Year 2) had its pairs counted, and no statistic computed.
    tested = runs.compute(run)[0]["instruments"]["GSE"]
    untested = runs.compute(run, statistics=False)[0]["instruments"]["GSE"]
    assert untested["matched_n"] == tested["matched_n"] > 0
    assert untested["mean_change"] is None and untested["wilcoxon_p"] is None


@pytest.mark.parametrize("min_cell", [5, 8])
def test_rows_and_modules_hidden_are_found_without_reading_the_surveys(world, min_cell):
    # The attendance export asks withheld() without surveys: the years, cohorts and
    # modules it hides must be those the full computation hides.
    from exports.withheld import withheld

    program, _run = world
    seen_hidden = False
    for year in (None, 1, 2):
        o = replace(options(year=year), min_cell=min_cell)
        full, rows_only = withheld(program, o), withheld(program, o, surveys=False)
        assert (rows_only.everything, rows_only.years, rows_only.cohorts, rows_only.modules) == (
            full.everything,
            full.years,
            full.cohorts,
            full.modules,
        )
        assert not rows_only.scores and not rows_only.cohort_scores
        seen_hidden |= bool(full.everything or full.years or full.cohorts)
    assert seen_hidden, "nothing hidden: a weak check"


@pytest.mark.parametrize("min_cell", [3, 4, 5])
@pytest.mark.parametrize("kind", ["dataset", "attendance"])
def test_the_benchmarks_whole_work_floor_writes_the_exports_file(world, kind, min_cell):
    # bench/export_floor.py is the reference the exports' speed is measured against: it
    # must leave out and blank exactly what the export does, or the ratio compares
    # different work. Hand-written PostgreSQL (GROUPING SETS, sha256).
    from django.db import connection

    from bench import export_floor
    from exports import withheld
    from tests.availability import require

    require(connection.vendor == "postgresql", "the floor's SQL is PostgreSQL's")
    program, _run = world
    exporter = services.make_exporter(program, kind, replace(options(), min_cell=min_cell))
    surveys = kind == "dataset"
    held = withheld.withheld(program, exporter.options, surveys=surveys)
    assert export_floor.hidden(program, min_cell, surveys=surveys) == held
    assert held != withheld.Withheld()  # something is hidden, at every smallest cell
    assert export_floor.check(exporter, kind) > 0  # the same file, byte for byte
