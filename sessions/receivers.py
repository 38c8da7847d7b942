"""What the sessions app does when something it builds on changes (connected in apps.py)."""

from django.dispatch import receiver
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from programs.signals import closure_added

from . import services


@receiver(closure_added)
def move_sessions_off_a_new_closure(sender, *, closure, by, request=None, **kwargs) -> str | None:
    """Move the sessions still to come on the closed day; a sentence saying what moved."""
    moves = services.closure_reschedule(closure=closure, by=by, request=request)
    notes = []
    if moves.cohorts:
        notes.append(
            ngettext(
                "In %(cohorts)s cohort, the session on that day and the ones after it "
                "moved to later weeks.",
                "In %(cohorts)s cohorts, the session on that day and the ones after it "
                "moved to later weeks.",
                moves.cohorts,
            )
            % {"cohorts": moves.cohorts}
        )
    if moves.stuck:
        notes.append(
            _(
                "Cohorts %(codes)s keep their sessions on that day: moving them would take "
                "the cohort past its program's end date. Change those sessions by hand."
            )
            % {"codes": ", ".join(moves.stuck)}
        )
    return " ".join(notes) or None
