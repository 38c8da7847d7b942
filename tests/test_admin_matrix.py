"""Every admin URL of every registered model, requested by a staff coordinator of another
organisation holding every model permission: nothing of ``org`` answers with its data, and
no privilege can be raised.

The worst case is assumed: the outsider is staff and has been given every permission
there is, so only the organisation scoping stands between them and ``org``'s records.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.forms import ModelChoiceField
from django.urls import reverse

from participants.models import Consent, Enrollment, Participant, Partner, Referral
from peersupport.admin import OrganisationScopedAdmin, ScopedChoicesMixin, SuperuserOnlyAdmin
from peersupport.audit import log_action
from peersupport.models import AuditEntry, Invitation, Membership, Organisation, User
from programs.models import ClosureDate, CurriculumTopic, Module, Program, Volunteer
from sessions.models import Session
from surveys.models import Administration, Instrument, ProgramInstrument
from tests.factories import (
    AdministrationFactory,
    ClosureDateFactory,
    CohortFactory,
    ConsentFactory,
    CurriculumTopicFactory,
    EnrollmentFactory,
    InvitationFactory,
    ModuleFactory,
    PartnerFactory,
    ProgramInstrumentFactory,
    ReferralFactory,
    SessionFactory,
    UserFactory,
    VolunteerFactory,
    make_instrument,
)
from tests.factories.peersupport import PASSWORD

pytestmark = pytest.mark.django_db

#: Models only superusers administer.
SUPERUSER_ONLY = {User, Membership, Group, EmailAddress, Authenticator}
VIEWS = ("changelist", "add", "change", "delete", "history")
#: Pages nobody has: the audit log is never changed, instruments and survey
#: administrations are only created through the app's pages.
NOBODY = {
    (AuditEntry, "add"),
    (AuditEntry, "delete"),
    (Instrument, "add"),
    (Administration, "add"),
}


def _build(org, coordinator) -> dict[type, object]:
    """One object of ``org`` for every model registered in the admin."""
    cohort = CohortFactory(program__organisation=org)
    program = cohort.program
    enrollment = EnrollmentFactory(cohort=cohort)
    participant = enrollment.participant
    instrument = make_instrument(organisation=org, code="SECRETSCALE")
    objects = {
        Organisation: org,
        User: coordinator,
        Membership: coordinator.memberships.get(organisation=org),
        Invitation: InvitationFactory(organisation=org, invited_by=coordinator),
        AuditEntry: log_action(
            actor=coordinator, action="admin.update", obj=program, organisation=org
        ),
        Group: Group.objects.create(name="Harbour editors"),
        EmailAddress: EmailAddress.objects.create(
            user=coordinator, email=coordinator.email, primary=True, verified=True
        ),
        Authenticator: Authenticator.objects.create(
            user=coordinator, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "x"}
        ),
        Program: program,
        Module: ModuleFactory(program=program),
        CurriculumTopic: CurriculumTopicFactory(program=program),
        ClosureDate: ClosureDateFactory(organisation=org, date=date(2024, 12, 25)),
        Volunteer: VolunteerFactory(organisation=org),
        Participant: participant,
        Consent: ConsentFactory(participant=participant),
        Enrollment: enrollment,
        Partner: PartnerFactory(organisation=org),
        Referral: ReferralFactory(participant=participant, program=program),
        Session: SessionFactory(cohort=cohort, number=1),
        Instrument: instrument,
        ProgramInstrument: ProgramInstrumentFactory(program=program, instrument_code="SECRETSCALE"),
        Administration: AdministrationFactory(enrollment=enrollment, instrument=instrument),
    }
    return objects


@pytest.fixture
def world(org, other_org, coordinator, outsider):
    objects = _build(org, coordinator)
    outsider.is_staff = True
    outsider.save()
    outsider.user_permissions.add(*Permission.objects.all())
    return SimpleNamespace(org=org, other_org=other_org, objects=objects, outsider=outsider)


def _url(model, view, obj=None):
    name = f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}"
    return reverse(name, args=[obj.pk] if view in ("change", "delete", "history") else [])


def _choice_fields(context):
    """Every field of the admin form and of its inline forms but the inline rows' own
    hidden ids (never choices: the inline formset looks its rows up under the parent)."""
    adminform = context.get("adminform")
    if adminform is not None:
        yield from adminform.form.fields.values()
    for inline in context.get("inline_admin_formsets") or []:
        own_pk = inline.formset.model._meta.pk.name
        for form in inline.formset.forms + [inline.formset.empty_form]:
            yield from (field for name, field in form.fields.items() if name != own_pk)


def test_every_registered_model_is_in_the_admin_matrix(world):
    assert set(admin.site._registry) == set(world.objects)


def test_every_admin_is_scoped_or_for_superusers_only():
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, OrganisationScopedAdmin | SuperuserOnlyAdmin), model
        if model in SUPERUSER_ONLY:
            assert isinstance(model_admin, SuperuserOnlyAdmin), model
        for inline in model_admin.inlines:
            assert issubclass(inline, ScopedChoicesMixin), inline


@pytest.mark.parametrize("view", VIEWS)
def test_staff_coordinator_of_another_organisation_sees_nothing_of_it(world, client, view):
    client.force_login(world.outsider)
    failures = []
    for model, obj in world.objects.items():
        url = _url(model, view, obj)
        response = client.get(url)
        status = response.status_code
        if status in (403, 404) or (status == 302 and "login" in response["Location"]):
            continue
        if status != 200:
            failures.append(f"{url}: {status}")
            continue
        if model in SUPERUSER_ONLY:
            failures.append(f"{url}: 200 for a model only superusers administer")
        content = response.content.decode()
        if world.org.name in content or "SECRETSCALE" in content:
            failures.append(f"{url}: shows the other organisation's data")
        if view == "changelist":
            shown = {row.pk for row in response.context["cl"].result_list}
            if obj.pk in shown:
                failures.append(f"{url}: lists the other organisation's {model.__name__}")
        elif view == "add":
            for field in _choice_fields(response.context):
                if not isinstance(field, ModelChoiceField):
                    continue
                theirs = world.objects.get(field.queryset.model)
                if theirs is not None and field.queryset.filter(pk=theirs.pk).exists():
                    failures.append(f"{url}: offers the other organisation's {theirs!r}")
        else:
            failures.append(f"{url}: 200 for another organisation's object")
    assert not failures, "\n".join(failures)


def test_superuser_opens_every_admin_page(world, client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    failures = []
    for model, obj in world.objects.items():
        for view in VIEWS:
            url = _url(model, view, obj)
            status = client.get(url).status_code
            expected = 403 if (model, view) in NOBODY else 200
            if status != expected:
                failures.append(f"{url}: {status}, expected {expected}")
    assert not failures, "\n".join(failures)


def test_staff_coordinator_cannot_make_themselves_superuser(world, client):
    outsider = world.outsider
    client.force_login(outsider)
    response = client.post(
        _url(User, "change", outsider),
        {
            "email": outsider.email,
            "name": outsider.name,
            "language": "en",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
        },
    )
    assert response.status_code == 403
    outsider.refresh_from_db()
    assert not outsider.is_superuser


def test_staff_coordinator_cannot_change_another_organisations_coordinator(world, client):
    victim = world.objects[User]
    client.force_login(world.outsider)
    password = client.post(
        reverse("admin:auth_user_password_change", args=[victim.pk]),
        {"password1": "a-new-long-password-1", "password2": "a-new-long-password-1"},
    )
    email = client.post(
        _url(User, "change", victim),
        {"email": "mine@example.org", "name": "x", "language": "en", "is_active": "on"},
    )
    assert password.status_code in (403, 404) and email.status_code in (403, 404)
    victim.refresh_from_db()
    assert victim.check_password(PASSWORD) and victim.email != "mine@example.org"


def test_staff_coordinator_cannot_give_themselves_a_membership_elsewhere(world, client):
    client.force_login(world.outsider)
    response = client.post(
        _url(Membership, "add"),
        {
            "user": world.outsider.pk,
            "organisation": world.org.pk,
            "role": "coordinator",
            "is_active": "on",
        },
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(user=world.outsider, organisation=world.org).exists()


def test_staff_coordinator_cannot_create_records_in_another_organisation(world, client):
    client.force_login(world.outsider)
    response = client.post(
        _url(Partner, "add"), {"organisation": world.org.pk, "name": "Planted", "type": "other"}
    )
    assert response.status_code == 200  # the form again, with the choice refused
    assert "organisation" in response.context["adminform"].form.errors
    assert not Partner.objects.filter(name="Planted").exists()


def test_staff_coordinator_cannot_delete_another_organisations_records(world, client):
    client.force_login(world.outsider)
    partner = world.objects[Partner]
    response = client.post(_url(Partner, "delete", partner), {"post": "yes"})
    assert response.status_code == 404
    changelist = client.post(
        _url(Partner, "changelist"),
        {"action": "delete_selected", "_selected_action": [partner.pk], "post": "yes"},
    )
    assert changelist.status_code in (200, 302)
    assert Partner.objects.filter(pk=partner.pk).exists()


def test_privilege_fields_are_read_only_for_non_superusers(rf, coordinator):
    from peersupport.admin import PRIVILEGE_FIELDS, UserAdmin

    request = rf.get("/")
    request.user = coordinator
    readonly = UserAdmin(User, admin.site).get_readonly_fields(request, coordinator)
    assert set(PRIVILEGE_FIELDS) <= set(readonly)
    request.user = UserFactory(is_staff=True, is_superuser=True)
    assert not set(PRIVILEGE_FIELDS) & set(
        UserAdmin(User, admin.site).get_readonly_fields(request, coordinator)
    )
