"""All access decisions go through this module.

The rule: a user who is not a member of the organisation owning an object gets a 404
(they must not even learn it exists); a member whose role does not allow the action
gets a 403. Each app builds its ``get_<thing>_for_user`` helper on ``get_for_user``; each
answers ``(obj, role)``, the role being the user's in the object's organisation (which may
not be the organisation they are working in), so the page decides what to show from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Generic, NamedTuple, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from .audit import log_action
from .models import Membership, Organisation, Role

COORDINATOR = Role.COORDINATOR
FACILITATOR = Role.FACILITATOR
EVALUATOR = Role.EVALUATOR
ALL_ROLES = (COORDINATOR, FACILITATOR, EVALUATOR)
STAFF_ROLES = (COORDINATOR, FACILITATOR)  # may see participants' names
REPORT_ROLES = (COORDINATOR, EVALUATOR)  # may see evaluation figures

_M = TypeVar("_M", bound=Model)


class Access(NamedTuple, Generic[_M]):
    """What ``get_for_user`` answers: the object and the user's role in its organisation."""

    obj: _M
    role: str


def memberships_of(user) -> dict[int, Membership]:
    """The user's active memberships by organisation id, cached on the user object."""
    if not user.is_authenticated:
        return {}
    cached = getattr(user, "_membership_cache", None)
    if cached is None:
        cached = {
            m.organisation_id: m
            for m in Membership.objects.filter(user=user, is_active=True).select_related(
                "organisation"
            )
        }
        user._membership_cache = cached
    return cached


def membership_for(user, organisation: Organisation | int | None) -> Membership | None:
    if organisation is None:
        return None
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    return memberships_of(user).get(org_id)


def require_role(request, organisation, roles: Iterable[str]) -> Membership:
    """The user's membership in ``organisation`` if its role is one of ``roles``.

    Outsiders get 404, members with another role 403 (audited).
    """
    membership = membership_for(request.user, organisation)
    if membership is None:
        raise Http404
    if membership.role not in tuple(roles):
        log_action(
            actor=request.user,
            action="access.denied",
            organisation=membership.organisation,
            detail={"path": request.path, "role": membership.role},
            request=request,
        )
        raise PermissionDenied
    return membership


def current_membership(request, roles: Iterable[str] = ALL_ROLES) -> Membership:
    """The membership of the organisation the user is working in (for list pages)."""
    membership = getattr(request, "membership", None)
    if membership is None:
        raise Http404
    return require_role(request, membership.organisation, roles)


def get_for_user(
    request,
    queryset: QuerySet[_M],
    *,
    roles: Iterable[str],
    organisation_of: Callable[[_M], Organisation | int],
    check: Callable[[_M, Membership], bool] | None = None,
    **lookup,
) -> Access[_M]:
    """Fetch one object by ``lookup`` and check the user may act on it: ``(obj, role)``,
    ``role`` being the user's role in the object's organisation.

    ``organisation_of`` maps the object to its organisation (or its id); ``check`` adds an
    object-level rule (a facilitator sees only the cohorts they are assigned to): when it
    answers False the member gets 403.
    """
    obj = queryset.filter(**lookup).first()
    if obj is None:
        raise Http404
    membership = require_role(request, organisation_of(obj), roles)
    if check is not None and not check(obj, membership):
        log_action(
            actor=request.user,
            action="access.denied",
            obj=obj,
            organisation=membership.organisation,
            detail={"path": request.path, "role": membership.role},
            request=request,
        )
        raise PermissionDenied
    return Access(obj, membership.role)
