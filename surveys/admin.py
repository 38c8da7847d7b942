"""Admin for instruments and surveys: read mostly; changes go through the app's pages so
that versions, scores and the audit log stay right. Scoped to the organisations the
staff user coordinates, like every admin."""

from django.contrib import admin

from peersupport.admin import OrganisationScopedAdmin, ScopedTabularInline

from .models import Administration, Answer, Instrument, InstrumentItem, ProgramInstrument


class InstrumentItemInline(ScopedTabularInline):
    model = InstrumentItem
    extra = 0
    fields = ("number", "text", "text_fr", "min_value", "max_value", "reverse", "value_labels")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Instrument)
class InstrumentAdmin(OrganisationScopedAdmin):
    organisation_path = "organisation"
    list_display = ("code", "name", "version", "is_current", "organisation", "max_missing")
    list_filter = ("is_current", "organisation")
    search_fields = ("code", "name")
    inlines = [InstrumentItemInline]
    readonly_fields = ("organisation", "code", "version", "is_current", "created_at")

    def has_add_permission(self, request):
        # Instruments are made on the instruments page, in the user's organisation.
        return False


@admin.register(ProgramInstrument)
class ProgramInstrumentAdmin(OrganisationScopedAdmin):
    organisation_path = "program__organisation"
    list_display = ("program", "instrument_code", "target_pct")
    search_fields = ("instrument_code", "program__code")


class AnswerInline(ScopedTabularInline):
    model = Answer
    extra = 0
    readonly_fields = ("item", "value")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Administration)
class AdministrationAdmin(OrganisationScopedAdmin):
    """Read-only: scores are only ever computed by ``surveys.services``."""

    organisation_path = "enrollment__cohort__organisation"

    list_display = ("instrument_code", "timepoint", "enrollment", "date", "mode", "score")
    list_filter = ("timepoint", "mode", "instrument_code")
    list_select_related = ("enrollment__participant", "enrollment__cohort")
    inlines = [AnswerInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
