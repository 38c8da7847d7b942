from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupSessionsConfig(AppConfig):
    """Group sessions. Labelled ``groupsessions``: ``django.contrib.sessions`` owns ``sessions``."""

    name = "sessions"
    label = "groupsessions"
    verbose_name = _("Group sessions")

    def ready(self):
        from peersupport.actions import register
        from programs.pages import register_program_panel

        from . import receivers  # noqa: F401  (answers the programs and participants signals)
        from .panels import cohorts_panel

        register_program_panel(cohorts_panel, order=10)

        register(
            {
                "cohort.create": _("Cohort opened"),
                "cohort.update": _("Cohort changed"),
                "cohort.reschedule": _("Cohort's sessions moved"),
                "cohort.set_facilitators": _("Cohort facilitators changed"),
                "session.create": _("Extra session added"),
                "session.reschedule": _("Session rescheduled"),
                "session.cancel": _("Session cancelled"),
                "session.delete": _("Session deleted"),
                "session.log": _("Session logged"),
                "session.incident_follow_up": _("Incident follow-up recorded"),
                "attendance.set": _("Attendance recorded"),
                "attendance.print": _("Sign-in sheet printed"),
                "attendance.view": _("Attendance sheet viewed"),
                "attendance.keyed_view": _("Paper sign-in sheet opened for keying in"),
                "feedback.create": _("Session feedback given"),
                "attendance.offline_copy": _(
                    "Roster kept on a facilitator's phone for offline use"
                ),
                "attendance.offline_overridden": _(
                    "Attendance tap made offline not kept (changed later by someone else)"
                ),
            }
        )
