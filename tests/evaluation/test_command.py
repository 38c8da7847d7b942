"""``manage.py evaluation_report``: the spec's JSON, CSV, and clear errors on bad input."""

import csv
import io
import json
import subprocess
import sys
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from evaluation import figures, periods
from tests.evaluation.figures_data import build
from tests.factories import OrganisationFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org, settings):
    settings.MIN_CELL = 3
    return build(org)


def run(*args) -> str:
    out = io.StringIO()
    call_command("evaluation_report", *args, stdout=out)
    return out.getvalue()


def test_year_prints_exactly_the_spec_object(world):
    printed = json.loads(run("--program", "EVAL", "--year", "1"))
    assert printed == figures.report(world.program, periods.year_period(world.program, 1))
    assert list(printed) == [
        "program", "year", "period_start", "period_end", "participants", "enrollments",
        "sessions_offered_mean", "sessions_attended_mean", "attendance_rate",
        "completion_rate", "instruments", "suppressed",
    ]  # fmt: skip
    assert list(printed["instruments"]["GSE"]) == [
        "pre_n", "post_n", "matched_n", "incomplete_n", "pre_mean", "post_mean",
        "mean_change", "sd_change", "t", "p_value", "wilcoxon_p", "wilcoxon_method",
        "effect_size_dz",
        "target_score", "post_meeting_target_n", "post_meeting_target_pct", "target_pct",
    ]  # fmt: skip
    assert printed["sessions_offered_mean"] == 17 / 6  # unrounded


def test_each_outcome_says_how_its_wilcoxon_p_was_computed(world, settings):
    printed = json.loads(run("--program", "EVAL", "--year", "1"))
    gse = printed["instruments"]["GSE"]
    # Year 1's four pairs change by 7, 4, 0 and 13/3: a zero change, so SciPy (and
    # evaluation.signedrank) use the exact permutation test.
    assert gse["matched_n"] == 4 and gse["wilcoxon_method"] == "permutation"
    rows = list(csv.reader(io.StringIO(run("--program", "EVAL", "--year", "1", "--format", "csv"))))
    assert rows[1][rows[0].index("GSE.wilcoxon_method")] == "permutation"
    # Too few pairs: the method is suppressed with the other statistics of the pairs.
    settings.MIN_CELL = 5
    printed = json.loads(run("--program", "EVAL", "--year", "1"))
    assert printed["instruments"]["GSE"]["wilcoxon_method"] is None
    assert "instruments.GSE.wilcoxon_method" in printed["suppressed"]


def test_all_years_prints_years_and_total(world):
    printed = json.loads(run("--program", "EVAL", "--all-years"))
    assert set(printed) == {"program", "years", "total"}
    assert printed["years"][0]["year"] == 1 and printed["total"]["year"] is None
    assert printed["years"][1]["sessions_offered_mean"] is None
    assert "sessions_offered_mean" in printed["years"][1]["suppressed"]


def test_custom_range(world):
    printed = json.loads(run("--program", "EVAL", "--from", "2021-03-01", "--to", "2021-12-31"))
    assert printed["enrollments"] == 5 and printed["year"] is None


def test_csv_has_one_row_per_period_with_empty_suppressed_cells(world):
    rows = list(
        csv.DictReader(io.StringIO(run("--program", "EVAL", "--all-years", "--format", "csv")))
    )
    assert rows[0]["year"] == "1" and rows[0]["GSE.matched_n"] == "4"
    assert float(rows[0]["attendance_rate"]) == 8 / 17
    assert rows[1]["attendance_rate"] == "" and "attendance_rate" in rows[1]["suppressed"]
    assert rows[-1]["year"] == ""  # the total


def test_unknown_program_is_a_clear_error(world):
    with pytest.raises(CommandError, match="No program with code 'NOPE'"):
        run("--program", "NOPE", "--year", "1")


def test_year_before_the_program_started_is_a_clear_error(world):
    with pytest.raises(CommandError, match="before the program started"):
        run("--program", "EVAL", "--year", "0")


def test_bad_dates_are_clear_errors(world):
    with pytest.raises(CommandError, match="not a date"):
        run("--program", "EVAL", "--from", "yesterday", "--to", "2021-01-01")
    with pytest.raises(CommandError, match="after it ends"):
        run("--program", "EVAL", "--from", "2021-02-01", "--to", "2021-01-01")
    with pytest.raises(CommandError, match="--from needs --to"):
        run("--program", "EVAL", "--from", "2021-02-01")


def test_a_code_used_by_two_organisations_needs_organisation(world):
    elsewhere = OrganisationFactory(slug="elsewhere-2")
    ProgramFactory(organisation=elsewhere, code="EVAL", start_date=date(2019, 1, 1))
    with pytest.raises(CommandError, match="--organisation"):
        run("--program", "EVAL", "--year", "1")
    printed = json.loads(run("--program", "EVAL", "--organisation", "elsewhere-2", "--year", "1"))
    assert printed["period_start"] == "2019-01-01" and printed["enrollments"] == 0


