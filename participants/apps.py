from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipantsConfig(AppConfig):
    name = "participants"
    verbose_name = _("Participants")

    def ready(self):
        from peersupport.actions import register

        register(
            {
                "participant.create": _("Participant added"),
                "participant.update": _("Participant record changed"),
                "participant.view": _("Participant record viewed"),
                "participant.list": _("Participant list viewed"),
                "participant.name_search": _("Participants searched by name"),
                "participant.name_search_limited": _("Search by name refused: too many at once"),
                "name_index.rebuild": _("Index of names rebuilt"),
                "participant.delete": _("Participant deleted"),
                "participant.erase": _("Participant's identifying details erased"),
                "erasure.request": _("Erasure of a participant requested"),
                "erasure.approve": _("Erasure of a participant approved"),
                "erasure.reject": _("Erasure of a participant rejected"),
                "erasure.list": _("Erasure requests viewed"),
                "erasure.view": _("Erasure request and its reason viewed"),
                "retention.purge": _("Identifying details purged on the retention schedule"),
                "retention.policy_update": _("Retention schedule or erasure policy changed"),
                "retention.preview": _("Retention purge preview viewed"),
                "consent.create": _("Consent recorded"),
                "consent.withdraw": _("Consent withdrawn"),
                "enrollment.create": _("Enrollment or application recorded"),
                "enrollment.promote": _("Waitlisted or applied person enrolled"),
                "enrollment.withdraw": _("Enrollment withdrawn"),
                "enrollment.redate": _("Enrollment date changed"),
                "enrollment.complete": _("Program completed"),
                "enrollment.list": _("Enrollments of a cohort viewed"),
                "partner.create": _("Partner agency added"),
                "partner.update": _("Partner agency changed"),
                "referral.create": _("Referral made"),
                "referral.update": _("Referral changed"),
            }
        )

        from programs.pages import register_program_panel

        from .panels import referrals_panel

        register_program_panel(referrals_panel, order=20)
