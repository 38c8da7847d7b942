"""When to ask: the timepoints a program asks an instrument at drive the to-do lists and
counts, and what is not due yet is not "missing"; participants never see staff notes nor
an instrument without wording."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from programs.models import Cohort
from surveys.catalog import catalog_add_to_program
from surveys.links import survey_link_create
from surveys.models import Instrument, SurveyLink
from surveys.todo import cohort_survey_todo, survey_overview
from tests.factories import CohortFactory, EnrollmentFactory, ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db

START = date(2024, 1, 8)


@pytest.fixture
def cohort(org, coordinator):
    """A 10-week cohort using GSE (pre and post) and the exit item (post only)."""
    program = ProgramFactory(organisation=org)
    catalog_add_to_program(program=program, key="gse", by=coordinator)
    catalog_add_to_program(program=program, key="exit", by=coordinator)
    cohort = CohortFactory(program=program, start_date=START)
    for week in range(10):
        SessionFactory(cohort=cohort, number=week + 1, date=START + timedelta(weeks=week))
    EnrollmentFactory(cohort=cohort)
    EnrollmentFactory(cohort=cohort)
    return cohort


def test_the_exit_item_has_no_pre_column(cohort):
    todo = cohort_survey_todo(cohort=cohort, on=START)
    assert todo.columns == [("EXIT", "post"), ("GSE", "pre"), ("GSE", "post")]
    assert [(c["code"], c["timepoint"]) for c in todo.rows[0].cells] == todo.columns


def test_a_running_cohort_has_no_post_due_before_a_week_before_its_last_session(cohort):
    last = START + timedelta(weeks=9)
    running = cohort_survey_todo(cohort=cohort, on=START + timedelta(weeks=3))
    assert running.pre_due and not running.post_due
    due = {(c["code"], c["timepoint"]): c["due"] for c in running.rows[0].cells}
    assert due == {("EXIT", "post"): False, ("GSE", "pre"): True, ("GSE", "post"): False}
    ending = cohort_survey_todo(cohort=cohort, on=last - timedelta(days=7))
    assert ending.post_due
    assert all(c["due"] for c in ending.rows[0].cells)


def test_overview_counts_only_what_is_due_at_the_timepoints_asked(cohort):
    cohorts = Cohort.objects.filter(pk=cohort.pk)
    before = survey_overview(cohorts=cohorts, on=START - timedelta(days=30))
    assert (before[0]["pre_missing"], before[0]["post_missing"]) == (None, None)
    running = survey_overview(cohorts=cohorts, on=START + timedelta(weeks=3))
    # Two people x GSE only: the exit item is not asked at pre; post is not due yet.
    assert (running[0]["pre_missing"], running[0]["post_missing"]) == (2, None)
    after = survey_overview(cohorts=cohorts, on=START + timedelta(weeks=12))
    # Two people, each missing GSE and the exit item at post: two people, not four.
    assert (after[0]["pre_missing"], after[0]["post_missing"]) == (2, 2)
    assert after[0]["post_by_instrument"] == [("EXIT", 2), ("GSE", 2)]


def test_overview_page_says_not_due_yet_for_a_cohort_starting_later(org, coordinator, client_for):
    program = ProgramFactory(organisation=org)
    catalog_add_to_program(program=program, key="gse", by=coordinator)
    later = timezone.localdate() + timedelta(days=60)
    cohort = CohortFactory(program=program, start_date=later)
    SessionFactory(cohort=cohort, number=1, date=later, status="scheduled")
    EnrollmentFactory(cohort=cohort)
    page = client_for(coordinator).get(reverse("surveys:survey_overview")).content.decode()
    assert page.count("not due yet") == 2


def _swemwbs_setup(org, coordinator):
    program = ProgramFactory(organisation=org)
    catalog_add_to_program(program=program, key="swemwbs", by=coordinator)
    enrollment = EnrollmentFactory(cohort=CohortFactory(program=program))
    return Instrument.objects.get(code="SWEMWBS"), enrollment


def test_no_self_completion_link_until_the_licensed_wording_is_pasted_in(org, coordinator):
    instrument, enrollment = _swemwbs_setup(org, coordinator)
    assert not instrument.has_wording
    with pytest.raises(ValidationError) as exc:
        survey_link_create(
            enrollment=enrollment, instrument=instrument, timepoint="pre", language="en",
            by=coordinator,
        )  # fmt: skip
    assert "has no wording yet" in str(exc.value)
    assert not SurveyLink.objects.exists()


def test_no_kiosk_for_an_instrument_without_wording(org, coordinator, client_for):
    _instrument, enrollment = _swemwbs_setup(org, coordinator)
    cohort = enrollment.cohort
    response = client_for(coordinator).post(
        reverse("surveys:kiosk_start", args=[cohort.pk]),
        {"instrument_code": "SWEMWBS", "timepoint": "pre", "language": "en", "pin": "2468"},
    )
    assert response.status_code == 200
    assert "has no wording yet" in response.content.decode()


def test_staff_pages_say_the_wording_is_missing_and_entry_shows_question_n(
    org, coordinator, client_for
):
    instrument, enrollment = _swemwbs_setup(org, coordinator)
    client = client_for(coordinator)
    detail = client.get(reverse("surveys:instrument_detail", args=[instrument.pk]))
    assert "Some items have no wording" in detail.content.decode()
    entry = client.get(
        reverse("surveys:administration_enter", args=[enrollment.cohort.pk, "SWEMWBS", "pre"])
    ).content.decode()
    assert "Question 1" in entry and "Question 7" in entry


def test_participant_page_shows_the_notice_not_the_staff_notes(org, coordinator, client):
    program = ProgramFactory(organisation=org)
    catalog_add_to_program(program=program, key="gse", by=coordinator)
    instrument = Instrument.objects.get(code="GSE")
    instrument.notice = "Scale © its authors"
    instrument.save(update_fields=["notice"])
    enrollment = EnrollmentFactory(cohort=CohortFactory(program=program))
    _link, token = survey_link_create(
        enrollment=enrollment, instrument=instrument, timepoint="pre", language="en",
        by=coordinator,
    )  # fmt: skip
    page = client.get(reverse("surveys:survey_respond", args=[token])).content.decode()
    assert "I can always manage to solve difficult problems" in page
    assert "Scale © its authors" in page
    assert instrument.attribution and "Licence" in instrument.attribution
    for staff_only in ("Licence", "Schwarzer", "paste", "Missing items"):
        assert staff_only not in page
