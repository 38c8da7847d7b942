from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = _("Exports")

    def ready(self):
        from peersupport.actions import register

        register(
            {
                "export.download": _("Export downloaded"),
                "export.build": _("Export queued to be built"),
                "report.download": _("Evaluation report downloaded"),
            }
        )
