from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipantsConfig(AppConfig):
    name = "participants"
    verbose_name = _("Participants")

    def ready(self):
        from programs.pages import register_program_panel

        from .panels import referrals_panel

        register_program_panel(referrals_panel, order=20)
