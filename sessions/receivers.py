"""What the sessions app does and answers for the apps it builds on (connected in apps.py)."""

from django.db.models import Max
from django.dispatch import receiver
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from participants.signals import participant_records_asked
from programs.signals import (
    closure_added,
    cohort_last_day,
    module_in_use,
    volunteer_sessions_held,
)

from . import selectors, services
from .models import Attendance, Session


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


@receiver(module_in_use)
def module_has_sessions(sender, *, module, **kwargs) -> bool:
    """Sessions point at their module: a module with sessions stays."""
    return Session.objects.filter(module=module).exists()


@receiver(volunteer_sessions_held)
def sessions_a_volunteer_ran(sender, *, volunteer, program, **kwargs):
    return selectors.held_sessions_by_day(volunteer=volunteer, program=program)


@receiver(cohort_last_day)
def cohorts_last_session(sender, *, cohort_ids, **kwargs) -> dict:
    """The day of each cohort's last session that is not cancelled."""
    rows = (
        Session.objects.filter(cohort_id__in=cohort_ids)
        .exclude(status=Session.Status.CANCELLED)
        .values("cohort_id")
        .annotate(last=Max("date"))
    )
    return {row["cohort_id"]: row["last"] for row in rows}


@receiver(participant_records_asked)
def participant_has_attendance(sender, *, participant, **kwargs) -> bool:
    return Attendance.objects.filter(enrollment__participant=participant).exists()
