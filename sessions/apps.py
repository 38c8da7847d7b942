from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupSessionsConfig(AppConfig):
    """Group sessions. Labelled ``groupsessions``: ``django.contrib.sessions`` owns ``sessions``."""

    name = "sessions"
    label = "groupsessions"
    verbose_name = _("Group sessions")

    def ready(self):
        from programs.pages import register_program_panel

        from . import receivers  # noqa: F401  (answers the programs and participants signals)
        from .panels import cohorts_panel

        register_program_panel(cohorts_panel, order=10)
