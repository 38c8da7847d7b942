"""Every figure of the spec on the hand-built program of ``figures_data`` (worked by hand
there). MIN_CELL is 3 here so that Year 1 (6 enrollments, 4 matched pairs) shows its
statistics and Year 2 (2 enrollments) is suppressed."""

import math
from datetime import date

import pytest
from django.db.models import Count
from scipy import stats as scipy_stats

from evaluation import engine, figures, periods
from participants.models import Enrollment
from tests.evaluation.figures_data import build
from tests.factories import CohortFactory, EnrollmentFactory, ParticipantFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org, settings):
    settings.MIN_CELL = 3
    return build(org)


def year(world, n):
    return figures.report(world.program, periods.year_period(world.program, n))


def test_year_one_participation_counts_each_person_once_and_each_enrollment(world):
    y1 = year(world, 1)
    assert (y1["program"], y1["year"]) == ("EVAL", 1)
    assert (y1["period_start"], y1["period_end"]) == ("2020-04-01", "2021-03-31")
    # P1 is enrolled twice (C1 and C2); the waitlisted P6 never took part.
    assert y1["participants"] == 5
    assert y1["enrollments"] == 6


def test_dosage_counts_held_sessions_from_enrollment_and_present_or_late_only(world):
    y1 = year(world, 1)
    # offered 3+2+3+3+3+3 = 17 (mid-cohort e2 gets 2; cancelled and scheduled never count;
    # C2's session in the next year still counts); attended 2+1+1+3+1+0 = 8
    assert y1["sessions_offered_mean"] == pytest.approx(17 / 6)
    assert y1["sessions_attended_mean"] == pytest.approx(8 / 6)
    assert y1["attendance_rate"] == pytest.approx(8 / 17)
    assert y1["completion_rate"] == pytest.approx(3 / 6)


def test_outcomes_use_stored_scores_of_consenting_participants_matched_by_enrollment(world):
    gse = year(world, 1)["instruments"]["GSE"]
    # pre scored: e1 8, e2 8 (pro-rated), e4 10, e6 5; e3's pre has too many missing items;
    # e5 did not consent. post scored: e1 15, e2 12, e3 16, e4 10 (dated in Year 2), e6 28/3.
    assert (gse["pre_n"], gse["post_n"], gse["matched_n"], gse["incomplete_n"]) == (4, 5, 4, 1)
    assert gse["pre_mean"] == pytest.approx(31 / 4)
    assert gse["post_mean"] == pytest.approx((15 + 12 + 10 + 28 / 3) / 4)
    assert gse["mean_change"] == pytest.approx(23 / 6)
    assert gse["sd_change"] == pytest.approx(5 / math.sqrt(3))
    assert gse["t"] == pytest.approx(23 * math.sqrt(3) / 15)
    assert gse["p_value"] == pytest.approx(2 * scipy_stats.t.sf(23 * math.sqrt(3) / 15, 3))
    pre, post = [8, 8, 10, 5], [15, 12, 10, 28 / 3]
    assert gse["wilcoxon_p"] == pytest.approx(scipy_stats.wilcoxon(post, pre).pvalue)
    assert gse["effect_size_dz"] == pytest.approx(23 * math.sqrt(3) / 30)


def test_meeting_target_counts_scored_posts_at_or_above_the_target_matched_or_not(world):
    gse = year(world, 1)["instruments"]["GSE"]
    # posts 15, 12 (exactly the target), 16 (unmatched) meet 12; 10 and 9.33 do not.
    assert gse["target_score"] == 12
    assert gse["post_meeting_target_n"] == 3
    assert gse["post_meeting_target_pct"] == pytest.approx(60.0)
    assert gse["target_pct"] == 75.0


def test_a_year_below_min_cell_has_counts_but_suppressed_statistics(world):
    y2 = year(world, 2)
    assert (y2["participants"], y2["enrollments"]) == (2, 2)
    for key in figures.PARTICIPATION_KEYS:
        assert y2[key] is None
        assert key in y2["suppressed"]
    gse = y2["instruments"]["GSE"]
    # no surveys at all in Year 2: empty (zero denominators), not suppressed
    assert gse["pre_mean"] is None and gse["post_meeting_target_pct"] is None
    assert not any(key.startswith("instruments.") for key in y2["suppressed"])


