"""Changing a cohort's schedule moves the sessions still to come, never settled ones."""

from datetime import date, time

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from peersupport.models import AuditEntry
from sessions import services
from sessions.models import Attendance, Session
from tests.factories import ClosureDateFactory, EnrollmentFactory, SessionFactory

pytestmark = pytest.mark.django_db


def dates(cohort):
    return list(cohort.sessions.order_by("number").values_list("date", flat=True))


def test_a_new_start_date_moves_every_session_of_a_cohort_that_has_not_met(
    make_cohort, coordinator, org
):
    ClosureDateFactory(organisation=org, date=date(2025, 9, 23))
    cohort = make_cohort()  # Tuesdays from 2 September 2025

    services.cohort_update(cohort=cohort, by=coordinator, start_date=date(2025, 9, 9))

    assert cohort.rescheduled == 5
    assert dates(cohort) == [
        date(2025, 9, 9),
        date(2025, 9, 16),
        date(2025, 9, 30),  # 23 September is closed
        date(2025, 10, 7),
        date(2025, 10, 14),
    ]
    entry = AuditEntry.objects.get(object_type="programs.Cohort", action="cohort.update")
    assert entry.detail["sessions_moved"] == [1, 2, 3, 4, 5]
    assert entry.changes["start_date"] == ["2025-09-02", "2025-09-09"]


def test_settled_sessions_keep_their_dates_and_later_ones_follow_them(make_cohort, coordinator):
    cohort = make_cohort(start_time=time(18, 0))
    first, second = cohort.sessions.order_by("number")[:2]
    Session.objects.filter(pk=first.pk).update(status=Session.Status.HELD)
    Attendance.objects.create(
        session=second, enrollment=EnrollmentFactory(cohort=cohort), status="present"
    )

    # Thursdays from now on, an hour earlier.
    services.cohort_update(cohort=cohort, by=coordinator, weekday=3, start_time=time(17, 0))

    sessions = list(cohort.sessions.order_by("number"))
    assert [s.date for s in sessions] == [
        date(2025, 9, 2),  # held
        date(2025, 9, 9),  # has attendance
        date(2025, 9, 11),  # the first Thursday after session 2
        date(2025, 9, 18),
        date(2025, 9, 25),
    ]
    assert [s.start_time for s in sessions] == [time(18, 0)] * 2 + [time(17, 0)] * 3
    assert [s.end_time for s in sessions][2:] == [time(20, 0)] * 3
    assert cohort.rescheduled == 3


def test_other_changes_leave_the_sessions_alone(make_cohort, coordinator):
    cohort = make_cohort()
    session = cohort.sessions.get(number=3)
    Session.objects.filter(pk=session.pk).update(date=date(2025, 9, 17))  # moved by hand

    services.cohort_update(cohort=cohort, by=coordinator, name="Renamed", capacity=12)

    assert cohort.rescheduled == 0
    assert cohort.sessions.get(number=3).date == date(2025, 9, 17)


def test_a_schedule_past_the_program_end_is_refused_and_nothing_moves(
    make_cohort, coordinator, program
):
    cohort = make_cohort()
    program.end_date = date(2025, 10, 10)
    program.save()

    with pytest.raises(ValidationError) as error:
        services.cohort_update(cohort=cohort, by=coordinator, start_date=date(2025, 9, 16))

    assert "start_date" in error.value.error_dict
    cohort.refresh_from_db()
    assert cohort.start_date == date(2025, 9, 2)
    assert dates(cohort)[0] == date(2025, 9, 2)


def test_the_cohort_page_says_how_many_sessions_moved(make_cohort, coordinator, client_for):
    from tests.sessions.test_views import _cohort_form

    cohort = make_cohort()
    data = _cohort_form(cohort.program, code="spring", name="Spring", start_date="2025-09-09")
    data["weekday"] = "1"

    response = client_for(coordinator).post(
        reverse("groupsessions:cohort_update", args=[cohort.pk]), data, follow=True
    )

    assert "5 sessions still to come moved to the new schedule" in response.content.decode()
    assert dates(cohort)[0] == date(2025, 9, 9)


# --- a closure listed after the sessions were scheduled ----------------------------------


def test_a_new_closure_moves_that_days_session_and_the_later_ones(
    make_cohort, coordinator, org, program
):
    from programs import services as program_services
    from tests.factories import CohortFactory

    cohort = make_cohort()  # Tuesdays 2 September to 30 September 2025
    Session.objects.filter(cohort=cohort, number=1).update(status=Session.Status.HELD)
    other_day = CohortFactory(program=program, code="thursdays", start_date=date(2025, 9, 4))
    SessionFactory(cohort=other_day, number=1, date=date(2025, 9, 18))

    closure = program_services.closure_date_create(
        organisation=org, on=date(2025, 9, 16), reason="Holiday", by=coordinator
    )

    assert dates(cohort) == [
        date(2025, 9, 2),
        date(2025, 9, 9),
        date(2025, 9, 23),
        date(2025, 9, 30),
        date(2025, 10, 7),
    ]
    assert dates(other_day) == [date(2025, 9, 18)]
    assert closure.notes == [
        "In 1 cohort, the session on that day and the ones after it moved to later weeks."
    ]
    entry = AuditEntry.objects.get(object_type="programs.Cohort", action="cohort.reschedule")
    assert entry.detail == {"closure": "2025-09-16", "sessions_moved": [3, 4, 5]}
    assert entry.actor == coordinator


def test_a_closure_that_would_push_a_cohort_past_its_program_end_leaves_it_and_says_so(
    make_cohort, coordinator, org, program
):
    from programs import services as program_services

    cohort = make_cohort()
    program.end_date = date(2025, 9, 30)
    program.save()

    closure = program_services.closure_date_create(
        organisation=org, on=date(2025, 9, 16), reason="Holiday", by=coordinator
    )

    assert dates(cohort)[2] == date(2025, 9, 16)
    assert "Cohorts spring keep their sessions on that day" in closure.notes[0]


def test_the_closure_page_says_what_moved(make_cohort, coordinator, client_for):
    make_cohort()

    response = client_for(coordinator).post(
        reverse("programs:closure_list"), {"date": "2025-09-16", "reason": "Holiday"}, follow=True
    )

    html = response.content.decode()
    assert "Closure on 2025-09-16 added." in html
    assert "In 1 cohort, the session on that day" in html
