from django.conf import settings

from .models import DEFAULT_QUICK_EXIT_URL


def membership(request):
    current = getattr(request, "membership", None)
    role = current.role if current else None
    return {
        "membership": current,
        "memberships": sorted(
            getattr(request, "memberships", {}).values(), key=lambda m: m.organisation.name
        ),
        "role": role,
        "is_coordinator": role == "coordinator",
        "is_facilitator": role == "facilitator",
        "is_evaluator": role == "evaluator",
        "MIN_CELL": settings.MIN_CELL,
    }


def safety(request):
    """Quick exit's neutral site and discreet mode, from the organisation the person works
    in (or, on a page without a signed-in member such as a survey link, the organisation
    the view put on ``request.safety_organisation``)."""
    organisation = getattr(request, "safety_organisation", None)
    current = getattr(request, "membership", None)
    if organisation is None and current is not None:
        organisation = current.organisation
    if organisation is None:
        return {"quick_exit_url": DEFAULT_QUICK_EXIT_URL, "discreet_mode": False}
    return {
        "quick_exit_url": organisation.quick_exit_url or DEFAULT_QUICK_EXIT_URL,
        "discreet_mode": organisation.discreet_mode,
    }