def test_the_same_year_with_min_cell_five_suppresses_the_four_matched_pairs(world, settings):
    settings.MIN_CELL = 5
    y1 = year(world, 1)
    gse = y1["instruments"]["GSE"]
    assert y1["attendance_rate"] == pytest.approx(8 / 17)  # 6 enrollments >= 5
    assert gse["matched_n"] == 4 and gse["pre_mean"] is None and gse["p_value"] is None
    assert "instruments.GSE.pre_mean" in y1["suppressed"]
    assert gse["post_meeting_target_pct"] == pytest.approx(60.0)  # 5 posts >= 5


def test_external_audiences_get_small_counts_suppressed_too(world):
    y2 = figures.report(world.program, periods.year_period(world.program, 2), external=True)
    assert y2["participants"] is None and "participants" in y2["suppressed"]
    assert y2["instruments"]["GSE"]["pre_n"] == 0  # a zero count is not suppressed


def test_all_years_lists_each_year_and_a_total_with_year_null(world):
    report = figures.report_all_years(world.program, today=date(2022, 1, 10))
    assert report["program"] == "EVAL"
    assert [y["year"] for y in report["years"]] == [1, 2]
    assert report["years"][0] == year(world, 1)
    total = report["total"]
    assert total["year"] is None
    assert (total["period_start"], total["period_end"]) == ("2020-04-01", "2022-03-31")
    # P2 took part in both years: 6 people, 8 enrollments, 21 offered, 11 attended
    assert (total["participants"], total["enrollments"]) == (6, 8)
    assert total["sessions_offered_mean"] == pytest.approx(21 / 8)
    assert total["attendance_rate"] == pytest.approx(11 / 21)
    assert total["completion_rate"] == pytest.approx(4 / 8)
    assert total["suppressed"] == []


def test_all_years_runs_to_the_year_containing_today(world):
    report = figures.report_all_years(world.program, today=date(2024, 6, 1))
    assert [y["year"] for y in report["years"]] == [1, 2, 3, 4, 5]
    assert report["years"][4]["enrollments"] == 0


def test_another_programs_records_do_not_leak_in(world):
    other = figures.report(world.other, periods.year_period(world.other, 1))
    assert (other["participants"], other["enrollments"]) == (1, 1)
    assert other["instruments"]["GSE"]["pre_n"] == 1
    # EVAL's Year 1 figures above are exactly the hand-computed ones, without OTHER's.
    assert year(world, 1)["participants"] == 5


def test_custom_range_of_cohort_start_dates(world):
    period = periods.range_period(date(2021, 3, 1), date(2021, 12, 31))  # C2 and C3
    report = figures.report(world.program, period)
    assert report["year"] is None
    assert (report["period_start"], report["period_end"]) == ("2021-03-01", "2021-12-31")
    assert report["enrollments"] == 5  # e4, e5, e6, e8, e9
    assert report["attendance_rate"] == pytest.approx((3 + 1 + 0 + 2 + 1) / (9 + 4))


def test_year_before_the_program_started_is_an_error(world):
    with pytest.raises(periods.ReportError, match="before the program started"):
        periods.year_period(world.program, 0)
    with pytest.raises(periods.ReportError):
        periods.range_period(date(2021, 1, 2), date(2021, 1, 1))


def test_a_program_with_no_data_has_every_figure_empty(org):
    program = ProgramFactory(organisation=org, code="EMPTY", start_date=date(2023, 1, 1))
    report = figures.report(program, periods.year_period(program, 1))
    assert report["participants"] == 0 and report["enrollments"] == 0
    assert report["sessions_offered_mean"] is None and report["attendance_rate"] is None
    assert report["instruments"] == {} and report["suppressed"] == []


def test_breakdown_by_cohort(world):
    rows = figures.breakdown(world.program, periods.year_period(world.program, 1), "cohort")
    by = {r["group"]: r for r in rows}
    assert set(by) == {"C1", "C2"}
    assert by["C1"]["enrollments"] == 3
    assert by["C1"]["attendance_rate"] == pytest.approx(4 / 8)  # (2+1+1) / (3+2+3)
    assert by["C2"]["attendance_rate"] == pytest.approx(4 / 9)


def test_breakdown_by_module_uses_each_sessions_module(world):
    rows = figures.module_breakdown(world.program, periods.year_period(world.program, 1))
    by = {r["module"]: r for r in rows}
    # Self-esteem (s1, s2): offered e1 2, e2 1, e3 2; attended e1 2, e2 1, e3 1
    assert (by["Self-esteem"]["sessions_offered"], by["Self-esteem"]["sessions_attended"]) == (
        5,
        4,
    )
    # Circle (s4, t1-t3): offered 3 x 1 + 3 x 3 = 12; attended e4 3 + e5 1 = 4
    assert (by["Circle"]["sessions_offered"], by["Circle"]["sessions_attended"]) == (12, 4)
    assert by["Circle"]["attendance_rate"] == pytest.approx(4 / 12)


