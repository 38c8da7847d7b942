"""Fetching programs and cohorts for a user (404 to outsiders, 403 to the wrong role).

Each ``get_<thing>_for_user`` answers ``(obj, role)``: the object and the user's role in
its organisation. The facilitator rule lives here, once, for every app: a facilitator
reaches a cohort (and what hangs from it: sessions, enrollments, participants, surveys)
only when a ``Volunteer`` linked to their user is among ``cohort.facilitators``.
"""

from django.db.models import Q, QuerySet

from peersupport.permissions import (
    ALL_ROLES,
    COORDINATOR,
    FACILITATOR,
    Access,
    get_for_user,
)

from .models import ClosureDate, Cohort, Program, SupervisionEntry, Volunteer, VolunteerTraining


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
    "cohorts_for",
    "facilitated",
    "get_closure_date_for_user",
    "get_cohort_for_user",
    "get_program_for_user",
    "get_supervision_for_user",
    "get_training_for_user",
    "get_volunteer_for_user",
    "reaches",
    "reaches_cohort",
]
