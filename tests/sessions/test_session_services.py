"""Adding, rescheduling, cancelling, deleting and logging sessions: rules and bad input."""

from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError

from peersupport.audit import MASK
from peersupport.models import AuditEntry
from sessions import services
from sessions.models import Session
from tests.factories import (
    AttendanceFactory,
    ClosureDateFactory,
    SessionFactory,
    VolunteerFactory,
)

pytestmark = pytest.mark.django_db


def _unchanged(session):
    saved = Session.objects.get(pk=session.pk)
    return (saved.date, saved.start_time, saved.status, saved.cancel_reason) == (
        session.date,
        session.start_time,
        session.status,
        session.cancel_reason,
    )


# --- add ---------------------------------------------------------------------------


def test_an_added_session_is_numbered_after_the_last(cohort, scheduled, coordinator, today):
    added = services.session_add(
        cohort=cohort, date=today + timedelta(days=14), start_time=time(18), by=coordinator
    )
    assert added.number == 6
    assert added.end_time == time(21)  # the cohort's 180-minute length
    assert AuditEntry.objects.filter(object_id=str(added.pk), action="session.create").exists()


def test_a_session_cannot_be_added_before_the_cohort_starts(cohort, coordinator):
    with pytest.raises(ValidationError) as error:
        services.session_add(
            cohort=cohort, date=cohort.start_date - timedelta(days=1), by=coordinator
        )
    assert "date" in error.value.error_dict
    assert "before the cohort starts" in error.value.error_dict["date"][0].message
    assert cohort.sessions.count() == 0


# --- reschedule --------------------------------------------------------------------


def test_rescheduling_moves_the_session_and_audits_the_change(scheduled, coordinator):
    new_day = scheduled.date + timedelta(days=2)
    services.session_reschedule(
        session=scheduled, date=new_day, start_time=time(10), end_time=time(13), by=coordinator
    )
    scheduled.refresh_from_db()
    assert (scheduled.date, scheduled.start_time, scheduled.end_time) == (
        new_day,
        time(10),
        time(13),
    )
    entry = AuditEntry.objects.get(object_id=str(scheduled.pk), action="session.reschedule")
    assert entry.changes["date"] == [str(new_day - timedelta(days=2)), str(new_day)]


def test_a_session_cannot_be_moved_before_the_cohort_starts(scheduled, cohort, coordinator):
    with pytest.raises(ValidationError) as error:
        services.session_reschedule(
            session=scheduled, date=cohort.start_date - timedelta(days=7), by=coordinator
        )
    assert "date" in error.value.error_dict
    assert _unchanged(scheduled)


def test_a_session_cannot_be_moved_past_the_program_end(scheduled, program, coordinator):
    program.end_date = scheduled.date
    program.save()
    with pytest.raises(ValidationError) as error:
        services.session_reschedule(
            session=scheduled, date=scheduled.date + timedelta(days=1), by=coordinator
        )
    assert "after the program ends" in error.value.error_dict["date"][0].message
    assert _unchanged(scheduled)


def test_a_session_cannot_be_moved_onto_a_closure_date(scheduled, org, coordinator):
    closed = scheduled.date + timedelta(days=1)
    ClosureDateFactory(organisation=org, date=closed)
    with pytest.raises(ValidationError):
        services.session_reschedule(session=scheduled, date=closed, by=coordinator)
    assert _unchanged(scheduled)


def test_a_session_cannot_be_moved_onto_another_sessions_day(
    scheduled, past_scheduled, coordinator
):
    with pytest.raises(ValidationError) as error:
        services.session_reschedule(session=scheduled, date=past_scheduled.date, by=coordinator)
    assert "Session 4" in error.value.error_dict["date"][0].message


def test_an_end_time_before_the_start_time_is_refused(scheduled, coordinator):
    with pytest.raises(ValidationError) as error:
        services.session_reschedule(
            session=scheduled,
            date=scheduled.date,
            start_time=time(18),
            end_time=time(17),
            by=coordinator,
        )
    assert "end_time" in error.value.error_dict
    assert _unchanged(scheduled)


def test_a_held_session_cannot_be_rescheduled(cohort, coordinator, today):
    held = SessionFactory(cohort=cohort, number=1, date=today - timedelta(days=21))
    with pytest.raises(ValidationError):
        services.session_reschedule(session=held, date=today, by=coordinator)
    assert _unchanged(held)


# --- cancel ------------------------------------------------------------------------


def test_cancelling_keeps_the_session_with_its_reason(scheduled, coordinator):
    services.session_cancel(session=scheduled, reason="Snow storm", by=coordinator)
    scheduled.refresh_from_db()
    assert (scheduled.status, scheduled.cancel_reason) == ("cancelled", "Snow storm")
    entry = AuditEntry.objects.get(object_id=str(scheduled.pk), action="session.cancel")
    assert entry.changes["status"] == ["scheduled", "cancelled"]


