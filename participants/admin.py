"""Admin for coordinators' power edits, scoped to their organisations and audited.

Identifying participant fields never appear in lists, and only superusers can open them
in a form: everyone else works with the pseudonymous code.
"""

from django.contrib import admin

from peersupport.admin import OrganisationScopedAdmin
from peersupport.models import Membership, Role

from .models import Consent, Enrollment, Participant, Partner, Referral


def _coordinated_org_ids(request):
    return Membership.objects.filter(
        user=request.user, role=Role.COORDINATOR, is_active=True
    ).values("organisation_id")


class ScopedChoicesAdmin(OrganisationScopedAdmin):
    """Offers only the staff user's organisations' records in foreign-key choices."""

    #: Foreign key name → ORM path from the related model to its organisation.
    choice_scopes: dict[str, str] = {}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        path = self.choice_scopes.get(db_field.name)
        if path and not request.user.is_superuser:
            kwargs["queryset"] = db_field.related_model.objects.filter(
                **{f"{path}__in": _coordinated_org_ids(request)}
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Participant)
class ParticipantAdmin(ScopedChoicesAdmin):
    organisation_path = "organisation"
    choice_scopes = {"organisation": "pk"}
    list_display = ["code", "organisation", "birth_year", "evaluation_consent", "erased_at"]
    list_filter = ["evaluation_consent"]
    search_fields = ["code"]
    readonly_fields = ["erased_at", "evaluation_consent"]

    def get_exclude(self, request, obj=None):
        if request.user.is_superuser:
            return ()
        return Participant.ERASED_FIELDS


@admin.register(Consent)
class ConsentAdmin(ScopedChoicesAdmin):
    organisation_path = "participant__organisation"
    choice_scopes = {"participant": "organisation"}
    list_display = ["participant", "kind", "given", "date", "text_version", "withdrawn_on"]
    list_filter = ["kind", "given"]
    search_fields = ["participant__code"]
    raw_id_fields = ["participant"]
    readonly_fields = ["recorded_by"]


@admin.register(Enrollment)
class EnrollmentAdmin(ScopedChoicesAdmin):
    organisation_path = "cohort__organisation"
    choice_scopes = {"participant": "organisation", "cohort": "organisation"}
    list_display = ["participant", "cohort", "status", "enrolled_on", "exit_date"]
    list_filter = ["status"]
    search_fields = ["participant__code", "cohort__code"]
    list_select_related = ["participant", "cohort"]
    raw_id_fields = ["participant"]


@admin.register(Partner)
class PartnerAdmin(ScopedChoicesAdmin):
    organisation_path = "organisation"
    choice_scopes = {"organisation": "pk"}
    list_display = ["name", "type", "contact_person", "organisation"]
    list_filter = ["type"]
    search_fields = ["name"]


@admin.register(Referral)
class ReferralAdmin(ScopedChoicesAdmin):
    organisation_path = "participant__organisation"
    choice_scopes = {
        "participant": "organisation",
        "partner": "organisation",
        "program": "organisation",
    }
    list_display = ["participant", "partner", "program", "date", "status"]
    list_filter = ["status", "partner__type"]
    search_fields = ["participant__code", "partner__name"]
    list_select_related = ["participant", "partner", "program"]
    raw_id_fields = ["participant"]
    readonly_fields = ["created_by"]
