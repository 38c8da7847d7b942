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
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from participants.models import Enrollment
from participants.selectors import cohort_fill
from peersupport.querying import count_subquery
from programs import selectors as program_selectors
from programs.models import Cohort, Program, Volunteer

from .models import Attendance, Session


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
    not attended: the participants a coordinator should reach out to, longest run first,
    each with ``missed`` (the length of the run) and ``last_attended`` (or None).

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

    The runs are kept up to date as attendance is taken (``outreach.py``), so this
    reads the people on the list only, however many groups are running.
    """
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
    return (
        Enrollment.objects.filter(
            missed_run__missed__gte=threshold,
            status=Enrollment.Status.ENROLLED,
            cohort__organisation=organisation,
            cohort__status__in=Cohort.CURRENT,
        )
        .annotate(missed=F("missed_run__missed"), last_attended=last_attended)
        .select_related("participant", "cohort")
        .order_by("-missed", "cohort__code", "participant__code")
    )


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
