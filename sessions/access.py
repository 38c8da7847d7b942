"""Fetching sessions for a user (404 to outsiders, 403 to the wrong role or cohort):
``(session, role)``, the role being the user's in the session's organisation."""

from peersupport.permissions import ALL_ROLES, Access, get_for_user
from programs.access import reaches_cohort

from .models import Session


def get_session_for_user(request, pk, roles=ALL_ROLES, queryset=None) -> Access[Session]:
    return get_for_user(
        request,
        queryset if queryset is not None else Session.objects.select_related("cohort__program"),
        roles=roles,
        organisation_of=lambda s: s.cohort.organisation_id,
        check=lambda s, m: reaches_cohort(m, s.cohort_id),
        pk=pk,
    )
