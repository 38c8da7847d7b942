"""Reads shared by pages, dashboards and reports: program lists, volunteer hours, supervision.

``programs`` sits below ``sessions`` and never reads its tables: the sessions a volunteer
ran come from the sessions app, which answers ``signals.volunteer_sessions_held``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import cast

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from peersupport.models import Membership, Organisation, Role
from peersupport.querying import count_subquery

from .models import Cohort, ContactAccessGrant, Module, Program, Volunteer
from .signals import volunteer_sessions_held

HOUR = Decimal(60)


def programs_for(*, organisation: Organisation) -> QuerySet[Program]:
    """The organisation's programs with ``weeks_total``, ``module_count`` and ``cohort_count``.

    Every figure is a subquery: a join to count cohorts would multiply the module figures
    and make PostgreSQL work out the other subqueries once per cohort.
    """
    modules = Module.objects.filter(program=OuterRef("pk")).values("program")
    return Program.objects.filter(organisation=organisation).annotate(
        weeks_total=Coalesce(
            Subquery(modules.annotate(s=Sum("weeks")).values("s"), output_field=IntegerField()),
            0,
        ),
        module_count=Coalesce(
            Subquery(modules.annotate(n=Count("pk")).values("n"), output_field=IntegerField()),
            0,
        ),
        cohort_count=count_subquery(Cohort.objects.filter(program=OuterRef("pk"))),
    )


def volunteers_for(*, organisation: Organisation, today: date | None = None) -> QuerySet:
    """The organisation's volunteers with ``last_supervision`` (latest on or before today)."""
    supervised = Q()
    if today is not None:
        supervised = Q(supervisions__date__lte=today)
    return (
        Volunteer.objects.filter(organisation=organisation)
        .select_related("user")
        .annotate(last_supervision=Max("supervisions__date", filter=supervised))
    )


def supervision_due_on(volunteer: Volunteer) -> date | None:
    """The last day a volunteer is still within their supervision interval (None: never)."""
    last = getattr(volunteer, "last_supervision", None)
    if last is None:
        return None
    return last + timedelta(days=volunteer.supervision_every_days)


def volunteers_due_for_supervision(
    *, organisation: Organisation, today: date, limit: int | None = None
) -> list[Volunteer]:
    """Active volunteers never supervised, or whose last supervision is older than their
    ``supervision_every_days``; the longest-waiting first (never supervised at the top,
    then by name), the first ``limit`` of them when given.

    Each carries ``last_supervision`` (date or None) and ``days_since_supervision``.
    Two queries: the intervals in use, then the volunteers due, chosen and ordered by
    the database (a national organisation has hundreds).
    """
    active = volunteers_for(organisation=organisation, today=today).filter(
        stage=Volunteer.Stage.ACTIVE
    )
    overdue = Q(last_supervision__isnull=True)
    intervals = (
        Volunteer.objects.filter(organisation=organisation, stage=Volunteer.Stage.ACTIVE)
        .order_by()
        .values_list("supervision_every_days", flat=True)
        .distinct()
    )
    for every in intervals:
        # (today - last).days > every, i.e. the last one before today - every days.
        overdue |= Q(supervision_every_days=every, last_supervision__lt=today - timedelta(every))
    due = active.filter(overdue).order_by(F("last_supervision").asc(nulls_first=True), "name", "pk")
    volunteers = list(due if limit is None else due[:limit])
    for volunteer in volunteers:
        last = volunteer.last_supervision
        volunteer.days_since_supervision = None if last is None else (today - last).days
    return volunteers


def facilitator_accounts(*, organisation: Organisation, volunteer: Volunteer | None = None):
    """Accounts a volunteer may be linked to: active facilitators of the organisation
    not already linked to another volunteer."""
    from django.contrib.auth import get_user_model

    memberships = Membership.objects.filter(
        organisation=organisation, role=Role.FACILITATOR, is_active=True
    )
    users = get_user_model().objects.filter(pk__in=memberships.values("user_id"))
    taken = Volunteer.objects.filter(user__isnull=False)
    if volunteer is not None and volunteer.pk:
        taken = taken.exclude(pk=volunteer.pk)
    return users.exclude(pk__in=taken.values("user_id")).order_by("name", "email")


@dataclass
class YearHours:
    """A volunteer's hours in one program year (hours as Decimal, two places)."""

    year: int
    start: date
    end: date
    facilitation: Decimal = Decimal("0.00")
    training: Decimal = Decimal("0.00")
    supervision: Decimal = Decimal("0.00")
    sessions: int = 0

    @property
    def total(self) -> Decimal:
        return self.facilitation + self.training + self.supervision


def volunteer_hours_by_year(*, volunteer: Volunteer, program: Program) -> list[YearHours]:
    """Hours per program year of ``program``, Year 1 first, years with no hours left out.

    - facilitation: ``duration_minutes`` of the program's *held* sessions the volunteer
      ran (answered by the sessions app), in the year of the session's date;
    - training and supervision: the volunteer's records dated inside the program's years
      (they belong to the volunteer, not to one program, so every program the volunteer
      serves shows them).

    Dates before the program starts or after its end date count nowhere. Three queries.
    """

    def in_program(day: date) -> bool:
        return day >= program.start_date and (program.end_date is None or day <= program.end_date)

    years: dict[int, YearHours] = {}

    def row(day: date) -> YearHours:
        year = program.year_of(day)
        if year not in years:
            years[year] = YearHours(year, *program.year_bounds(year))
        return years[year]

    minutes: dict[int, int] = defaultdict(int)
    answers = volunteer_sessions_held.send(Volunteer, volunteer=volunteer, program=program)
    for _receiver, response in answers:
        days = cast(list[tuple[date, int, int]], response)
        for day, day_minutes, sessions in days:
            if in_program(day):
                r = row(day)
                minutes[r.year] += day_minutes
                r.sessions += sessions
    for year, total in minutes.items():
        years[year].facilitation = (Decimal(total) / HOUR).quantize(Decimal("0.01"))

    for relation, attr in (("trainings", "training"), ("supervisions", "supervision")):
        per_day = (
            getattr(volunteer, relation).values("date").annotate(hours=Sum("hours")).order_by()
        )
        for item in per_day:
            if in_program(item["date"]):
                r = row(item["date"])
                setattr(r, attr, (getattr(r, attr) + item["hours"]).quantize(Decimal("0.01")))
    return [years[y] for y in sorted(years)]


def cohort_facilitators(*, cohort: Cohort) -> QuerySet[Volunteer]:
    """The cohort's facilitators, each with ``has_contact_access`` (an open grant). One
    query."""
    open_grants = ContactAccessGrant.objects.filter(
        cohort_id=cohort.pk, volunteer=OuterRef("pk"), revoked_at__isnull=True
    )
    return cohort.facilitators.annotate(has_contact_access=Exists(open_grants)).order_by("name")
