"""Reads shared by pages, the attendance sheet, the dashboard and the program page."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)

from peersupport.models import Organisation
from peersupport.querying import count_subquery
from programs.models import Cohort, Program

from .models import Consent, Enrollment, Participant, Partner, Referral
from .services import PLACE_STATUSES


def cohort_roster(*, cohort: Cohort, on: date) -> QuerySet[Enrollment]:
    """The enrollments of people enrolled in ``cohort`` on ``on``, by participant code.

    Someone enrolled after ``on`` is not on it; someone who withdrew or completed before
    ``on`` is not on it either (their exit date is their last day).
    """
    return (
        Enrollment.objects.filter(
            cohort=cohort, status__in=Enrollment.ACTIVE_STATUSES, enrolled_on__lte=on
        )
        .filter(Q(exit_date__isnull=True) | Q(exit_date__gte=on))
        .select_related("participant")
        .order_by("participant__code")
    )


def cohort_fill(*, cohorts: QuerySet[Cohort]) -> QuerySet[Cohort]:
    """``cohorts`` annotated, in one query, with ``places_taken`` (enrolled or completed),
    ``places_free`` (capacity minus places taken; negative when over-filled) and
    ``waitlist_length``. Counted by subqueries, so a page of cohorts costs a page's
    worth of counting whatever the organisation's size."""
    enrollments = Enrollment.objects.filter(cohort=OuterRef("pk"))
    return cohorts.annotate(
        places_taken=count_subquery(enrollments.filter(status__in=PLACE_STATUSES)),
        waitlist_length=count_subquery(enrollments.filter(status=Enrollment.Status.WAITLISTED)),
    ).annotate(places_free=F("capacity") - F("places_taken"))


def referral_counts(*, program: Program) -> list[dict]:
    """Referrals made under ``program``, counted by partner type and program year.

    One row per type and year that has referrals: ``{"type", "type_label", "year",
    "count"}``, ordered by year then type. Years are bucketed in SQL (one ``WHEN`` per
    program year), so the rows are never loaded one by one. Referrals dated before the
    program started are left out.
    """
    referrals = Referral.objects.filter(program=program, date__gte=program.start_date)
    last = referrals.order_by("-date").values_list("date", flat=True).first()
    if last is None:
        return []
    n_years = program.year_of(last)
    year = Case(
        *(When(date__lte=program.year_bounds(k)[1], then=Value(k)) for k in range(1, n_years + 1)),
        default=Value(n_years),
        output_field=IntegerField(),
    )
    rows = (
        referrals.annotate(year=year)
        .values("partner__type", "year")
        .annotate(count=Count("id"))
        .order_by("year", "partner__type")
    )
    labels = dict(Partner.Type.choices)
    return [
        {
            "type": row["partner__type"],
            "type_label": labels.get(row["partner__type"], row["partner__type"]),
            "year": row["year"],
            "count": row["count"],
        }
        for row in rows
    ]


# --- consent and retention ------------------------------------------------------------------

#: How far ahead the coordinator dashboard looks for consents about to lapse.
EXPIRING_WITHIN_DAYS = 30


def consents_expiring(
    *, organisation: Organisation, today: date, within_days: int = EXPIRING_WITHIN_DAYS
) -> QuerySet[Consent]:
    """Consents given, not withdrawn, that expire from ``today`` to ``within_days`` ahead,
    soonest first, with the participant (code) and the partner of a referral consent.
    Erased participants' consents are left out: nobody can renew them."""
    return (
        Consent.objects.filter(
            participant__organisation=organisation,
            participant__erased_at__isnull=True,
            given=True,
            withdrawn_on__isnull=True,
            expires_on__gte=today,
            expires_on__lte=today + timedelta(days=within_days),
        )
        .select_related("participant", "partner")
        .only(
            "id",
            "kind",
            "expires_on",
            "participant__id",
            "participant__code",
            "partner__id",
            "partner__name",
        )
        .order_by("expires_on", "participant__code", "id")
    )


def retention_cutoff(*, organisation: Organisation, on: date) -> date | None:
    """The last day a participant's last enrollment may have ended for her identifying
    details to be due for purging on ``on`` (None when the organisation keeps them)."""
    if organisation.retention_months is None:
        return None
    return months_before(on, organisation.retention_months)


def months_before(day: date, months: int) -> date:
    """The same day of the month ``months`` earlier (the month's last day when it is
    shorter: 31 May less 3 months is 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def retention_due(*, organisation: Organisation, on: date) -> QuerySet[Participant]:
    """The participants whose identifying details the next purge clears, by code.

    Due: not erased or already purged, no enrollment still open (every one has ended with
    an exit date: completed, or withdrawn from a cohort or a waitlist), and the last exit
    date at least ``retention_months`` before ``on``. Someone never enrolled counts from
    the day her record was created. Annotated with ``last_ended``."""
    cutoff = retention_cutoff(organisation=organisation, on=on)
    still_open = Enrollment.objects.filter(participant=OuterRef("pk"), exit_date__isnull=True)
    due = (
        Participant.objects.filter(
            organisation=organisation, erased_at__isnull=True, identifiers_purged_at__isnull=True
        )
        .filter(~Exists(still_open))
        .annotate(last_ended=Max("enrollments__exit_date"))
        .order_by("code")
    )
    if cutoff is None:
        return due.none()
    return due.filter(
        Q(last_ended__lte=cutoff) | Q(last_ended__isnull=True, created_at__date__lte=cutoff)
    )