def test_cancelling_without_a_reason_is_refused(scheduled, coordinator):
    with pytest.raises(ValidationError) as error:
        services.session_cancel(session=scheduled, reason="  ", by=coordinator)
    assert "reason" in error.value.error_dict
    assert _unchanged(scheduled)


def test_a_held_session_cannot_be_cancelled(cohort, coordinator, today):
    held = SessionFactory(cohort=cohort, number=1, date=today - timedelta(days=21))
    with pytest.raises(ValidationError):
        services.session_cancel(session=held, reason="oops", by=coordinator)
    assert _unchanged(held)


def test_a_session_with_attendance_cannot_be_cancelled(past_scheduled, coordinator):
    AttendanceFactory(session=past_scheduled)
    with pytest.raises(ValidationError):
        services.session_cancel(session=past_scheduled, reason="oops", by=coordinator)
    assert _unchanged(past_scheduled)


# --- delete ------------------------------------------------------------------------


def test_a_future_scheduled_session_can_be_deleted(scheduled, coordinator):
    pk = scheduled.pk
    services.session_delete(session=scheduled, by=coordinator)
    assert not Session.objects.filter(pk=pk).exists()
    assert AuditEntry.objects.filter(object_id=str(pk), action="session.delete").exists()


def test_a_held_session_cannot_be_deleted(cohort, coordinator, today):
    held = SessionFactory(cohort=cohort, number=1, date=today + timedelta(days=1))
    with pytest.raises(ValidationError, match="held session"):
        services.session_delete(session=held, by=coordinator)
    assert Session.objects.filter(pk=held.pk).exists()


def test_a_past_session_cannot_be_deleted(past_scheduled, coordinator):
    with pytest.raises(ValidationError, match="future"):
        services.session_delete(session=past_scheduled, by=coordinator)
    assert Session.objects.filter(pk=past_scheduled.pk).exists()


def test_a_session_with_attendance_cannot_be_deleted(scheduled, coordinator):
    AttendanceFactory(session=scheduled)
    with pytest.raises(ValidationError, match="Attendance"):
        services.session_delete(session=scheduled, by=coordinator)
    assert Session.objects.filter(pk=scheduled.pk).exists()


# --- log ---------------------------------------------------------------------------


def _log(session, by, **overrides):
    args = {
        "topics_covered": "Boundaries",
        "notes": "Good energy.",
        "incident_flagged": False,
        "incident_notes": "",
        "facilitators": list(session.cohort.facilitators.all()),
        "duration_minutes": 170,
    }
    return services.session_log(session=session, by=by, **{**args, **overrides})


def test_logging_a_session_marks_it_held(past_scheduled, volunteer, facilitator):
    _log(past_scheduled, facilitator)
    past_scheduled.refresh_from_db()
    assert past_scheduled.status == Session.Status.HELD
    assert past_scheduled.duration_minutes == 170
    assert past_scheduled.topics_covered == "Boundaries"
    assert past_scheduled.logged_by == facilitator
    assert list(past_scheduled.facilitators.all()) == [volunteer]


def test_the_audit_log_records_that_notes_changed_not_what_they_say(past_scheduled, facilitator):
    _log(past_scheduled, facilitator, incident_flagged=True, incident_notes="P-00001 upset")
    entry = AuditEntry.objects.get(object_id=str(past_scheduled.pk), action="session.log")
    assert entry.changes["notes"] == ["", MASK]
    assert entry.changes["incident_notes"] == ["", MASK]
    assert entry.changes["status"] == ["scheduled", "held"]
    assert "P-00001" not in str(entry.changes)


def test_a_flagged_incident_needs_notes(past_scheduled, facilitator):
    with pytest.raises(ValidationError) as error:
        _log(past_scheduled, facilitator, incident_flagged=True, incident_notes=" ")
    assert "incident_notes" in error.value.error_dict
    assert _unchanged(past_scheduled)


def test_a_cancelled_session_cannot_be_logged(past_scheduled, coordinator, facilitator):
    services.session_cancel(session=past_scheduled, reason="Ill", by=coordinator)
    past_scheduled.refresh_from_db()
    with pytest.raises(ValidationError, match="cancelled"):
        _log(past_scheduled, facilitator)
    assert _unchanged(past_scheduled)


def test_a_future_session_cannot_be_logged(scheduled, facilitator):
    with pytest.raises(ValidationError, match="future"):
        _log(scheduled, facilitator)
    assert _unchanged(scheduled)


def test_facilitators_of_another_organisation_cannot_be_recorded(
    past_scheduled, facilitator, other_org
):
    with pytest.raises(ValidationError):
        _log(past_scheduled, facilitator, facilitators=[VolunteerFactory(organisation=other_org)])
    assert _unchanged(past_scheduled)
    assert past_scheduled.facilitators.count() == 0
