from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeersupportConfig(AppConfig):
    name = "peersupport"
    verbose_name = _("Organisations and access")

    def ready(self):
        from . import signals  # noqa: F401  (connects the sign-in audit handlers)
