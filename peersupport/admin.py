"""Admin for power edits: every change goes to the audit log; the log itself is read-only.

The admin is the coordinators' power-edit tool, so it never lets a staff user reach past
the organisations they coordinate, nor raise anyone's privileges:

- ``OrganisationScopedAdmin`` (every app's model admins) and ``ScopedTabularInline`` /
  ``ScopedStackedInline`` (their inlines) limit rows *and* the choices of every foreign
  key and many-to-many field to the organisations where the staff user is an active
  coordinator; an object outside them answers 404. Superusers see everything.
- ``SuperuserOnlyAdmin``: accounts, memberships, groups, e-mail addresses and
  authenticators are administered by superusers only.
"""

from django.contrib import admin
from django.contrib.admin.filters import RelatedOnlyFieldListFilter
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404

from .audit import changes_between, log_action
from .models import AuditEntry, Invitation, Membership, Organisation, Role, User

#: Fields that grant privileges: only superusers change them.
PRIVILEGE_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions")


def coordinated_org_ids(request) -> QuerySet:
    """The ids of the organisations where the signed-in user is an active coordinator."""
    return Membership.objects.filter(
        user=request.user, role=Role.COORDINATOR, is_active=True
    ).values("organisation_id")


def _organisation_path(model: type[Model]) -> str | None:
    """The ORM path from ``model`` to its Organisation, or None when it has none."""
    if model is Organisation:
        return "pk"
    registered = admin.site._registry.get(model)
    path = getattr(registered, "organisation_path", None)
    if path:
        return path
    try:
        model._meta.get_field("organisation")
    except FieldDoesNotExist:
        return None
    return "organisation"


def scoped_choices(request, db_field, choice_scopes: dict[str, str]) -> QuerySet:
    """The objects of ``db_field``'s related model a non-superuser may choose: those of the
    organisations they coordinate (users: their members); nothing when the related model
    has no known way to its organisation."""
    model = db_field.related_model
    org_ids = coordinated_org_ids(request)
    manager = model._default_manager
    if db_field.name in choice_scopes:
        return manager.filter(**{f"{choice_scopes[db_field.name]}__in": org_ids})
    if model is User:
        members = Membership.objects.filter(organisation__in=org_ids, is_active=True)
        return manager.filter(pk__in=members.values("user_id"))
    path = _organisation_path(model)
    if path is None:
        return manager.none()
    return manager.filter(**{f"{path}__in": org_ids})


class ScopedChoicesMixin:
    """Foreign-key and many-to-many choices limited to the coordinated organisations."""

    #: Field name → ORM path from the related model to its organisation, where the
    #: default (the related model's admin, or its ``organisation`` field) does not fit.
    choice_scopes: dict[str, str] = {}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            kwargs["queryset"] = scoped_choices(request, db_field, self.choice_scopes)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            kwargs["queryset"] = scoped_choices(request, db_field, self.choice_scopes)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ScopedTabularInline(ScopedChoicesMixin, admin.TabularInline):
    pass


class ScopedStackedInline(ScopedChoicesMixin, admin.StackedInline):
    pass


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


class OrganisationScopedAdmin(ScopedChoicesMixin, AuditedAdmin):
    """Rows, objects, choices and list filters of the organisations the staff user
    coordinates; apps subclass it and name the path to the organisation."""

    #: ORM path from the model to its Organisation, e.g. "program__organisation".
    organisation_path = "organisation"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(**{f"{self.organisation_path}__in": coordinated_org_ids(request)})

    def get_object(self, request, object_id, from_field=None):
        # Outside the user's organisations an object does not exist (404), rather than
        # the admin's redirect that confirms the id was tried.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def get_list_filter(self, request):
        # A related-field filter lists every row of the related table (other
        # organisations' names): offer only the values found in the user's rows.
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        scoped = []
        for item in filters:
            if isinstance(item, str) and self._is_relation(item):
                item = (item, RelatedOnlyFieldListFilter)
            scoped.append(item)
        return scoped

    def _is_relation(self, path: str) -> bool:
        model = self.model
        field = None
        for name in path.split("__"):
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                return False
            if not field.is_relation:
                return False
            model = field.related_model
        return field is not None and field.is_relation


class SuperuserOnlyAdmin(admin.ModelAdmin):
    """Only superusers see or change these models in the admin."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request, *args):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


@admin.register(User)
class UserAdmin(SuperuserOnlyAdmin, AuditedAdmin, BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_active", "is_staff"]
    search_fields = ["email", "name"]
    fieldsets = (
        (None, {"fields": ("email", "password", "name", "language")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += [f for f in PRIVILEGE_FIELDS if f not in readonly]
        return readonly


@admin.register(Organisation)
class OrganisationAdmin(OrganisationScopedAdmin):
    """Coordinators edit their own organisations; creating or deleting one is for
    superusers."""

    organisation_path = "pk"
    list_display = ["name", "slug", "require_mfa"]
    prepopulated_fields = {"slug": ["name"]}

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Membership)
class MembershipAdmin(SuperuserOnlyAdmin, OrganisationScopedAdmin):
    """Roles are given on the Members page (audited, within one's organisation)."""

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


def _superuser_only(model: type[Model]) -> None:
    """Re-register a third-party model's admin (groups, e-mail addresses,
    authenticators) for superusers only."""
    registered = admin.site._registry.get(model)
    if registered is None:
        return
    base = type(registered)
    admin.site.unregister(model)
    admin.site.register(model, type(base.__name__, (SuperuserOnlyAdmin, base), {}))


def _restrict_third_party_admins() -> None:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    for model in (Group, EmailAddress, Authenticator):
        _superuser_only(model)


_restrict_third_party_admins()
