"""Attendance services: one row per person and session, idempotent taps, the rules."""

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from peersupport.models import AuditEntry
from sessions import attendance as attendance_module
from sessions.attendance import (
    AttendanceError,
    SheetErrors,
    attendance_mark_all,
    attendance_record_sheet,
    attendance_set,
    attendance_sheet,
    sessions_for_home,
    version_of,
)
from sessions.models import Attendance, Session
from tests.factories import (
    CohortFactory,
    EnrollmentFactory,
    MembershipFactory,
    ProgramFactory,
    SessionFactory,
    VolunteerFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def cohort(org, facilitator, today):
    volunteer = VolunteerFactory(organisation=org, user=facilitator)
    return CohortFactory(
        program=ProgramFactory(organisation=org),
        start_date=today - timedelta(days=60),
        facilitators=[volunteer],
    )


@pytest.fixture
def session(cohort, today):
    return SessionFactory(cohort=cohort, date=today - timedelta(days=1), status="scheduled")


@pytest.fixture
def enrollment(cohort):
    return EnrollmentFactory(cohort=cohort)


def _audits():
    return AuditEntry.objects.filter(
        object_type="groupsessions.Attendance", action="attendance.set"
    )


def _changed_audits():
    """Entries for a row that already had a status (not a first mark)."""
    return _audits().exclude(changes__status__0=None)


def test_a_tap_records_the_status_and_audits_it(session, enrollment, facilitator):
    row, changed, earlier = attendance_set(
        session=session, enrollment_id=enrollment.pk, status="present", by=facilitator
    )
    assert changed and earlier is None
    assert row.status == "present" and row.recorded_by == facilitator
    entry = _audits().get()
    assert entry.action == "attendance.set"
    assert entry.changes == {"status": [None, "present"]}
    assert entry.actor == facilitator


def test_the_same_status_again_changes_nothing_and_writes_no_audit_entry(
    session, enrollment, facilitator
):
    row, _c, _e = attendance_set(
        session=session, enrollment_id=enrollment.pk, status="late", by=facilitator
    )
    before = row.updated_at
    again, changed, earlier = attendance_set(
        session=session,
        enrollment_id=enrollment.pk,
        status="late",
        by=facilitator,
        seen_version="",  # a retry sent from the page as it was before the first tap
    )
    assert not changed and earlier is None
    assert again.updated_at == before
    assert Attendance.objects.count() == 1
    assert _audits().count() == 1


def test_a_change_is_audited_with_old_and_new_value(session, enrollment, facilitator):
    row, _c, _e = attendance_set(
        session=session, enrollment_id=enrollment.pk, status="present", by=facilitator
    )
    attendance_set(
        session=session,
        enrollment_id=enrollment.pk,
        status="late",
        by=facilitator,
        seen_version=version_of(row),
    )
    entry = _changed_audits().get()
    assert entry.changes == {"status": ["present", "late"]}
    assert Attendance.objects.get().status == "late"


def test_a_change_after_someone_elses_shows_who_changed_it_last(
    org, session, enrollment, facilitator
):
    other = MembershipFactory(organisation=org, role="coordinator").user
    page_version = ""  # both opened the sheet before anyone tapped
    attendance_set(
        session=session,
        enrollment_id=enrollment.pk,
        status="absent",
        by=other,
        seen_version=page_version,
    )
    row, changed, earlier = attendance_set(
        session=session,
        enrollment_id=enrollment.pk,
        status="present",
        by=facilitator,
        seen_version=page_version,
    )
    assert changed
    assert earlier is not None
    assert earlier.by == str(other) and earlier.status == "absent"
    # The later tap wins; nothing is lost: both changes are in the audit log.
    assert Attendance.objects.get().status == "present"
    assert [e.changes["status"] for e in _audits().order_by("id")] == [
        [None, "absent"],
        ["absent", "present"],
    ]


def test_no_earlier_change_is_reported_when_the_page_had_seen_it(
    org, session, enrollment, facilitator
):
    other = MembershipFactory(organisation=org, role="coordinator").user
    row, _c, _e = attendance_set(
        session=session, enrollment_id=enrollment.pk, status="absent", by=other
    )
    _row, _changed, earlier = attendance_set(
        session=session,
        enrollment_id=enrollment.pk,
        status="present",
        by=facilitator,
        seen_version=version_of(row),
    )
    assert earlier is None


@pytest.mark.parametrize("status", ["here", "", "PRESENT", "present "])
def test_a_status_not_in_the_list_is_refused_and_nothing_saved(
    session, enrollment, facilitator, status
):
    with pytest.raises(AttendanceError) as error:
        attendance_set(session=session, enrollment_id=enrollment.pk, status=status, by=facilitator)
    assert error.value.code == "status"
    assert not Attendance.objects.exists()
    assert not _audits().exists()


def test_someone_enrolled_after_the_session_date_is_refused(session, cohort, facilitator):
    late = EnrollmentFactory(cohort=cohort, enrolled_on=session.date + timedelta(days=1))
    with pytest.raises(AttendanceError) as error:
        attendance_set(session=session, enrollment_id=late.pk, status="present", by=facilitator)
    assert error.value.code == "not_enrolled"
    assert not Attendance.objects.exists()


def test_someone_who_left_before_the_session_is_refused(session, cohort, facilitator):
    gone = EnrollmentFactory(
        cohort=cohort, status="withdrawn", exit_date=session.date - timedelta(days=1)
    )
    with pytest.raises(AttendanceError):
        attendance_set(session=session, enrollment_id=gone.pk, status="present", by=facilitator)
    assert not Attendance.objects.exists()


def test_someone_of_another_cohort_is_refused(session, org, facilitator):
    elsewhere = EnrollmentFactory(cohort=CohortFactory(program=ProgramFactory(organisation=org)))
    with pytest.raises(AttendanceError) as error:
        attendance_set(
            session=session, enrollment_id=elsewhere.pk, status="present", by=facilitator
        )
    assert error.value.code == "not_enrolled"


def test_a_cancelled_session_takes_no_attendance(session, enrollment, facilitator):
    Session.objects.filter(pk=session.pk).update(status="cancelled")
    session.refresh_from_db()
    with pytest.raises(AttendanceError) as error:
        attendance_set(
            session=session, enrollment_id=enrollment.pk, status="present", by=facilitator
        )
    assert error.value.code == "cancelled"
    assert not Attendance.objects.exists()


def test_a_future_session_takes_no_attendance(cohort, enrollment, facilitator, today):
    future = SessionFactory(cohort=cohort, date=today + timedelta(days=1), status="scheduled")
    with pytest.raises(AttendanceError) as error:
        attendance_set(
            session=future, enrollment_id=enrollment.pk, status="present", by=facilitator
        )
    assert error.value.code == "future"
    assert not Attendance.objects.exists()


def test_todays_session_takes_attendance(cohort, enrollment, facilitator, today):
    now = SessionFactory(cohort=cohort, date=today, status="scheduled")
    row, _c, _e = attendance_set(
        session=now, enrollment_id=enrollment.pk, status="present", by=facilitator
    )
    assert row.pk


def test_only_a_coordinator_changes_attendance_older_than_the_edit_window(
    settings, cohort, enrollment, facilitator, coordinator, today
):
    settings.ATTENDANCE_EDIT_WINDOW_DAYS = 14
    old = SessionFactory(cohort=cohort, date=today - timedelta(days=15))
    with pytest.raises(AttendanceError) as error:
        attendance_set(session=old, enrollment_id=enrollment.pk, status="present", by=facilitator)
    assert error.value.code == "closed" and error.value.http_status == 403
    assert not Attendance.objects.exists()
    row, changed, _e = attendance_set(
        session=old, enrollment_id=enrollment.pk, status="present", by=coordinator
    )
    assert changed and row.recorded_by == coordinator


def test_a_session_exactly_at_the_edit_window_is_still_open(
    settings, cohort, enrollment, facilitator, today
):
    settings.ATTENDANCE_EDIT_WINDOW_DAYS = 14
    edge = SessionFactory(cohort=cohort, date=today - timedelta(days=14))
    row, _c, _e = attendance_set(
        session=edge, enrollment_id=enrollment.pk, status="present", by=facilitator
    )
    assert row.pk


def test_mark_all_present_fills_only_rows_not_yet_marked(session, cohort, facilitator):
    late, *others = [EnrollmentFactory(cohort=cohort) for _ in range(4)]
    attendance_set(session=session, enrollment_id=late.pk, status="late", by=facilitator)
    assert attendance_mark_all(session=session, by=facilitator) == 3
    statuses = dict(Attendance.objects.values_list("enrollment_id", "status"))
    assert statuses[late.pk] == "late"
    assert all(statuses[e.pk] == "present" for e in others)
    assert _audits().filter(changes__status__0=None).count() == 4
    # Pressing it again changes nothing.
    assert attendance_mark_all(session=session, by=facilitator) == 0
    assert _audits().count() == 4


def test_mark_all_present_follows_the_same_rules(cohort, enrollment, facilitator, today):
    future = SessionFactory(cohort=cohort, date=today + timedelta(days=3), status="scheduled")
    with pytest.raises(AttendanceError):
        attendance_mark_all(session=future, by=facilitator)
    assert not Attendance.objects.exists()


def test_a_keyed_sheet_is_saved_all_together(session, cohort, facilitator):
    a, b, c = (EnrollmentFactory(cohort=cohort) for _ in range(3))
    outcome = attendance_record_sheet(
        session=session,
        statuses={a.pk: "present", b.pk: "absent", c.pk: ""},
        by=facilitator,
    )
    assert outcome.changed == 2
    assert dict(Attendance.objects.values_list("enrollment_id", "status")) == {
        a.pk: "present",
        b.pk: "absent",
    }


def test_a_keyed_sheet_with_one_bad_row_saves_nothing_and_names_the_row(
    session, cohort, facilitator
):
    a, b = (EnrollmentFactory(cohort=cohort) for _ in range(2))
    stranger = EnrollmentFactory()
    with pytest.raises(SheetErrors) as errors:
        attendance_record_sheet(
            session=session,
            statuses={a.pk: "present", b.pk: "maybe", stranger.pk: "present"},
            by=facilitator,
        )
    assert set(errors.value.errors) == {b.pk, stranger.pk}
    assert not Attendance.objects.exists()
    assert not _audits().exists()


def test_the_sheet_lists_people_enrolled_on_the_day_by_name(session, cohort):
    EnrollmentFactory(cohort=cohort, participant__preferred_name="Zoe")
    EnrollmentFactory(cohort=cohort, participant__preferred_name="amira")
    EnrollmentFactory(cohort=cohort, enrolled_on=session.date + timedelta(days=7))
    names = [row.participant.preferred_name for row in attendance_sheet(session=session)]
    assert names == ["amira", "Zoe"]


def test_home_puts_today_first_and_flags_sessions_missing_attendance(
    cohort, enrollment, facilitator, today
):
    todays = SessionFactory(cohort=cohort, date=today, status="scheduled")
    missing = SessionFactory(cohort=cohort, date=today - timedelta(days=7), status="scheduled")
    taken = SessionFactory(cohort=cohort, date=today - timedelta(days=14))
    attendance_set(session=taken, enrollment_id=enrollment.pk, status="present", by=facilitator)
    SessionFactory(cohort=cohort, date=today - timedelta(days=3), status="cancelled")
    too_old = SessionFactory(cohort=cohort, date=today - timedelta(days=21), status="scheduled")
    upcoming = SessionFactory(cohort=cohort, date=today + timedelta(days=7), status="scheduled")
    home = sessions_for_home(cohorts=type(cohort).objects.all(), today=today)
    assert home["today"] == [todays]
    assert home["missing"] == [missing]
    assert taken in home["recent"]
    assert too_old not in home["missing"] + home["recent"]
    assert home["upcoming"] == [upcoming]


def test_an_insert_that_races_another_persons_becomes_an_update(
    org, session, enrollment, facilitator, monkeypatch
):
    """Someone else inserts the row between our read and our insert: the unique
    constraint refuses ours, and the retry updates theirs and says who set it.
    (One SQLite connection cannot interleave two transactions, so the rival's insert is
    staged: the first insert is refused, the retry finds the rival's row.)"""
    other = MembershipFactory(organisation=org, role="coordinator").user
    original_apply = attendance_module._apply_once
    raced = []

    def refuse_the_first_insert(objs, *args, **kwargs):
        # The rival's row was committed just before ours: the constraint refuses ours.
        raced.append(True)
        raise IntegrityError("UNIQUE constraint failed")

    def apply_once(**kwargs):
        if raced and not Attendance.objects.exists():
            # What the retry finds: the rival's committed row.
            Attendance.objects.create(
                session=session, enrollment=enrollment, status="absent", recorded_by=other
            )
        return original_apply(**kwargs)

    monkeypatch.setattr(attendance_module, "_apply_once", apply_once)
    original_bulk_create = Attendance.objects.bulk_create

    def refuse_once(objs, *args, **kwargs):
        if not raced:
            return refuse_the_first_insert(objs)
        return original_bulk_create(objs, *args, **kwargs)

    monkeypatch.setattr(Attendance.objects, "bulk_create", refuse_once)
    row, changed, earlier = attendance_set(
        session=session, enrollment_id=enrollment.pk, status="present", by=facilitator
    )
    assert raced and changed
    assert Attendance.objects.get().status == "present"
    assert earlier is not None and earlier.by == str(other) and earlier.status == "absent"
    assert _changed_audits().get().changes == {"status": ["absent", "present"]}
