"""Who may open an enrollment's surveys and an administration: staff of its organisation,
facilitators only for the cohorts they run."""

from __future__ import annotations

from participants.models import Enrollment
from peersupport.permissions import FACILITATOR, STAFF_ROLES, get_for_user
from programs.access import facilitates

from .models import (
    Administration,
)


def _cohort_rule_for(cohort_of):
    def rule(obj, membership) -> bool:
        return membership.role != FACILITATOR or facilitates(cohort_of(obj), membership.user_id)

    return rule


def get_enrollment_for_user(request, pk, roles=STAFF_ROLES) -> Enrollment:
    return get_for_user(
        request,
        Enrollment.objects.select_related("participant", "cohort__program"),
        roles=roles,
        organisation_of=lambda e: e.cohort.organisation_id,
        check=_cohort_rule_for(lambda e: e.cohort),
        pk=pk,
    )


def get_administration_for_user(request, pk, roles=STAFF_ROLES) -> Administration:
    return get_for_user(
        request,
        Administration.objects.select_related(
            "enrollment__participant", "enrollment__cohort__program", "instrument", "entered_by"
        ),
        roles=roles,
        organisation_of=lambda a: a.enrollment.cohort.organisation_id,
        check=_cohort_rule_for(lambda a: a.enrollment.cohort),
        pk=pk,
    )
