from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self):
        from peersupport.actions import register

        register(
            {
                "instrument.create": _("Instrument created"),
                "instrument.update": _("Instrument changed"),
                "instrument.new_version": _("New instrument version created"),
                "program_instrument.add": _("Instrument added to a program"),
                "program_instrument.update": _("Instrument target changed"),
                "program_instrument.remove": _("Instrument removed from a program"),
                "catalog.add": _("Ready-made instrument added to a program"),
                "administration.create": _("Survey recorded"),
                "administration.update": _("Survey answers corrected"),
                "administration.view": _("Survey answers viewed"),
                "survey_link.create": _("Self-completion link created"),
                "survey_link.refused": _("Self-completion link refused"),
                "kiosk.start": _("Survey kiosk started"),
                "kiosk.list_view": _("Survey kiosk's list of participants viewed"),
                "survey.todo_view": _("Survey to-do list viewed"),
                "survey.entry_view": _("Survey entry form viewed"),
                "kiosk.pin_failed": _("Survey kiosk locked after wrong PINs"),
            }
        )

        from programs.pages import register_program_panel

        from . import receivers  # noqa: F401  (answers the participants signals)
        from .panels import instruments_panel

        register_program_panel(instruments_panel, order=30)
