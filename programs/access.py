"""Fetching programs and cohorts for a user (404 to outsiders, 403 to the wrong role).

Each ``get_<thing>_for_user`` answers ``(obj, role)``: the object and the user's role in
its organisation. The facilitator rule lives here, once, for every app: a facilitator
reaches a cohort (and what hangs from it: sessions, enrollments, participants, surveys)
only when a ``Volunteer`` linked to their user is among ``cohort.facilitators``.

Its second half, contact access: a facilitator sees a participant's legal name, contact
details and safe-contact notes only for a cohort they run whose coordinator granted them
contact access (``ContactAccessGrant``), and only until the cohort's end plus the
organisation's grace period (``contact_access``, ``reaches_contacts``).
"""

from collections.abc import Iterable
from datetime import date, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from peersupport.permissions import (
    ALL_ROLES,
    COORDINATOR,
    FACILITATOR,
    Access,
    get_for_user,
)

from .models import (
    ClosureDate,
    Cohort,
    ContactAccessGrant,
    Module,
    Program,
    SupervisionEntry,
    Volunteer,
    VolunteerTraining,
)
from .signals import cohort_last_day


def facilitated(membership, *, cohort: str = "") -> Q:
    """The facilitator rule as a filter: rows whose cohort (reached through the lookup
    ``cohort``, e.g. ``"cohort"`` for enrollments; empty for cohorts themselves) the member
    may reach. No restriction for coordinators and evaluators; the organisation is left to
    the caller."""
    if membership.role != FACILITATOR:
        return Q()
    theirs = Cohort.facilitators.through.objects.filter(volunteer__user_id=membership.user_id)
    return Q(**{f"{cohort}__in" if cohort else "pk__in": theirs.values("cohort_id")})


def reaches(membership, queryset: QuerySet, *, cohort: str = "") -> bool:
    """The facilitator rule for one object: ``queryset`` (one object, or the rows that
    tie it to cohorts) has a row the member may reach. One query for facilitators, none
    for the other roles."""
    return (
        membership.role != FACILITATOR
        or queryset.filter(facilitated(membership, cohort=cohort)).exists()
    )


def reaches_cohort(membership, cohort_id: int) -> bool:
    """The facilitator rule for one cohort (and for a session, enrollment or survey of it)."""
    return reaches(membership, Cohort.objects.filter(pk=cohort_id))


def cohort_end_dates(cohorts: Iterable[Cohort]) -> dict[int, date]:
    """The day each cohort ends: its last scheduled session (answered by the sessions
    app), or, before any session is scheduled, the last day of its program's weeks."""
    cohorts = list(cohorts)
    last: dict[int, date] = {}
    for _receiver, answer in cohort_last_day.send(Cohort, cohort_ids=[c.pk for c in cohorts]):
        if isinstance(answer, dict):
            last.update(answer)
    ends: dict[int, date] = {}
    for cohort in cohorts:
        if cohort.pk in last:
            ends[cohort.pk] = last[cohort.pk]
        else:
            weeks = max(cohort.program.total_weeks, 1)
            ends[cohort.pk] = cohort.start_date + timedelta(weeks=weeks, days=-1)
    return ends


def contact_cohort_ids(membership, *, today: date | None = None) -> set[int]:
    """The cohorts whose participants' contact details a facilitator may see: cohorts
    they run, where a coordinator granted them contact access (not revoked), up to the
    organisation's grace period after the cohort ends. Empty for every other role."""
    if membership.role != FACILITATOR:
        return set()
    today = today or timezone.localdate()
    grants = ContactAccessGrant.objects.filter(
        volunteer__user_id=membership.user_id,
        revoked_at__isnull=True,
        cohort__organisation_id=membership.organisation_id,
        cohort__facilitators__user_id=membership.user_id,
    )
    cohorts = (
        Cohort.objects.filter(pk__in=grants.values("cohort_id"))
        .select_related("program")
        .prefetch_related(
            Prefetch("program__modules", queryset=Module.objects.only("program_id", "weeks"))
        )
    )
    grace = timedelta(days=membership.organisation.contact_access_grace_days)
    return {pk for pk, end in cohort_end_dates(cohorts).items() if today <= end + grace}


