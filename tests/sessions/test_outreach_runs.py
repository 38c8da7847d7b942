"""The runs of missed sessions the outreach list reads are kept up to date: after every
kind of change, made the way users make it, they equal a count from the rows."""

import contextlib
import random
import threading
from datetime import date, timedelta

import pytest
from django.db import close_old_connections, connection

from participants.models import Enrollment
from programs.models import Cohort
from sessions import outreach
from sessions.attendance import AttendanceError, attendance_mark_all, attendance_set
from sessions.models import Attendance, MissedRun, Session
from sessions.services import session_cancel, session_log
from tests.availability import require
from tests.factories import CohortFactory, EnrollmentFactory, SessionFactory

NEVER = date(1, 1, 1)
STATUSES = ("present", "late", "absent", "excused")


def counted(org) -> dict[int, int]:
    """The runs worked out from the rows, in Python, from the definition."""
    runs = {}
    for e in Enrollment.objects.filter(
        cohort__organisation=org, status="enrolled", cohort__status__in=Cohort.CURRENT
    ):
        taken = [
            s.date
            for s in Session.objects.filter(cohort_id=e.cohort_id, status="held")
            if Attendance.objects.filter(session=s).exists()
        ]
        attended = Attendance.objects.filter(
            enrollment=e, status__in=("present", "late"), session__status="held"
        ).values_list("session__date", flat=True)
        last, since = max(attended, default=NEVER), e.enrolled_on or NEVER
        run = sum(1 for day in taken if day >= since and day > last)
        if run:
            runs[e.pk] = run
    return runs


def stored(org) -> dict[int, int]:
    return dict(
        MissedRun.objects.filter(enrollment__cohort__organisation=org).values_list(
            "enrollment_id", "missed"
        )
    )


@pytest.fixture
def groups(org):
    """Two running groups, five people each, six weekly sessions: four past (held), two
    still to come (scheduled, dated yesterday so that they can be logged)."""
    today = date.today()
    made = []
    for start in (today - timedelta(weeks=6), today - timedelta(weeks=6, days=2)):
        cohort = CohortFactory(program__organisation=org, start_date=start)
        people = [EnrollmentFactory(cohort=cohort, enrolled_on=start) for _ in range(5)]
        sessions = [
            SessionFactory(
                cohort=cohort,
                number=k,
                date=start + timedelta(weeks=k - 1) if k <= 4 else today - timedelta(days=k - 4),
                status="held" if k <= 4 else "scheduled",
            )
            for k in range(1, 7)
        ]
        made.append((cohort, people, sessions))
    return made


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_kind_of_change_keeps_the_runs_equal_to_a_count_from_the_rows(
    groups, org, coordinator, seed
):
    rng = random.Random(seed)
    today = date.today()

    def tap():
        cohort, people, sessions = rng.choice(groups)
        session = Session.objects.get(pk=rng.choice(sessions).pk)
        # Cancelled, or not in the group that day: refused, nothing saved.
        with contextlib.suppress(AttendanceError):
            attendance_set(
                session=session,
                enrollment_id=rng.choice(people).pk,
                status=rng.choice(STATUSES),
                by=coordinator,
                today=today,
            )

    def mark_all():
        _cohort, _people, sessions = rng.choice(groups)
        session = Session.objects.get(pk=rng.choice(sessions).pk)
        with contextlib.suppress(AttendanceError):
            attendance_mark_all(session=session, by=coordinator, status=rng.choice(STATUSES))

    def log_or_cancel():
        _cohort, _people, sessions = rng.choice(groups)
        session = Session.objects.get(pk=rng.choice(sessions[4:]).pk)
        if session.status != "scheduled":
            return
        if rng.random() < 0.5 and not session.attendance.exists():
            session_cancel(session=session, reason="Closed", by=coordinator)
        else:
            session_log(
                session=session,
                by=coordinator,
                topics_covered="",
                notes="",
                incident_flagged=False,
                incident_notes="",
                facilitators=[],
                duration_minutes=180,
            )

    def enrollment_change():
        _cohort, people, _sessions = rng.choice(groups)
        person = Enrollment.objects.get(pk=rng.choice(people).pk)
        if rng.random() < 0.5:
            person.status = rng.choice(("enrolled", "enrolled", "withdrawn"))
        else:  # enrolled later, or back at the start
            person.enrolled_on = person.cohort.start_date + timedelta(weeks=rng.choice((0, 2)))
        person.save()

    def cohort_change():
        cohort = Cohort.objects.get(pk=rng.choice(groups)[0].pk)
        cohort.status = "completed" if cohort.status == "running" else "running"
        cohort.save()

    changes = [tap] * 8 + [mark_all, log_or_cancel, enrollment_change, cohort_change]
    for _ in range(40):
        rng.choice(changes)()
        assert stored(org) == counted(org)
    assert stored(org), "some runs were counted"


