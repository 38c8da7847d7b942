"""Reads shared by the cohort, program and dashboard pages.

Every function runs a fixed number of queries whatever the amount of data: counts are
SQL aggregates or subqueries, never Python loops over rows.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import (
    Count,
    DateField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from participants.models import Enrollment
from participants.selectors import cohort_fill
from peersupport.querying import count_subquery
from programs import selectors as program_selectors
from programs.models import Cohort, Program, Volunteer

from .models import Attendance, Session

NEVER = date(1, 1, 1)


def with_fill(cohorts: QuerySet) -> QuerySet:
    """``participants.selectors.cohort_fill`` (``places_taken``, ``places_free``,
    ``waitlist_length``) plus ``session_count``; ``fill_percent(cohort)`` is the fill rate."""
    return cohort_fill(cohorts=cohorts).annotate(
        session_count=count_subquery(Session.objects.filter(cohort=OuterRef("pk"))),
    )


def fill_percent(cohort: Cohort) -> int:
    """Places taken as a percentage of capacity (over 100 when over-filled)."""
    taken = cohort.places_taken  # type: ignore[attr-defined]  # annotated by cohort_fill
    return round(100 * taken / cohort.capacity) if cohort.capacity else 0


def cohort_list(
    *, cohorts: QuerySet, q: str = "", program: Program | None = None, status: str = ""
) -> QuerySet:
    """``cohorts`` (already limited to what the member may see) searched and filtered."""
    if q:
        cohorts = cohorts.filter(
            Q(code__icontains=q) | Q(name__icontains=q) | Q(location__icontains=q)
        )
    if program is not None:
        cohorts = cohorts.filter(program=program)
    if status:
        cohorts = cohorts.filter(status=status)
    return with_fill(cohorts.select_related("program")).order_by("-start_date", "code")


def cohort_sessions(*, cohort: Cohort) -> QuerySet:
    """The cohort's sessions with ``attendance_count`` and ``attended_count``."""
    attendance = Attendance.objects.filter(session=OuterRef("pk"))
    return (
        cohort.sessions.select_related("module")
        .annotate(
            attendance_count=count_subquery(attendance),
            attended_count=count_subquery(attendance.filter(status__in=Attendance.ATTENDED)),
        )
        .order_by("number")
    )


def week_of(today: date) -> tuple[date, date]:
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=6)


def week_sessions(*, organisation, today: date) -> QuerySet:
    """Sessions of the organisation in the week (Monday to Sunday) containing ``today``."""
    monday, sunday = week_of(today)
    return (
        Session.objects.filter(cohort__organisation=organisation, date__range=(monday, sunday))
        .select_related("cohort", "module")
        .order_by("date", "start_time", "cohort__code")
    )


def sessions_missing_attendance(*, organisation, today: date) -> QuerySet:
    """Sessions that happened (held, or dated before today and still scheduled) of
    cohorts not closed, with no attendance row at all."""
    return (
        Session.objects.filter(cohort__organisation=organisation)
        .filter(cohort__status__in=Cohort.CURRENT)
        .filter(Q(status=Session.Status.HELD) | Q(status=Session.Status.SCHEDULED, date__lt=today))
        .filter(~Exists(Attendance.objects.filter(session=OuterRef("pk"))))
        .select_related("cohort")
        .order_by("-date", "cohort__code")
    )


