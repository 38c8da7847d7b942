"""Bad input on the cohort and program pages is refused in words a coordinator uses:
impossible dates (finding 4) and no technical message (finding 7)."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from programs.models import Cohort
from sessions.models import Session
from tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db

TECHNICAL = ("Constraint", "constraint", "slug", "violated", "Traceback")


def _cohort_form(program, **overrides):
    data = {
        "program": program.pk,
        "code": "autumn",
        "name": "Autumn group",
        "start_date": "2025-09-01",
        "weekday": "1",
        "start_time": "18:30",
        "session_minutes": "180",
        "location": "Hall",
        "capacity": "20",
        "status": "open",
    }
    return {**data, **overrides}


def _assert_plain(html: str) -> None:
    for word in TECHNICAL:
        assert word not in html, word


def test_a_cohort_starting_years_before_its_program_is_refused_and_nothing_is_saved(
    client_for, coordinator, program
):
    response = client_for(coordinator).post(
        reverse("groupsessions:cohort_create"), _cohort_form(program, start_date="2019-09-02")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["start_date"]
    assert errors == ["A cohort cannot start before its program, which starts on 1 Apr 2025."]
    assert not Cohort.objects.filter(code="autumn").exists()
    assert not Session.objects.exists()


def test_a_cohort_starting_after_its_program_ends_is_refused(client_for, coordinator, org):
    program = ProgramFactory(
        organisation=org, code="short", start_date=date(2025, 4, 1), end_date=date(2025, 12, 31)
    )
    response = client_for(coordinator).post(
        reverse("groupsessions:cohort_create"), _cohort_form(program, start_date="2026-02-02")
    )
    assert (
        "after its program ends on 31 Dec 2025"
        in (response.context["form"].errors["start_date"][0])
    )
    assert not Cohort.objects.exists()


def test_moving_a_cohorts_start_before_its_program_is_refused(
    client_for, coordinator, program, cohort
):
    url = reverse("groupsessions:cohort_update", args=[cohort.pk])
    data = _cohort_form(program, code=cohort.code, start_date="2020-01-06")
    response = client_for(coordinator).post(url, data)
    assert "cannot start before its program" in response.context["form"].errors["start_date"][0]
    cohort.refresh_from_db()
    assert cohort.start_date != date(2020, 1, 6)


def test_a_cohort_with_no_places_is_refused_in_words(client_for, coordinator, program):
    response = client_for(coordinator).post(
        reverse("groupsessions:cohort_create"), _cohort_form(program, capacity="0")
    )
    html = response.content.decode()
    assert response.status_code == 200
    _assert_plain(html)
    assert not Cohort.objects.exists()


def test_the_capacity_constraint_speaks_in_words_when_it_fires(program):
    cohort = Cohort(program=program, code="x", start_date=date(2025, 9, 1), weekday=0, capacity=0)
    with pytest.raises(Exception) as raised:
        cohort.validate_constraints()
    assert "at least one place" in str(raised.value)
    assert "cohort_capacity" not in str(raised.value)


def test_a_code_with_spaces_is_refused_in_words(client_for, coordinator, program):
    response = client_for(coordinator).post(
        reverse("groupsessions:cohort_create"), _cohort_form(program, code="autumn group")
    )
    html = response.content.decode()
    _assert_plain(html)
    assert "no spaces" in response.context["form"].errors["code"][0]


def test_a_program_code_with_accents_is_refused_in_words(client_for, coordinator):
    data = {
        "code": "bien-être",
        "name": "Be Well",
        "status": "planned",
        "start_date": "2024-04-01",
        "modules-TOTAL_FORMS": 1,
        "modules-INITIAL_FORMS": 0,
        "modules-MIN_NUM_FORMS": 0,
        "modules-MAX_NUM_FORMS": 1000,
        "modules-0-name": "Circle",
        "modules-0-weeks": "4",
        "topics-TOTAL_FORMS": 0,
        "topics-INITIAL_FORMS": 0,
        "topics-MIN_NUM_FORMS": 0,
        "topics-MAX_NUM_FORMS": 1000,
    }
    response = client_for(coordinator).post(reverse("programs:program_create"), data)
    assert response.status_code == 200
    _assert_plain(response.content.decode())
    assert "letters without accents" in response.content.decode()


def _program_edit_data(program, **fields):
    from tests.programs.test_views import program_data

    module = program.modules.order_by("order").first()
    return program_data(
        modules=[(m.pk, m.name, m.weeks) for m in program.modules.order_by("order")],
        topics=(),
        code=program.code,
        name=program.name,
        status=program.status,
        **fields,
    ) | ({"modules-0-id": module.pk} if module else {})


def test_a_program_cannot_start_after_one_of_its_cohorts(client_for, coordinator, program, cohort):
    url = reverse("programs:program_edit", args=[program.pk])
    late_start = (cohort.start_date + timedelta(days=7)).isoformat()
    response = client_for(coordinator).post(url, _program_edit_data(program, start_date=late_start))
    assert response.status_code == 200
    errors = response.context["editor"].form.errors["start_date"]
    assert errors[0].startswith(f"Cohort {cohort.code} starts on ")
    program.refresh_from_db()
    assert program.start_date == date(2025, 4, 1)


def test_a_program_cannot_end_before_one_of_its_cohorts_starts(
    client_for, coordinator, program, cohort
):
    url = reverse("programs:program_edit", args=[program.pk])
    data = _program_edit_data(
        program,
        start_date="2025-04-01",
        end_date=(cohort.start_date - timedelta(days=1)).isoformat(),
    )
    response = client_for(coordinator).post(url, data)
    errors = response.context["editor"].form.errors["end_date"]
    assert any(e.startswith(f"Cohort {cohort.code} starts on ") for e in errors)
    program.refresh_from_db()
    assert program.end_date is None
