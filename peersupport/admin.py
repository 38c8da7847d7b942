"""Admin for power edits: every change goes to the audit log; the log itself is read-only.

``OrganisationScopedAdmin`` limits staff users to the organisations where they are
coordinators; apps subclass it and name the path to the organisation.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .audit import changes_between, log_action
from .models import AuditEntry, Invitation, Membership, Organisation, Role, User


class AuditedAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        # The form has already changed ``obj``: the values before come from the database.
        before = type(obj).objects.get(pk=obj.pk) if change else None
        super().save_model(request, obj, form, change)
        log_action(
            actor=request.user,
            action="admin.update" if change else "admin.create",
            obj=obj,
            changes=changes_between(before, obj),
            detail={"via": "admin"},
            request=request,
        )

    def delete_model(self, request, obj):
        log_action(
            actor=request.user,
            action="admin.delete",
            obj=obj,
            detail={"via": "admin"},
            request=request,
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class OrganisationScopedAdmin(AuditedAdmin):
    #: ORM path from the model to its Organisation, e.g. "program__organisation".
    organisation_path = "organisation"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        org_ids = Membership.objects.filter(
            user=request.user, role=Role.COORDINATOR, is_active=True
        ).values("organisation_id")
        return qs.filter(**{f"{self.organisation_path}__in": org_ids})


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_active", "is_staff"]
    search_fields = ["email", "name"]
    fieldsets = (
        (None, {"fields": ("email", "password", "name", "language")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Organisation)
class OrganisationAdmin(OrganisationScopedAdmin):
    organisation_path = "pk"
    list_display = ["name", "slug", "require_mfa"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Membership)
class MembershipAdmin(OrganisationScopedAdmin):
    list_display = ["user", "organisation", "role", "is_active"]
    list_filter = ["role", "is_active"]


@admin.register(Invitation)
class InvitationAdmin(OrganisationScopedAdmin):
    list_display = ["email", "organisation", "role", "created_at", "accepted_at"]
    readonly_fields = ["token_hash"]


@admin.register(AuditEntry)
class AuditEntryAdmin(OrganisationScopedAdmin):
    list_display = ["created_at", "actor", "action", "object_type", "object_repr"]
    list_filter = ["action"]
    search_fields = ["object_type", "object_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
