"""Admin for instruments and surveys: read mostly; changes go through the app's pages so
that versions, scores and the audit log stay right."""

from django.contrib import admin

from .models import Administration, Answer, Instrument, InstrumentItem, ProgramInstrument


class InstrumentItemInline(admin.TabularInline):
    model = InstrumentItem
    extra = 0
    fields = ("number", "text", "text_fr", "min_value", "max_value", "reverse", "value_labels")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "version", "is_current", "organisation", "max_missing")
    list_filter = ("is_current", "organisation")
    search_fields = ("code", "name")
    inlines = [InstrumentItemInline]
    readonly_fields = ("organisation", "code", "version", "is_current", "created_at")


@admin.register(ProgramInstrument)
class ProgramInstrumentAdmin(admin.ModelAdmin):
    list_display = ("program", "instrument_code", "target_pct")
    search_fields = ("instrument_code", "program__code")


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    readonly_fields = ("item", "value")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Administration)
class AdministrationAdmin(admin.ModelAdmin):
    """Read-only: scores are only ever computed by ``surveys.services``."""

    list_display = ("instrument_code", "timepoint", "enrollment", "date", "mode", "score")
    list_filter = ("timepoint", "mode", "instrument_code")
    list_select_related = ("enrollment__participant", "enrollment__cohort")
    inlines = [AnswerInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
