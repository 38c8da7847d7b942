"""Which records an export covers: a program's counted enrollments, in a period."""

from __future__ import annotations

from django.db.models import Q

from participants.models import Enrollment, evaluation_consented

#: Enrollments that held a place in the cohort (as in the evaluation figures).
COUNTED_STATUSES = tuple(Enrollment.ACTIVE_STATUSES)


def period_filter(options, field: str = "cohort__start_date") -> Q:
    """Cohort start dates in the period (both ends inclusive), as the lookup ``field``."""
    q = Q()
    if options.period_start is not None:
        q &= Q(**{f"{field}__gte": options.period_start})
    if options.period_end is not None:
        q &= Q(**{f"{field}__lte": options.period_end})
    return q


def cohort_filter(options, prefix: str = "") -> Q:
    """Cohorts of the period (cohort start dates, both ends inclusive), seen ``prefix`` away."""
    return period_filter(options, f"{prefix}cohort__start_date")


def enrollment_filter(program, options, prefix: str = "", *, consented: bool = True) -> Q:
    """Counted enrollments of the program and period; with ``consented``, only people who
    consented to evaluation use and were not erased."""
    p = prefix
    q = Q(**{f"{p}cohort__program": program, f"{p}status__in": COUNTED_STATUSES})
    q &= cohort_filter(options, p)
    if consented:
        q &= evaluation_consented(f"{p}participant__") & Q(
            **{f"{p}participant__erased_at__isnull": True}
        )
    return q
