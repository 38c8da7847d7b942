from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "evaluation"
    verbose_name = _("Evaluation")

    def ready(self):
        from peersupport.actions import register

        register(
            {
                "run.compute": _("Evaluation figures computed in the foreground"),
                "report.command": _("Evaluation report written from the command line"),
            }
        )

        from programs.pages import register_program_panel

        from .panels import reports_panel

        register_program_panel(reports_panel, order=40)