def test_breakdown_by_demographic_group_suppresses_small_groups(world):
    rows = figures.breakdown(
        world.program, periods.year_period(world.program, 1), "gender_identity"
    )
    by = {r["group"]: r for r in rows}
    assert by["woman"]["enrollments"] == 4 and by["woman"]["participants"] == 3
    assert by["woman"]["attendance_rate"] == pytest.approx((2 + 1 + 3 + 1) / (3 + 2 + 3 + 3))
    assert by["non_binary"]["enrollments"] == 1
    assert by["non_binary"]["attendance_rate"] is None
    assert "attendance_rate" in by["non_binary"]["suppressed"]


def test_results_are_identical_every_time(world):
    assert year(world, 1) == year(world, 1)


def test_programs_counted_together_get_the_figures_of_their_own_reports(world):
    """``report_all_years_many`` counts several programs in the same queries and adds
    cohorts up into years; each year must be exactly what a report of that one program
    year computes on its own, and each total what a report of the whole period does.
    (A year's table lists every instrument of the whole period, so it may hold more
    instruments, with nothing counted, than that year's own report.)"""
    today = date(2022, 1, 10)
    programs = [world.program, world.other]
    together = figures.report_all_years_many(programs, today=today)
    for program in programs:
        years = periods.program_years(program, today=today)
        for got, year in zip(together[program.pk]["years"], years, strict=True):
            alone = figures.report(program, periods.year_period(program, year))
            assert {**got, "instruments": None} == {**alone, "instruments": None}
            for code, obj in alone["instruments"].items():
                assert got["instruments"][code] == obj
        whole = figures.report(program, periods.all_years_period(program, years))
        assert together[program.pk]["total"] == {**whole, "year": None}
    assert together[world.program.pk]["total"]["enrollments"] == 8
    assert figures.report_all_years_many([]) == {}


def test_a_program_starting_on_29_february_counts_28_february_in_year_one(org):
    program = ProgramFactory(organisation=org, code="LEAP", start_date=date(2020, 2, 29))
    EnrollmentFactory(cohort=CohortFactory(program=program, start_date=date(2021, 2, 28)))
    EnrollmentFactory(cohort=CohortFactory(program=program, start_date=date(2021, 3, 1)))
    EnrollmentFactory(cohort=CohortFactory(program=program, start_date=date(2021, 3, 2)))

    y1 = figures.report(program, periods.year_period(program, 1))
    assert (y1["period_start"], y1["period_end"], y1["enrollments"]) == (
        "2020-02-29",
        "2021-02-28",
        1,
    )
    y2 = figures.report(program, periods.year_period(program, 2))
    assert (y2["period_start"], y2["enrollments"]) == ("2021-03-01", 2)
    together = figures.report_all_years(program, today=date(2021, 6, 1))
    assert [(y["period_end"], y["enrollments"]) for y in together["years"]] == [
        ("2021-02-28", 1),
        ("2022-02-28", 2),
    ]


def test_sessions_offered_per_enrollment_and_module_are_what_the_database_join_counts(world):
    # The job counts each enrollment's offered sessions from its cohort's held sessions;
    # the grouped figures join them in the database (engine.offered). Both must agree,
    # mid-cohort enrollments, cancelled and scheduled sessions, sessions outside the
    # curriculum and an enrollment without a date (every held session) included.
    c1 = world.program.cohorts.get(code="C1")
    undated = EnrollmentFactory(
        participant=ParticipantFactory(organisation=world.program.organisation, code="P8"),
        cohort=c1,
        status=Enrollment.Status.ENROLLED,
        enrolled_on=None,
    )
    for period in (
        periods.year_period(world.program, 1),
        periods.year_period(world.program, 2),
        periods.all_years_period(world.program, periods.program_years(world.program)),
    ):
        in_sql = engine.raw_rows(
            engine.offered(engine.period_scope(world.program, period))
            .order_by()
            .values_list("id", "cohort__sessions__module")
            .annotate(offered=Count("cohort__sessions"))
        )
        counted = figures.count(world.program, period)
        assert sorted(counted.offered, key=repr) == sorted(in_sql, key=repr)
    rows = {(e, m): n for e, m, n in counted.offered if e == undated.pk}
    modules = {m.order: m.pk for m in world.program.modules.all()}
    assert rows == {(undated.pk, modules[1]): 2, (undated.pk, modules[2]): 1}
