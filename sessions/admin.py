"""Admin for coordinators' power edits of sessions, scoped and audited like every admin."""

from django.contrib import admin

from peersupport.admin import OrganisationScopedAdmin, ScopedTabularInline

from .models import Attendance, Session


class AttendanceInline(ScopedTabularInline):
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