def outreach_list(*, organisation, threshold: int) -> QuerySet:
    """Enrollments whose most recent ``threshold`` or more offered sessions in a row were
    not attended: the participants a coordinator should reach out to.

    - Offered (``docs/figures.md``): held sessions of the enrollment's cohort
      dated on or after ``enrolled_on``. Only sessions whose attendance was taken (at
      least one row) count; a session held with no attendance at all is on the
      "missing attendance" list instead, and would otherwise put the whole group here.
    - Not attended: status ``absent`` or ``excused``, or no row for this enrollment in a
      session whose attendance was taken. An excused absence counts: outreach is a
      check-in, not a sanction.
    - The run of misses is the offered sessions after the last attended one, so one
      attended session takes the participant off the list.
    - Only enrollments currently ``enrolled`` in cohorts that are not closed.

    Three queries, whatever the size of the organisation. The first finds each open
    cohort's ``threshold`` latest sessions whose attendance was taken; the second, the
    enrollments in those cohorts that attended none of them (one hashed anti-join on
    those sessions' attendance), kept when they began on or before all of them; the
    third returns the listed enrollments with the length of the run (``missed``) and
    ``last_attended`` (or None), worked out for those rows only.
    """
    recent = _latest_taken_sessions(organisation=organisation, per_cohort=threshold)
    # The earliest of each cohort's latest sessions; cohorts with fewer are left out.
    earliest = {
        cohort_id: min(day for _, day in sessions)
        for cohort_id, sessions in recent.items()
        if len(sessions) == threshold
    }
    attended_one = Attendance.objects.filter(
        session_id__any=[pk for sessions in recent.values() for pk, _ in sessions],
        status__in=Attendance.ATTENDED,
    ).values("enrollment_id")
    candidates = (
        Enrollment.objects.filter(status=Enrollment.Status.ENROLLED, cohort_id__any=list(earliest))
        .exclude(pk__in=attended_one)
        .order_by()  # no sort (and no join to sort by cohort and code): a filter only
        .values_list("pk", "cohort_id", "enrolled_on")
    )
    # Every one of the cohort's latest sessions was offered to the enrollment.
    listed = [
        pk
        for pk, cohort_id, enrolled_on in (candidates if earliest else ())
        if (enrolled_on or NEVER) <= earliest[cohort_id]
    ]
    taken = Exists(Attendance.objects.filter(session=OuterRef("pk")))
    last_attended = Subquery(
        Attendance.objects.filter(
            enrollment=OuterRef("pk"),
            status__in=Attendance.ATTENDED,
            session__status=Session.Status.HELD,
        )
        .order_by("-session__date")
        .values("session__date")[:1],
        output_field=DateField(),
    )
    missed_since = Session.objects.filter(
        cohort=OuterRef("cohort_id"),
        status=Session.Status.HELD,
        date__gt=OuterRef("since_attended"),
        date__gte=OuterRef("since_enrolled"),
    ).filter(taken)
    return (
        Enrollment.objects.filter(pk__any=listed)
        .annotate(
            since_enrolled=Coalesce("enrolled_on", Value(NEVER), output_field=DateField()),
        )
        .annotate(
            last_attended=last_attended,
            since_attended=Coalesce(last_attended, Value(NEVER), output_field=DateField()),
        )
        .annotate(missed=count_subquery(missed_since))
        .select_related("participant", "cohort")
        .order_by("-missed", "cohort__code", "participant__code")
    )


def _latest_taken_sessions(*, organisation, per_cohort: int) -> dict[int, list[tuple[int, date]]]:
    """For each open cohort of ``organisation``: its latest ``per_cohort`` held sessions
    whose attendance was taken, as ``(session id, date)`` pairs, latest first. One query
    over the open cohorts, each reading only its own latest sessions (``LIMIT 1 OFFSET k``
    down the cohort's session index, like a lateral join), then one for their dates: it
    never reads the organisation's session history, which grows with every week of every
    past cohort."""
    taken = (
        Session.objects.filter(cohort=OuterRef("pk"), status=Session.Status.HELD)
        .filter(Exists(Attendance.objects.filter(session=OuterRef("pk"))))
        .order_by("-date", "-number")
    )
    # One subquery per rank, the session's id only (each walks the cohort's index again);
    # their dates come after, in one query by primary key.
    ranks = {f"s{k}": Subquery(taken.values("pk")[k : k + 1]) for k in range(per_cohort)}
    rows = list(
        Cohort.objects.filter(organisation=organisation)
        .filter(status__in=Cohort.CURRENT)
        .annotate(**ranks)
        .order_by()
        .values_list("pk", *ranks)
    )
    found = [pk for _cohort_id, *pks in rows for pk in pks if pk is not None]
    dates = dict(Session.objects.filter(pk__any=found).values_list("pk", "date")) if found else {}
    latest: dict[int, list[tuple[int, date]]] = {}
    for cohort_id, *pks in rows:
        sessions = [(pk, dates[pk]) for pk in pks if pk is not None]
        if sessions:
            latest[cohort_id] = sessions
    return latest


def volunteers_due_for_supervision(*, organisation, today: date, limit: int | None = None) -> list:
    """Active volunteers due for supervision (``programs.selectors``)."""
    return program_selectors.volunteers_due_for_supervision(
        organisation=organisation, today=today, limit=limit
    )


def held_sessions_by_day(*, volunteer: Volunteer, program: Program) -> list[tuple[date, int, int]]:
    """The held sessions of ``program`` that ``volunteer`` ran (``Session.facilitators``),
    per day: ``(date, minutes, sessions)`` (1 query)."""
    return list(
        volunteer.sessions.filter(status=Session.Status.HELD, cohort__program=program)
        .values("date")
        .annotate(minutes=Coalesce(Sum("duration_minutes"), 0), session_count=Count("pk"))
        .order_by()
        .values_list("date", "minutes", "session_count")
    )


def open_incidents(*, organisation) -> QuerySet:
    """Sessions whose incident was flagged and whose follow-up is not recorded yet,
    oldest first: they stay on the coordinator's dashboard until someone records it."""
    return (
        Session.objects.filter(
            cohort__organisation=organisation,
            incident_flagged=True,
            incident_followed_up_at__isnull=True,
        )
        .select_related("cohort")
        .order_by("date", "cohort__code", "number")
    )
