"""What the sessions app does and answers for the apps it builds on (connected in apps.py)."""

from django.db.models import Max
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from participants.models import Enrollment
from participants.signals import participant_records_asked
from programs.models import Cohort
from programs.signals import (
    closure_added,
    cohort_last_day,
    module_in_use,
    volunteer_sessions_held,
)

from . import outreach, selectors, services
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


# Runs of missed sessions (``outreach.py``): recounted for the cohort whenever a row
# that changes them is saved one at a time; bulk writers call ``outreach.recount``.
@receiver(post_save, sender=Attendance)
def attendance_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        outreach.recount([instance.session.cohort_id])


@receiver(post_save, sender=Session)
@receiver(post_delete, sender=Session)
def session_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        outreach.recount([instance.cohort_id])


@receiver(post_save, sender=Enrollment)
@receiver(post_delete, sender=Enrollment)
def enrollment_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        outreach.recount([instance.cohort_id])


@receiver(post_save, sender=Cohort)
def cohort_saved(sender, instance, raw=False, created=False, **kwargs):
    if not raw and not created:  # a new cohort has no enrollment yet
        outreach.recount([instance.pk])
