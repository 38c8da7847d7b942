"""Admin for coordinators' power edits, scoped to their organisations and audited.

Inline rows (modules, topics, training, supervision) are audited one by one, and foreign
keys only offer objects of the organisations the staff user coordinates.
"""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peersupport.admin import (
    OrganisationScopedAdmin,
    ScopedStackedInline,
    ScopedTabularInline,
    coordinated_org_ids,
)
from peersupport.audit import changes_between, log_action
from peersupport.models import Membership, Role

from .models import (
    ClosureDate,
    CurriculumTopic,
    Module,
    Program,
    SupervisionEntry,
    Volunteer,
    VolunteerTraining,
)
from .volunteers import stage_problems


class ScopedAdmin(OrganisationScopedAdmin):
    """Audits inline rows one by one (choices and rows are scoped by the base class)."""

    def save_formset(self, request, form, formset, change):
        # The forms have already changed their instances: the values before come from the
        # database.
        before = {
            f.instance.pk: type(f.instance).objects.get(pk=f.instance.pk)
            for f in formset.forms
            if f.instance.pk and f.has_changed()
        }
        deleted = [
            (f.instance, changes_between(f.instance, None))
            for f in formset.deleted_forms
            if f.instance.pk
        ]
        instances = formset.save()
        for obj, changes in deleted:
            log_action(
                actor=request.user,
                action="admin.delete",
                obj=obj,
                changes=changes,
                detail={"via": "admin"},
                request=request,
            )
        for obj in instances:
            old = before.get(obj.pk)
            obj.refresh_from_db()  # values as stored (e.g. 2 hours as 2.00)
            log_action(
                actor=request.user,
                action="admin.update" if old is not None else "admin.create",
                obj=obj,
                changes=changes_between(old, obj),
                detail={"via": "admin"},
                request=request,
            )


class ModuleInline(ScopedTabularInline):
    model = Module
    extra = 0


class CurriculumTopicInline(ScopedTabularInline):
    model = CurriculumTopic
    extra = 0


@admin.register(Program)
class ProgramAdmin(ScopedAdmin):
    organisation_path = "organisation"
    list_display = ["name", "code", "organisation", "status", "start_date", "end_date"]
    list_filter = ["status"]
    search_fields = ["name", "code"]
    inlines = [ModuleInline, CurriculumTopicInline]


@admin.register(Module)
class ModuleAdmin(ScopedAdmin):
    organisation_path = "program__organisation"
    list_display = ["name", "program", "order", "weeks"]
    search_fields = ["name", "program__code"]


@admin.register(CurriculumTopic)
class CurriculumTopicAdmin(ScopedAdmin):
    organisation_path = "program__organisation"
    list_display = ["week", "title", "program"]
    search_fields = ["title", "program__code"]


@admin.register(ClosureDate)
class ClosureDateAdmin(ScopedAdmin):
    organisation_path = "organisation"
    list_display = ["date", "reason", "organisation"]
    date_hierarchy = "date"


class VolunteerTrainingInline(ScopedTabularInline):
    model = VolunteerTraining
    extra = 0


class SupervisionEntryInline(ScopedStackedInline):
    model = SupervisionEntry
    extra = 0


@admin.register(Volunteer)
class VolunteerAdmin(ScopedAdmin):
    organisation_path = "organisation"
    list_display = ["name", "stage", "organisation", "user"]
    list_filter = ["stage"]
    search_fields = ["name"]
    inlines = [VolunteerTrainingInline, SupervisionEntryInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "user" and not request.user.is_superuser:
            # Only facilitators of the coordinated organisations can be linked.
            facilitators = Membership.objects.filter(
                organisation__in=coordinated_org_ids(request),
                role=Role.FACILITATOR,
                is_active=True,
            ).values("user_id")
            field.queryset = field.queryset.filter(pk__in=facilitators)
        return field

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class VolunteerAdminForm(form):
            """Stage changes here follow the same screening rules as the volunteer page."""

            def clean(self):
                cleaned = super().clean()
                stage = cleaned.get("stage")
                if not stage:
                    return cleaned
                candidate = Volunteer(
                    interview_date=cleaned.get("interview_date"),
                    police_check_date=cleaned.get("police_check_date"),
                )
                has_training = bool(self.instance.pk) and self.instance.trainings.exists()
                problems = stage_problems(
                    volunteer=candidate,
                    stage=stage,
                    today=timezone.localdate(),
                    has_training=has_training,
                )
                if problems:
                    raise ValidationError(
                        [_("This stage cannot be set yet:"), *problems], code="stage"
                    )
                return cleaned

        return VolunteerAdminForm
