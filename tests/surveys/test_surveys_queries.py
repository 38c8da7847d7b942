"""Query counts of the survey and instrument list pages stay flat as data grows."""

from datetime import date

import pytest
from django.urls import reverse

from surveys.models import Administration
from tests.factories import (
    CohortFactory,
    EnrollmentFactory,
    VolunteerFactory,
    make_instrument,
    make_survey_setup,
)

pytestmark = pytest.mark.django_db

#: Every signed-in request: session, user, memberships (middleware), and the session
#: save (savepoint, update, release) because SESSION_SAVE_EVERY_REQUEST is on.
REQUEST = 6


def _grow(cohort, instrument, n):
    for _ in range(n):
        enrollment = EnrollmentFactory(cohort=cohort)
        Administration.objects.create(
            enrollment=enrollment, instrument=instrument, timepoint="pre", date=date(2020, 5, 4)
        )


@pytest.mark.parametrize("size", [1, 12])
def test_survey_todo_queries_do_not_grow_with_the_cohort(
    client_for, facilitator, org, django_assert_max_num_queries, size
):
    instrument, cohort = make_survey_setup(organisation=org)
    cohort.facilitators.add(VolunteerFactory(organisation=org, user=facilitator))
    _grow(cohort, instrument, size)
    client = client_for(facilitator)
    url = reverse("surveys:survey_todo", args=[cohort.pk])
    # REQUEST + cohort, membership's user, "facilitates this cohort", program instruments,
    # first/last session dates, enrollments with participants, administrations, audit
    # chain's head, audit entry (names shown).
    with django_assert_max_num_queries(REQUEST + 9):
        response = client.get(url)
    assert response.content.decode().count("consent-flag") == 0
    assert response.status_code == 200


@pytest.mark.parametrize("size", [1, 12])
def test_survey_overview_queries_do_not_grow_with_cohorts(
    client_for, coordinator, org, django_assert_max_num_queries, size
):
    instrument, cohort = make_survey_setup(organisation=org)
    _grow(cohort, instrument, 2)
    for _ in range(size):
        other = CohortFactory(program=cohort.program)
        _grow(other, instrument, 2)
    client = client_for(coordinator)
    # REQUEST + cohorts with programs, program instruments, session dates (what is due),
    # enrollment counts, administration counts.
    with django_assert_max_num_queries(REQUEST + 5):
        response = client.get(reverse("surveys:survey_overview"))
    assert response.status_code == 200


@pytest.mark.parametrize("size", [1, 12])
def test_instrument_list_queries_do_not_grow(
    client_for, evaluator, org, django_assert_max_num_queries, size
):
    for n in range(size):
        make_instrument(organisation=org, code=f"I{n}")
    client = client_for(evaluator)
    # REQUEST + current instruments with their item counts.
    with django_assert_max_num_queries(REQUEST + 1):
        response = client.get(reverse("surveys:instrument_list"))
    assert response.content.decode().count("/surveys/instruments/") >= size
