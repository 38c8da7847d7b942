"""Admin for coordinators' power edits, scoped to their organisations and audited.

Identifying participant fields never appear in lists, and only superusers can open them
in a form: everyone else works with the pseudonymous code.
"""

from django.contrib import admin

from peersupport.admin import OrganisationScopedAdmin

from .models import Consent, Enrollment, Participant, Partner, Referral
from .name_index import name_index_set


@admin.register(Participant)
class ParticipantAdmin(OrganisationScopedAdmin):
    organisation_path = "organisation"
    list_display = ["code", "organisation", "birth_year", "evaluation_consent", "erased_at"]
    list_filter = ["evaluation_consent"]
    search_fields = ["code"]
    readonly_fields = ["erased_at", "evaluation_consent"]

    def get_exclude(self, request, obj=None):
        if request.user.is_superuser:
            return ()
        return Participant.ERASED_FIELDS

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        name_index_set(obj)  # a superuser may have changed the name


@admin.register(Consent)
class ConsentAdmin(OrganisationScopedAdmin):
    organisation_path = "participant__organisation"
    list_display = ["participant", "kind", "given", "date", "text_version", "withdrawn_on"]
    list_filter = ["kind", "given"]
    search_fields = ["participant__code"]
    raw_id_fields = ["participant"]
    readonly_fields = ["recorded_by"]


@admin.register(Enrollment)
class EnrollmentAdmin(OrganisationScopedAdmin):
    organisation_path = "cohort__organisation"
    list_display = ["participant", "cohort", "status", "enrolled_on", "exit_date"]
    list_filter = ["status"]
    search_fields = ["participant__code", "cohort__code"]
    list_select_related = ["participant", "cohort"]
    raw_id_fields = ["participant"]


@admin.register(Partner)
class PartnerAdmin(OrganisationScopedAdmin):
    organisation_path = "organisation"
    list_display = ["name", "type", "contact_person", "organisation"]
    list_filter = ["type"]
    search_fields = ["name"]


@admin.register(Referral)
class ReferralAdmin(OrganisationScopedAdmin):
    organisation_path = "participant__organisation"
    list_display = ["participant", "partner", "program", "date", "status"]
    list_filter = ["status", "partner__type"]
    search_fields = ["participant__code", "partner__name"]
    list_select_related = ["participant", "partner", "program"]
    raw_id_fields = ["participant"]
    readonly_fields = ["created_by"]
