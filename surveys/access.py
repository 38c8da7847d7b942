"""Who may open an administration: staff of its organisation, facilitators only for the
cohorts they run (``programs.access.reaches_cohort``). Enrollments are fetched with
``participants.access.get_enrollment_for_user``."""

from __future__ import annotations

from peersupport.permissions import STAFF_ROLES, Access, get_for_user
from programs.access import reaches_cohort

from .models import (
    Administration,
)


def get_administration_for_user(request, pk, roles=STAFF_ROLES) -> Access[Administration]:
    return get_for_user(
        request,
        Administration.objects.select_related(
            "enrollment__participant", "enrollment__cohort__program", "instrument", "entered_by"
        ),
        roles=roles,
        organisation_of=lambda a: a.enrollment.cohort.organisation_id,
        check=lambda a, m: reaches_cohort(m, a.enrollment.cohort_id),
        pk=pk,
    )
