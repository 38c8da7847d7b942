from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from peersupport.models import AuditEntry
from tests.factories import ProgramFactory, VolunteerFactory
from tests.factories.programs import SupervisionEntryFactory


@pytest.fixture
def staff_coordinator(coordinator):
    coordinator.is_staff = True
    coordinator.save()
    coordinator.user_permissions.add(*Permission.objects.filter(content_type__app_label="programs"))
    return coordinator


@pytest.mark.django_db
def test_admin_lists_only_the_coordinators_organisation(
    client_for, staff_coordinator, org, other_org
):
    ProgramFactory(organisation=org, name="Ours")
    ProgramFactory(organisation=other_org, name="Theirs")
    response = client_for(staff_coordinator).get(reverse("admin:programs_program_changelist"))
    assert response.status_code == 200
    assert "Ours" in response.text
    assert "Theirs" not in response.text


@pytest.mark.django_db
def test_admin_inline_changes_are_audited(client_for, staff_coordinator, org):
    volunteer = VolunteerFactory(organisation=org, name="Rosa", stage="applied")
    entry = SupervisionEntryFactory(volunteer=volunteer, hours=1)
    url = reverse("admin:programs_volunteer_change", args=[volunteer.pk])
    data = {
        "organisation": org.pk,
        "name": "Rosa",
        "stage": "applied",
        "supervision_every_days": 30,
        "notes": "",
        "trainings-TOTAL_FORMS": 0,
        "trainings-INITIAL_FORMS": 0,
        "supervisions-TOTAL_FORMS": 1,
        "supervisions-INITIAL_FORMS": 1,
        "supervisions-0-id": entry.pk,
        "supervisions-0-volunteer": volunteer.pk,
        "supervisions-0-date": "2020-06-01",
        "supervisions-0-supervisor": "Supervisor",
        "supervisions-0-hours": "2",
        "supervisions-0-notes": "",
    }
    response = client_for(staff_coordinator).post(url, data)
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.hours == 2
    audit = AuditEntry.objects.get(object_type="programs.SupervisionEntry")
    assert audit.changes == {"hours": ["1.00", "2.00"]}
    assert audit.organisation == org


@pytest.mark.django_db
def test_admin_refuses_a_stage_whose_screening_is_not_done(client_for, staff_coordinator, org):
    volunteer = VolunteerFactory(organisation=org, name="Rosa", stage="applied")
    data = {
        "organisation": org.pk,
        "name": "Rosa",
        "stage": "active",
        "supervision_every_days": 30,
        "interview_date": date(2024, 1, 1).isoformat(),
        "trainings-TOTAL_FORMS": 0,
        "trainings-INITIAL_FORMS": 0,
        "supervisions-TOTAL_FORMS": 0,
        "supervisions-INITIAL_FORMS": 0,
    }
    response = client_for(staff_coordinator).post(
        reverse("admin:programs_volunteer_change", args=[volunteer.pk]), data
    )
    assert response.status_code == 200
    assert "Record the police check date first." in response.text
    volunteer.refresh_from_db()
    assert volunteer.stage == "applied"
