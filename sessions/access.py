"""Fetching sessions for a user (404 to outsiders, 403 to the wrong role or cohort)."""

from peersupport.permissions import ALL_ROLES, FACILITATOR, get_for_user
from programs.access import facilitates

from .models import Session


def _session_rule(session, membership) -> bool:
    return membership.role != FACILITATOR or facilitates(session.cohort, membership.user_id)


def get_session_for_user(request, pk, roles=ALL_ROLES, queryset=None) -> Session:
    return get_for_user(
        request,
        queryset if queryset is not None else Session.objects.select_related("cohort__program"),
        roles=roles,
        organisation_of=lambda s: s.cohort.organisation_id,
        check=_session_rule,
        pk=pk,
    )
