from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = _("Programs")

    def ready(self):
        from peersupport.actions import register

        register(
            {
                "program.create": _("Program created"),
                "program.update": _("Program changed"),
                "module.create": _("Module added"),
                "module.update": _("Module changed"),
                "module.delete": _("Module removed"),
                "topic.create": _("Weekly topic added"),
                "topic.update": _("Weekly topic changed"),
                "topic.delete": _("Weekly topic removed"),
                "closure.create": _("Closure date added"),
                "closure.delete": _("Closure date removed"),
                "volunteer.create": _("Volunteer added"),
                "volunteer.update": _("Volunteer details changed"),
                "volunteer.set_stage": _("Volunteer moved to another stage"),
                "training.create": _("Volunteer training recorded"),
                "training.delete": _("Volunteer training removed"),
                "supervision.create": _("Volunteer supervision recorded"),
                "supervision.delete": _("Volunteer supervision removed"),
                "contact_access.grant": _("Facilitator given contact access to a cohort"),
                "contact_access.revoke": _("Facilitator's contact access to a cohort ended"),
            }
        )
