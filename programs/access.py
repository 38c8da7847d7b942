"""Fetching programs and cohorts for a user (404 to outsiders, 403 to the wrong role)."""

from peersupport.permissions import (
    ALL_ROLES,
    COORDINATOR,
    FACILITATOR,
    get_for_user,
)

from .models import ClosureDate, Cohort, Program, SupervisionEntry, Volunteer, VolunteerTraining


def facilitates(cohort: Cohort, user_id: int) -> bool:
    """True when a volunteer linked to the user ``user_id`` is assigned to ``cohort``."""
    return cohort.facilitators.filter(user_id=user_id).exists()


def _cohort_rule(cohort, membership) -> bool:
    # Facilitators see only the cohorts they are assigned to.
    return membership.role != FACILITATOR or facilitates(cohort, membership.user_id)


def get_program_for_user(request, pk, roles=ALL_ROLES) -> Program:
    return get_for_user(
        request,
        Program.objects.select_related("organisation"),
        roles=roles,
        organisation_of=lambda p: p.organisation_id,
        pk=pk,
    )


def get_cohort_for_user(request, pk, roles=ALL_ROLES, queryset=None) -> Cohort:
    return get_for_user(
        request,
        queryset if queryset is not None else Cohort.objects.select_related("program"),
        roles=roles,
        organisation_of=lambda c: c.organisation_id,
        check=_cohort_rule,
        pk=pk,
    )


def get_volunteer_for_user(request, pk, roles=(COORDINATOR,), queryset=None) -> Volunteer:
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


def get_closure_date_for_user(request, pk, roles=(COORDINATOR,)) -> ClosureDate:
    return get_for_user(
        request,
        ClosureDate.objects.all(),
        roles=roles,
        organisation_of=lambda c: c.organisation_id,
        pk=pk,
    )


def get_training_for_user(request, pk, roles=(COORDINATOR,)) -> VolunteerTraining:
    return get_for_user(
        request,
        VolunteerTraining.objects.select_related("volunteer"),
        roles=roles,
        organisation_of=lambda t: t.volunteer.organisation_id,
        pk=pk,
    )


def get_supervision_for_user(request, pk, roles=(COORDINATOR,)) -> SupervisionEntry:
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
    qs = qs.filter(organisation=membership.organisation)
    if membership.role == FACILITATOR:
        qs = qs.filter(facilitators__user_id=membership.user_id).distinct()
    return qs


__all__ = [
    "COORDINATOR",
    "cohorts_for",
    "facilitates",
    "get_closure_date_for_user",
    "get_cohort_for_user",
    "get_program_for_user",
    "get_supervision_for_user",
    "get_training_for_user",
    "get_volunteer_for_user",
]