@pytest.mark.django_db
def test_a_recount_finds_the_same_runs_and_a_closed_cohort_has_none(groups, org):
    (cohort, people, sessions), _other = groups
    for person in people[1:]:
        for session in sessions[:4]:
            Attendance.objects.create(session=session, enrollment=person, status="present")
    before = stored(org)
    assert before == counted(org) == {people[0].pk: 4}
    MissedRun.objects.all().delete()
    outreach.recount([cohort.pk])
    assert stored(org) == before
    Cohort.objects.filter(pk=cohort.pk).update(status="completed")  # without a signal
    outreach.recount([cohort.pk])
    assert stored(org) == {}


@pytest.mark.django_db(transaction=True)
def test_changes_at_the_same_moment_leave_the_runs_right(groups, org, coordinator):
    # Each change recounts its cohort's runs. Changes committing together must neither
    # fail on each other's rows nor leave the count of one that did not see the others
    # (PostgreSQL, where they overlap; SQLite runs one write at a time).
    require(connection.vendor == "postgresql", "writes overlap on PostgreSQL only")
    (cohort, people, sessions), _other = groups
    last = sessions[3]
    for person in people:
        for session in sessions[:3]:
            Attendance.objects.create(session=session, enrollment=person, status="absent")
    assert stored(org) == dict.fromkeys((p.pk for p in people), 3)
    barrier = threading.Barrier(len(people))
    errors = []

    def change(n, person):
        try:
            barrier.wait(timeout=10)
            if n % 2:  # a tap: present at the last session
                attendance_set(
                    session=Session.objects.get(pk=last.pk),
                    enrollment_id=person.pk,
                    status="present",
                    by=coordinator,
                )
            else:  # her record saved, enrolled a week after the start
                person = Enrollment.objects.get(pk=person.pk)
                person.enrolled_on = cohort.start_date + timedelta(weeks=1)
                person.save()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=change, args=(n, p)) for n, p in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    # Taps: attended the last session. Saves: the first session is before she enrolled,
    # and the last one, taken by the others' taps, was missed.
    expected = {p.pk: 3 for n, p in enumerate(people) if n % 2 == 0}
    assert stored(org) == counted(org) == expected


@pytest.mark.django_db
def test_the_command_recounts_runs_changed_outside_the_app(groups, org):
    from io import StringIO

    from django.core.management import call_command

    (cohort, people, sessions), _other = groups
    Attendance.objects.create(session=sessions[0], enrollment=people[1], status="present")
    expected = counted(org)
    Attendance.objects.filter(session=sessions[0]).update(status="absent")  # no signal
    MissedRun.objects.filter(enrollment=people[0]).delete()
    assert stored(org) != counted(org)
    out = StringIO()
    call_command("recount_outreach", stdout=out)
    assert stored(org) == counted(org) != expected
    assert "recounted" in out.getvalue()


@pytest.mark.django_db
def test_deleting_a_session_or_an_enrollment_recounts(groups, org):
    (cohort, people, sessions), _other = groups
    for session in sessions[:4]:
        Attendance.objects.create(session=session, enrollment=people[1], status="present")
    Attendance.objects.create(session=sessions[0], enrollment=people[2], status="present")
    assert stored(org) == counted(org) == {people[0].pk: 4, people[2].pk: 3, **{
        p.pk: 4 for p in people[3:]
    }}  # fmt: skip
    Session.objects.get(pk=sessions[3].pk).delete()  # as the admin may; its rows go too
    assert stored(org) == counted(org) == {people[0].pk: 3, people[2].pk: 2, **{
        p.pk: 3 for p in people[3:]
    }}  # fmt: skip
    Enrollment.objects.get(pk=people[4].pk).delete()  # no attendance of hers: allowed
    assert stored(org) == counted(org) and people[4].pk not in stored(org)
