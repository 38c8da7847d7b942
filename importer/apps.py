from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImporterConfig(AppConfig):
    name = "importer"
    verbose_name = _("Import")

    def ready(self):
        from peersupport.actions import register

        register({"import.confirm": _("Bundle imported")})
