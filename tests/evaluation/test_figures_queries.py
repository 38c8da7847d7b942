"""The number of queries of a run does not grow with the data."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluation import figures, periods, runs
from evaluation.models import EvaluationRun
from tests.evaluation.figures_data import administer
from tests.factories import (
    AttendanceFactory,
    CohortFactory,
    EnrollmentFactory,
    ModuleFactory,
    ProgramFactory,
    ProgramInstrumentFactory,
    SessionFactory,
    make_instrument,
)

pytestmark = pytest.mark.django_db


def grow(program, instrument, module, *, cohorts, people):
    for c in range(cohorts):
        cohort = CohortFactory(program=program, start_date=date(2020, 5, 4) + timedelta(200 * c))
        sessions = [
            SessionFactory(cohort=cohort, number=n, date=cohort.start_date + timedelta(7 * n),
                           module=module)
            for n in range(3)
        ]  # fmt: skip
        for _ in range(people):
            enrollment = EnrollmentFactory(cohort=cohort)
            for session in sessions:
                AttendanceFactory(session=session, enrollment=enrollment)
            administer(enrollment, instrument, "pre", [1, 2, 3, 4], cohort.start_date)
            administer(enrollment, instrument, "post", [3, 3, 4, 1], cohort.start_date)


def count_queries(program):
    run = EvaluationRun.objects.create(
        program=program, period="all", request_key=f"q{program.pk}", parameters={"min_cell": 1}
    )
    with CaptureQueriesContext(connection) as ctx:
        runs.execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == "done"
    return len(ctx.captured_queries), run


#: 18 to compute and store the result, and 3 to store the by-cohort rows with it (a
#: savepoint inside the test's transaction, the rows, its release). On PostgreSQL the
#: rows are one COPY, which Django does not list among its queries.
QUERIES_OF_A_RUN = 21 if connection.vendor != "postgresql" else 20


def test_queries_of_an_all_years_run_do_not_grow_with_the_data(org):
    program = ProgramFactory(organisation=org, code="Q", start_date=date(2020, 4, 1))
    instrument = make_instrument(organisation=org, code="GSE", target_score=10)
    ProgramInstrumentFactory(program=program, instrument_code="GSE")
    module = ModuleFactory(program=program)
    grow(program, instrument, module, cohorts=1, people=2)
    small, _ = count_queries(program)
    grow(program, instrument, module, cohorts=4, people=5)
    large, run = count_queries(program)
    assert run.result["total"]["enrollments"] == 22
    # Claim and load the run; the period counted once (program years, 2 instrument
    # queries, enrollments, offered and attended per module, survey figures, cohorts);
    # the report and every breakdown add that up; modules; versions (2); consent (2);
    # progress updates; store the result and the by-cohort rows (one INSERT per 5,000
    # rows, or one COPY) in one transaction.
    assert small == large
    assert large == QUERIES_OF_A_RUN


def test_queries_of_one_year_do_not_grow_with_the_data(org, django_assert_max_num_queries):
    program = ProgramFactory(organisation=org, code="Q1", start_date=date(2020, 4, 1))
    instrument = make_instrument(organisation=org, code="GSE", target_score=10)
    ProgramInstrumentFactory(program=program, instrument_code="GSE")
    module = ModuleFactory(program=program)
    period = periods.year_period(program, 1)
    for cohorts in (1, 3):
        grow(program, instrument, module, cohorts=cohorts, people=3)
        # ProgramInstrument targets; instruments (with codes answered in scope);
        # enrollments; offered; attended; survey counts; matched pairs.
        with django_assert_max_num_queries(7):
            figures.report(program, period)


def test_the_job_counts_a_year_as_the_command_does(org):
    """The job adds its figures up from one count per enrollment; the command counts a
    period in grouped queries: the two give the same JSON."""
    program = ProgramFactory(organisation=org, code="Q2", start_date=date(2020, 4, 1))
    instrument = make_instrument(organisation=org, code="GSE", target_score=10)
    ProgramInstrumentFactory(program=program, instrument_code="GSE")
    grow(program, instrument, ModuleFactory(program=program), cohorts=3, people=4)
    for year in (1, 2):
        run = EvaluationRun(program=program, period="year", year=year, parameters={"min_cell": 1})
        result, _details = runs.compute(run)
        expected = figures.report(program, periods.year_period(program, year), min_cell=1)
        assert result == expected
        assert result["enrollments"] > 0
