"""The participant admin: scoped to coordinated organisations, never showing identifiers
to anyone but superusers."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from participants.admin import ParticipantAdmin
from participants.models import Participant
from tests.factories import EnrollmentFactory, ParticipantFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db
NAME = "Kestrel Moon"


@pytest.fixture
def staff_coordinator(coordinator):
    coordinator.is_staff = True
    coordinator.save()
    coordinator.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="participants")
    )
    return coordinator


def test_identifying_fields_are_never_listed():
    assert not set(ParticipantAdmin.list_display) & set(Participant.ERASED_FIELDS)
    assert ParticipantAdmin.search_fields == ["code"]


def test_staff_coordinator_sees_only_own_participants_and_no_names(
    client_for, staff_coordinator, org, other_org
):
    mine = ParticipantFactory(organisation=org, preferred_name=NAME, phone="555-0111")
    ParticipantFactory(organisation=other_org)
    client = client_for(staff_coordinator)
    changelist = client.get(reverse("admin:participants_participant_changelist"))
    assert list(changelist.context["cl"].result_list) == [mine]
    page = client.get(reverse("admin:participants_participant_change", args=[mine.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert NAME not in content and "555-0111" not in content
    fields = page.context["adminform"].form.fields
    assert not set(fields) & set(Participant.ERASED_FIELDS)


def test_superuser_may_open_identifying_fields(client_for, org):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    p = ParticipantFactory(organisation=org, preferred_name=NAME)
    page = client_for(superuser).get(reverse("admin:participants_participant_change", args=[p.pk]))
    assert "preferred_name" in page.context["adminform"].form.fields


def test_enrollment_admin_offers_only_own_cohorts_and_participants(
    client_for, staff_coordinator, org, other_org
):
    mine = EnrollmentFactory(cohort__program__organisation=org)
    EnrollmentFactory(cohort__program__organisation=other_org)
    client = client_for(staff_coordinator)
    page = client.get(reverse("admin:participants_enrollment_change", args=[mine.pk]))
    fields = page.context["adminform"].form.fields
    assert list(fields["cohort"].queryset) == [mine.cohort]
    assert list(fields["participant"].queryset) == [mine.participant]


def test_partner_admin_is_scoped(client_for, staff_coordinator, org, other_org):
    mine = PartnerFactory(organisation=org)
    PartnerFactory(organisation=other_org)
    changelist = client_for(staff_coordinator).get(reverse("admin:participants_partner_changelist"))
    assert list(changelist.context["cl"].result_list) == [mine]
