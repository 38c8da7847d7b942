"""Admin for coordinators' power edits of sessions, scoped and audited like every admin."""

from django.contrib import admin

from peersupport.admin import OrganisationScopedAdmin
from peersupport.models import Membership, Role
from programs.models import Cohort, Module, Volunteer

from .models import Attendance, Session


def _coordinated_orgs(request):
    return Membership.objects.filter(
        user=request.user, role=Role.COORDINATOR, is_active=True
    ).values("organisation_id")


class AttendanceInline(admin.TabularInline):
    """Attendance is shown, never edited here: the attendance sheet audits each change."""

    model = Attendance
    fields = ["enrollment", "status", "recorded_by", "updated_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("enrollment__participant", "recorded_by")
        )


@admin.register(Session)
class SessionAdmin(OrganisationScopedAdmin):
    organisation_path = "cohort__organisation"
    list_display = ["cohort", "number", "date", "start_time", "status", "incident_flagged"]
    list_filter = ["status", "incident_flagged"]
    list_select_related = ["cohort"]
    search_fields = ["cohort__code", "topic"]
    date_hierarchy = "date"
    ordering = ["-date", "cohort"]
    readonly_fields = ["logged_by", "updated_at"]
    filter_horizontal = ["facilitators"]
    inlines = [AttendanceInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Choices are limited to the organisations the user coordinates, like the rows.
        if not request.user.is_superuser:
            orgs = _coordinated_orgs(request)
            if db_field.name == "cohort":
                kwargs["queryset"] = Cohort.objects.filter(organisation_id__in=orgs)
            elif db_field.name == "module":
                kwargs["queryset"] = Module.objects.filter(program__organisation_id__in=orgs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "facilitators" and not request.user.is_superuser:
            kwargs["queryset"] = Volunteer.objects.filter(
                organisation_id__in=_coordinated_orgs(request)
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)