def test_all_programs_prints_each_programs_own_all_years_report(world):
    elsewhere = OrganisationFactory(slug="elsewhere-3")
    ProgramFactory(organisation=elsewhere, code="FAR", start_date=date(2019, 1, 1))
    today = date.today()

    printed = json.loads(
        run("--all-programs", "--organisation", world.program.organisation.slug, "--all-years")
    )

    assert [r["program"] for r in printed] == ["EVAL", "OTHER"]
    for result in printed:
        program = world.program.organisation.programs.get(code=result["program"])
        assert result == figures.report_all_years(program, today=today)
    everywhere = json.loads(run("--all-programs", "--all-years"))
    assert sorted(r["program"] for r in everywhere) == ["EVAL", "FAR", "OTHER"]
    rows = list(
        csv.DictReader(io.StringIO(run("--all-programs", "--all-years", "--format", "csv")))
    )
    assert {row["program"] for row in rows} == {"EVAL", "FAR", "OTHER"}


def test_all_programs_needs_all_years_and_some_programs(world):
    with pytest.raises(CommandError, match="--all-programs goes with --all-years"):
        run("--all-programs", "--year", "1")
    with pytest.raises(CommandError, match="No programs in organisation 'nobody'"):
        run("--all-programs", "--organisation", "nobody", "--all-years")
    with pytest.raises(CommandError):
        run("--all-programs", "--program", "EVAL", "--all-years")


def test_the_command_exits_1_with_a_message_and_no_traceback(tmp_path):
    """A real process on an empty database: stderr has one line, exit status 1."""
    db = tmp_path / "db.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{db}", "PATH": "/usr/bin:/bin", "DEBUG": "1"}
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "migrate", "-v", "0"], env=env, check=True
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "evaluation_report", "--program", "X", "--year", "1"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "No program with code 'X'" in done.stderr
    assert "Traceback" not in done.stderr


def test_stderr_says_what_each_score_is_and_who_chose_the_target(org, coordinator):
    from surveys.catalog import catalog_add_to_program

    program = ProgramFactory(organisation=org, code="LIB", start_date=date(2020, 4, 1))
    for key in ("gse", "swemwbs", "phq9"):
        catalog_add_to_program(program=program, key=key, by=coordinator)
    out, err = io.StringIO(), io.StringIO()
    call_command("evaluation_report", "--program", "LIB", "--year", "1", stdout=out, stderr=err)
    assert set(json.loads(out.getvalue())["instruments"]) == {"GSE", "SWEMWBS", "PHQ9"}
    lines = err.getvalue().splitlines()
    assert (
        "GSE: Score: total. Target: at or above 29 (set by your organisation; the scale has "
        "no published cut-off)." in lines
    )
    assert "SWEMWBS: Score: metric score." in lines
    assert (
        "PHQ9: Score: total. Published bands: 0–4 minimal, 5–9 mild, 10–14 moderate, "
        "15–19 moderately severe, 20–27 severe." in lines
    )


def test_a_lower_is_better_target_counts_scores_at_or_below_it(org, coordinator, settings):
    settings.MIN_CELL = 3
    from surveys.catalog import catalog_add_to_program
    from surveys.models import Administration, Instrument
    from tests.factories import CohortFactory, EnrollmentFactory

    program = ProgramFactory(organisation=org, code="LOW", start_date=date(2020, 4, 1))
    catalog_add_to_program(program=program, key="phq9", target_pct=50, by=coordinator)
    phq9 = Instrument.objects.get(code="PHQ9")
    phq9.target_score = 9  # below the published "moderate" band (10-14)
    phq9.save(update_fields=["target_score"])
    cohort = CohortFactory(program=program, start_date=date(2020, 5, 4))
    for total in (4, 9, 10, 20):
        Administration.objects.create(
            enrollment=EnrollmentFactory(cohort=cohort, participant__evaluation_consent="yes"),
            instrument=phq9,
            timepoint="post",
            date=date(2020, 8, 1),
            score=total,
            answered_n=9,
            is_complete=True,
        )
    report = figures.report(program, periods.year_period(program, 1))
    assert report["instruments"]["PHQ9"]["post_meeting_target_n"] == 2  # 4 and 9


def test_external_all_years_hides_a_year_that_would_give_a_small_one_away(org, settings):
    """Year 2 is small: with it hidden, Year 1 would give it away (all years minus
    Year 1), so Year 1 is hidden too (docs/definitions.md)."""
    settings.MIN_CELL = 3
    world = build(org)
    out = io.StringIO()
    call_command(
        "evaluation_report", "--program", world.program.code, "--all-years", "--external",
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    result = json.loads(out.getvalue())
    years = {y["year"]: y for y in result["years"]}
    assert years[2]["enrollments"] is None and years[1]["enrollments"] is None
    assert "enrollments" in years[1]["suppressed"]
    assert result["total"]["enrollments"] is not None
