"""The survey to-do counts match what was entered (finding 2): a yes/no exit item asked
at post only is never "pre missing", "post missing" appears only once post is due, and no
count is larger than the number of people enrolled."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from programs.models import Cohort
from surveys.catalog import catalog_add_to_program
from surveys.models import Instrument
from surveys.todo import cohort_survey_todo, survey_overview
from tests.factories import (
    AdministrationFactory,
    CohortFactory,
    EnrollmentFactory,
    ProgramFactory,
    SessionFactory,
)

pytestmark = pytest.mark.django_db

START = date(2024, 1, 8)
ENROLLED = 20


@pytest.fixture
def cohort(org, coordinator):
    """20 enrolled in a 10-week cohort using GSE (pre, post) and the exit item (post);
    every pre survey done, and two people already answered both post surveys."""
    program = ProgramFactory(organisation=org)
    catalog_add_to_program(program=program, key="gse", by=coordinator)
    catalog_add_to_program(program=program, key="exit", by=coordinator)
    cohort = CohortFactory(program=program, start_date=START)
    for week in range(10):
        SessionFactory(cohort=cohort, number=week + 1, date=START + timedelta(weeks=week))
    gse = Instrument.objects.get(organisation=org, code="GSE")
    exit_item = Instrument.objects.get(organisation=org, code="EXIT")
    enrollments = [EnrollmentFactory(cohort=cohort, enrolled_on=START) for _ in range(ENROLLED)]
    for enrollment in enrollments:
        AdministrationFactory(enrollment=enrollment, instrument=gse, timepoint="pre", date=START)
    for enrollment in enrollments[:2]:
        for instrument in (gse, exit_item):
            AdministrationFactory(
                enrollment=enrollment,
                instrument=instrument,
                timepoint="post",
                date=START + timedelta(weeks=9),
            )
    return cohort


def test_pre_done_for_everyone_shows_no_pre_missing_even_with_an_exit_item(cohort):
    running = survey_overview(
        cohorts=Cohort.objects.filter(pk=cohort.pk), on=START + timedelta(weeks=4)
    )[0]
    assert running["enrolled"] == ENROLLED
    assert running["pre_missing"] == 0
    assert running["pre_by_instrument"] == [("GSE", 0)]
    assert running["post_missing"] is None  # not due: the cohort page says "later"
    page = cohort_survey_todo(cohort=cohort, on=START + timedelta(weeks=4))
    assert ("EXIT", "pre") not in page.columns
    assert not any(cell["due"] for row in page.rows for cell in row.cells)


def test_post_counts_people_and_no_instrument_total_exceeds_the_enrolled(cohort):
    after = survey_overview(
        cohorts=Cohort.objects.filter(pk=cohort.pk), on=START + timedelta(weeks=11)
    )[0]
    assert after["post_missing"] == ENROLLED - 2
    assert after["post_by_instrument"] == [("EXIT", ENROLLED - 2), ("GSE", ENROLLED - 2)]
    assert all(n <= ENROLLED for _code, n in after["post_by_instrument"])
    # The cohort's own page agrees: as many "to do" post cells per instrument.
    page = cohort_survey_todo(cohort=cohort, on=START + timedelta(weeks=11))
    for code in ("GSE", "EXIT"):
        due = [c for r in page.rows for c in r.cells if c["code"] == code and c["due"]]
        assert len(due) == ENROLLED - 2


def test_the_overview_page_shows_people_then_each_instrument(
    client_for, coordinator, cohort, settings
):
    html = client_for(coordinator).get(reverse("surveys:survey_overview")).content.decode()
    # The cohort ended years ago: post is due; 18 people, 18 per instrument.
    assert "EXIT 18 · GSE 18" in html
