from django.conf import settings


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
