"""Pages read well in either language: one unambiguous date format per language, times
without "p.m.", French words that agree, "80 %" in French, labels that start with a
capital."""

import re
from datetime import date, time, timedelta

import pytest
from django.urls import reverse

from tests.factories import (
    CohortFactory,
    EnrollmentFactory,
    ProgramFactory,
    SessionFactory,
    VolunteerFactory,
)

pytestmark = pytest.mark.django_db

AMBIGUOUS = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b")


@pytest.fixture
def cohort(org, facilitator):
    program = ProgramFactory(organisation=org, code="voices", name="Finding our Voices")
    volunteer = VolunteerFactory(organisation=org, user=facilitator, name="Fay")
    cohort = CohortFactory(
        program=program,
        code="spring",
        start_date=date(2026, 4, 10),
        start_time=time(23, 0),
        capacity=20,
        facilitators=[volunteer],
    )
    for number in range(1, 4):
        SessionFactory(
            cohort=cohort,
            number=number,
            date=cohort.start_date + timedelta(days=7 * (number - 1)),
            start_time=time(23, 0),
            end_time=time(23, 45),
            incident_flagged=number == 2,
            incident_notes="Raised voices" if number == 2 else "",
        )
    for _ in range(3):
        EnrollmentFactory(cohort=cohort)
    return cohort


def _page(client_for, user, language, url):
    user.language = language
    user.save(update_fields=["language"])
    response = client_for(user).get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_dates_and_times_have_one_format_per_language(client_for, coordinator, cohort):
    url = reverse("groupsessions:cohort_detail", args=[cohort.pk])
    english = _page(client_for, coordinator, "en", url)
    assert "10 Apr 2026" in english and "17 Apr 2026" in english
    assert "23:00" in english
    assert not AMBIGUOUS.search(english)
    assert "p.m." not in english and "2026-04-10" not in english
    french = _page(client_for, coordinator, "fr", url)
    assert "10 avr. 2026" in french and "Avr" not in french
    assert "23:00" in french
    assert not AMBIGUOUS.search(french)


def test_percentages_have_a_space_before_the_sign_in_french(client_for, coordinator, cohort):
    url = reverse("groupsessions:cohort_detail", args=[cohort.pk])
    assert "(15%)" in _page(client_for, coordinator, "en", url)
    french = _page(client_for, coordinator, "fr", url)
    assert "(15\u00a0%)" in french and "15%" not in french


def test_a_programs_status_agrees_with_programme_in_french(client_for, coordinator, org):
    ProgramFactory(organisation=org, code="done", name="Done", status="completed")
    ProgramFactory(organisation=org, code="off", name="Off", status="cancelled")
    french = _page(client_for, coordinator, "fr", reverse("programs:program_list"))
    assert ">Terminé<" in french and ">Annulé<" in french
    assert "Terminée" not in french.split("<tbody>")[1]


def test_a_flagged_incident_is_labelled_with_a_capital(client_for, coordinator, cohort):
    url = reverse("groupsessions:cohort_detail", args=[cohort.pk])
    html = _page(client_for, coordinator, "en", url)
    assert "Incident: follow-up needed" in html
    assert ">incident<" not in html