def contact_access(membership, *, cohort: str = "", today: date | None = None) -> Q:
    """Where legal names, contact details and safe-contact notes may be shown, as a
    filter on rows whose cohort is reached through ``cohort`` (the facilitator rule's
    second half). Everything for coordinators; nothing for evaluators; for facilitators,
    the cohorts of ``contact_cohort_ids``."""
    if membership.role == COORDINATOR:
        return Q()
    ids = contact_cohort_ids(membership, today=today)
    return Q(**{f"{cohort}__in" if cohort else "pk__in": sorted(ids)})


def reaches_contacts(
    membership, queryset: QuerySet, *, cohort: str = "", today: date | None = None
) -> bool:
    """The contact-access rule for one object (e.g. a participant's enrollments)."""
    if membership.role == COORDINATOR:
        return True
    if membership.role != FACILITATOR:
        return False
    ids = contact_cohort_ids(membership, today=today)
    if not ids:
        return False
    lookup = f"{cohort}__in" if cohort else "pk__in"
    return queryset.filter(**{lookup: sorted(ids)}).exists()


def get_program_for_user(request, pk, roles=ALL_ROLES) -> Access[Program]:
    return get_for_user(
        request,
        Program.objects.select_related("organisation"),
        roles=roles,
        organisation_of=lambda p: p.organisation_id,
        pk=pk,
    )


def get_cohort_for_user(request, pk, roles=ALL_ROLES, queryset=None) -> Access[Cohort]:
    return get_for_user(
        request,
        queryset if queryset is not None else Cohort.objects.select_related("program"),
        roles=roles,
        organisation_of=lambda c: c.organisation_id,
        check=lambda c, m: reaches_cohort(m, c.pk),
        pk=pk,
    )


def get_volunteer_for_user(request, pk, roles=(COORDINATOR,), queryset=None) -> Access[Volunteer]:
    """Volunteer records (screening, supervision notes) are for coordinators by default."""
    return get_for_user(
        request,
        queryset
        if queryset is not None
        else Volunteer.objects.select_related("user", "organisation"),
        roles=roles,
        organisation_of=lambda v: v.organisation_id,
        pk=pk,
    )


def get_closure_date_for_user(request, pk, roles=(COORDINATOR,)) -> Access[ClosureDate]:
    return get_for_user(
        request,
        ClosureDate.objects.all(),
        roles=roles,
        organisation_of=lambda c: c.organisation_id,
        pk=pk,
    )


def get_training_for_user(request, pk, roles=(COORDINATOR,)) -> Access[VolunteerTraining]:
    return get_for_user(
        request,
        VolunteerTraining.objects.select_related("volunteer"),
        roles=roles,
        organisation_of=lambda t: t.volunteer.organisation_id,
        pk=pk,
    )


def get_supervision_for_user(request, pk, roles=(COORDINATOR,)) -> Access[SupervisionEntry]:
    return get_for_user(
        request,
        SupervisionEntry.objects.select_related("volunteer"),
        roles=roles,
        organisation_of=lambda e: e.volunteer.organisation_id,
        pk=pk,
    )


def cohorts_for(membership, queryset=None):
    """The cohorts a member may see: all of the organisation, or a facilitator's own."""
    qs = queryset if queryset is not None else Cohort.objects.all()
    return qs.filter(facilitated(membership), organisation=membership.organisation)


__all__ = [
    "COORDINATOR",
    "cohort_end_dates",
    "cohorts_for",
    "contact_access",
    "contact_cohort_ids",
    "facilitated",
    "get_closure_date_for_user",
    "get_cohort_for_user",
    "get_program_for_user",
    "get_supervision_for_user",
    "get_training_for_user",
    "get_volunteer_for_user",
    "reaches",
    "reaches_cohort",
    "reaches_contacts",
]
