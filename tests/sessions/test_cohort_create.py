"""Creating a cohort generates its sessions, or saves nothing at all."""

from datetime import date, time

import pytest
from django.core.exceptions import ValidationError

from peersupport.models import AuditEntry
from programs.models import Cohort
from sessions.models import Session
from tests.factories import ClosureDateFactory, ProgramFactory, VolunteerFactory

pytestmark = pytest.mark.django_db


def test_creating_a_cohort_generates_its_sessions_from_modules_and_curriculum(
    make_cohort, program, org
):
    ClosureDateFactory(organisation=org, date=date(2025, 9, 16))
    cohort = make_cohort(start_time=time(18, 0))
    sessions = list(cohort.sessions.order_by("number").select_related("module"))
    assert [s.date for s in sessions] == [
        date(2025, 9, 2),
        date(2025, 9, 9),
        date(2025, 9, 23),  # 16 September is closed: it and the later ones move a week
        date(2025, 9, 30),
        date(2025, 10, 7),
    ]
    assert [s.module.name for s in sessions] == ["Finding our Voices"] * 2 + ["Growth circle"] * 3
    assert [s.topic for s in sessions] == [f"Topic of week {k}" for k in range(1, 6)]
    assert {(s.start_time, s.end_time, s.status) for s in sessions} == {
        (time(18, 0), time(21, 0), Session.Status.SCHEDULED)
    }


def test_another_organisations_closures_do_not_move_sessions(make_cohort, other_org):
    ClosureDateFactory(organisation=other_org, date=date(2025, 9, 16))
    cohort = make_cohort()
    assert cohort.sessions.filter(date=date(2025, 9, 16)).exists()


def test_creating_a_cohort_is_audited_with_the_number_of_sessions(make_cohort):
    cohort = make_cohort()
    entry = AuditEntry.objects.get(object_type="programs.Cohort", object_id=str(cohort.pk))
    assert entry.action == "cohort.create"
    assert entry.detail["sessions"] == 5
    assert entry.changes["code"] == [None, "spring"]


def test_closures_pushing_sessions_past_the_program_end_save_nothing(make_cohort, program, org):
    program.end_date = date(2025, 9, 30)
    program.save()
    ClosureDateFactory(organisation=org, date=date(2025, 9, 16))
    with pytest.raises(ValidationError) as error:
        make_cohort()
    assert "start_date" in error.value.error_dict
    assert Cohort.objects.count() == 0
    assert Session.objects.count() == 0
    assert not AuditEntry.objects.filter(object_type="programs.Cohort").exists()


def test_a_duplicate_cohort_code_is_a_field_error(make_cohort):
    make_cohort(code="dup")
    with pytest.raises(ValidationError) as error:
        make_cohort(code="dup")
    assert "code" in error.value.error_dict
    assert Cohort.objects.count() == 1


def test_facilitators_of_another_organisation_are_refused(make_cohort, other_org):
    stranger = VolunteerFactory(organisation=other_org)
    with pytest.raises(ValidationError):
        make_cohort(facilitators=[stranger])
    assert Cohort.objects.count() == 0


def test_a_program_without_modules_gets_a_cohort_without_sessions(org, coordinator):
    from sessions.services import cohort_create

    bare = ProgramFactory(organisation=org)
    cohort = cohort_create(
        program=bare, by=coordinator, code="x", start_date=date(2025, 9, 2), weekday=1
    )
    assert cohort.sessions.count() == 0
