from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeersupportConfig(AppConfig):
    name = "peersupport"
    verbose_name = _("Organisations and access")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from . import lookups, signals  # noqa: F401  (signals: the sign-in audit handlers)
        from .middleware import mark_signed_in

        user_logged_in.connect(mark_signed_in, dispatch_uid="peersupport.mark_signed_in")
        lookups.register()
