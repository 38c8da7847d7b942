from unittest import mock

import pytest
from django.db import IntegrityError, connection
from django.urls import reverse
from django.utils import timezone

from participants import services
from participants.models import Participant
from peersupport.audit import MASK
from peersupport.models import AuditEntry
from tests.factories import (
    AdministrationFactory,
    AttendanceFactory,
    ConsentFactory,
    EnrollmentFactory,
    ParticipantFactory,
    ReferralFactory,
    make_instrument,
)

pytestmark = pytest.mark.django_db


def test_codes_are_numbered_per_organisation_with_its_prefix(org, other_org, coordinator):
    org.participant_code_prefix = "SH"
    org.save()
    first = services.participant_create(organisation=org, by=coordinator, preferred_name="A")
    second = services.participant_create(organisation=org, by=coordinator, preferred_name="B")
    elsewhere = services.participant_create(organisation=other_org, by=None, preferred_name="C")
    assert (first.code, second.code) == ("SH-00001", "SH-00002")
    assert elsewhere.code == "P-00001"


def test_codes_continue_after_the_highest_number_past_five_digits(org):
    ParticipantFactory(organisation=org, code="P-99999")
    ParticipantFactory(organisation=org, code="P-100000")
    ParticipantFactory(organisation=org, code="IMPORTED-7")
    created = services.participant_create(organisation=org, by=None, preferred_name="X")
    assert created.code == "P-100001"


def test_a_code_taken_concurrently_is_retried(org):
    ParticipantFactory(organisation=org, code="P-00001")
    real = services._next_code
    calls = []

    def stale_then_real(organisation):
        calls.append(1)
        # The first attempt computes the number another request has just taken.
        return "P-00001" if len(calls) == 1 else real(organisation)

    with mock.patch.object(services, "_next_code", side_effect=stale_then_real):
        created = services.participant_create(organisation=org, by=None, preferred_name="Y")
    assert created.code == "P-00002"
    assert len(calls) == 2


def test_code_generation_gives_up_after_repeated_clashes(org):
    ParticipantFactory(organisation=org, code="P-00001")
    with (
        mock.patch.object(services, "_next_code", return_value="P-00001"),
        pytest.raises(IntegrityError),
    ):
        services.participant_create(organisation=org, by=None, preferred_name="Z")


def test_identifying_fields_are_encrypted_at_rest(org):
    p = ParticipantFactory(
        organisation=org, preferred_name="Starlight", phone="555-0100", safe_contact="text only"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT preferred_name, phone, safe_contact FROM participants_participant "
            "WHERE id = %s",
            [p.pk],
        )
        raw = cursor.fetchone()
    assert "Starlight" not in raw[0]
    assert "555-0100" not in raw[1]
    assert "text only" not in raw[2]
    assert Participant.objects.get(pk=p.pk).preferred_name == "Starlight"


def test_creating_a_participant_is_audited_without_the_name(client_for, coordinator, org):
    response = client_for(coordinator).post(
        reverse("participants:create"),
        {"preferred_name": "Moonbeam", "birth_year": "1990", "gender_identity": "prefer_not"},
    )
    participant = Participant.objects.get()
    assert response.status_code == 302
    assert participant.gender_identity == "prefer_not"
    entry = AuditEntry.objects.get(action="participant.create", object_id=str(participant.pk))
    assert "Moonbeam" not in str(entry.changes)
    assert entry.changes["preferred_name"] == ["", "•••"]


def test_referral_source_is_masked_in_the_audit_log(coordinator, org):
    p = services.participant_create(
        organisation=org, by=coordinator, referral_source="Officer Dana at Station 4"
    )
    entry = AuditEntry.objects.get(action="participant.create", object_id=str(p.pk))
    assert entry.changes["referral_source"] == ["", "•••"]


@pytest.mark.parametrize("year", ["2999", "1899"])
def test_birth_year_in_the_future_or_before_1900_is_a_form_error(client_for, coordinator, year):
    response = client_for(coordinator).post(
        reverse("participants:create"), {"preferred_name": "A", "birth_year": year}
    )
    assert response.status_code == 200
    assert "birth_year" in response.context["form"].errors
    assert not Participant.objects.exists()


def test_birth_year_this_year_is_accepted(client_for, coordinator):
    year = timezone.localdate().year
    response = client_for(coordinator).post(
        reverse("participants:create"), {"preferred_name": "A", "birth_year": str(year)}
    )
    assert response.status_code == 302


def test_editing_changes_fields_and_audits_the_change(client_for, coordinator, org):
    p = ParticipantFactory(organisation=org, preferred_name="Old", birth_year=1980)
    response = client_for(coordinator).post(
        reverse("participants:edit", args=[p.pk]), {"preferred_name": "New", "birth_year": "1981"}
    )
    assert response.status_code == 302
    p.refresh_from_db()
    assert (p.preferred_name, p.birth_year) == ("New", 1981)
    entry = AuditEntry.objects.get(action="participant.update", object_id=str(p.pk))
    assert entry.changes["preferred_name"] == ["•••", "•••"]
    assert entry.changes["birth_year"] == [MASK, MASK]


# --- erase and delete ---------------------------------------------------------------------


def _full_participant(org):
    return ParticipantFactory(
        organisation=org,
        preferred_name="Nightingale",
        legal_name="Jane Roe",
        phone="555-0199",
        email="jane@example.org",
        safe_contact="text only",
        safe_times="weekdays after 10",
        code_word="bluebird",
        referral_source="Street outreach van 3",
    )


def test_erasing_wipes_identifiers_and_keeps_records(coordinator, org):
    p = _full_participant(org)
    attendance = AttendanceFactory(
        enrollment=EnrollmentFactory(participant=p, exit_notes="Lives at X")
    )
    ConsentFactory(participant=p)
    referral = ReferralFactory(participant=p, reason="Fleeing J. Smith")

    services.participant_erase(participant=p, by=coordinator)

    p.refresh_from_db()
    assert p.erased_at is not None
    assert p.code.startswith("P-")
    for field in services.ERASED_FIELDS:
        assert getattr(p, field) == ""
    attendance.refresh_from_db()
    assert attendance.enrollment.participant_id == p.pk
    assert attendance.enrollment.exit_notes == ""
    referral.refresh_from_db()
    assert referral.reason == ""
    assert p.consents.count() == 1
    entry = AuditEntry.objects.get(action="participant.erase", object_id=str(p.pk))
    assert entry.object_repr == p.code
    log_text = str(entry.changes) + str(entry.detail)
    for secret in (
        "Nightingale",
        "Jane Roe",
        "555-0199",
        "Street outreach",
        "J. Smith",
        "bluebird",
        "weekdays after 10",
    ):
        assert secret not in log_text
    assert set(entry.changes) == set(services.ERASED_FIELDS)


def test_erase_page_asks_for_erasure_and_erases_nothing_yet(client_for, coordinator, org):
    p = _full_participant(org)
    c = client_for(coordinator)
    assert c.post(reverse("participants:erase", args=[p.pk]), {}).status_code == 200
    c.post(reverse("participants:erase", args=[p.pk]), {"reason": "Her letter", "confirm": "on"})
    p.refresh_from_db()
    assert p.erased_at is None
    assert p.preferred_name == "Nightingale"
    assert p.erasure_requests.get().status == "pending"


def test_an_erased_participant_cannot_be_edited(client_for, coordinator, org):
    p = _full_participant(org)
    services.participant_erase(participant=p, by=coordinator)
    response = client_for(coordinator).post(
        reverse("participants:edit", args=[p.pk]), {"preferred_name": "Back again"}
    )
    assert response.status_code == 302
    assert Participant.objects.get(pk=p.pk).preferred_name == ""


def test_deleting_a_participant_with_attendance_is_refused(client_for, coordinator, org):
    p = _full_participant(org)
    AttendanceFactory(enrollment=EnrollmentFactory(participant=p))
    response = client_for(coordinator).post(
        reverse("participants:delete", args=[p.pk]), {"confirm": "on"}, follow=True
    )
    assert Participant.objects.filter(pk=p.pk).exists()
    assert "Erase the participant instead" in response.content.decode()
    assert not AuditEntry.objects.filter(action="participant.delete").exists()


def test_deleting_a_participant_with_survey_data_is_refused(coordinator, org):
    p = _full_participant(org)
    enrollment = EnrollmentFactory(participant=p)
    AdministrationFactory(enrollment=enrollment, instrument=make_instrument(organisation=org))
    with pytest.raises(services.ValidationError):
        services.participant_delete(participant=p, by=coordinator)
    assert Participant.objects.filter(pk=p.pk).exists()


def test_a_participant_without_attendance_or_surveys_can_be_deleted(client_for, coordinator, org):
    p = _full_participant(org)
    EnrollmentFactory(participant=p)
    ConsentFactory(participant=p)
    ReferralFactory(participant=p)
    response = client_for(coordinator).post(
        reverse("participants:delete", args=[p.pk]), {"confirm": "on"}
    )
    assert response.status_code == 302
    assert not Participant.objects.filter(pk=p.pk).exists()
    entry = AuditEntry.objects.get(action="participant.delete", object_id=str(p.pk))
    assert "Nightingale" not in str(entry.changes)


def test_another_organisations_participant_is_not_found(client_for, outsider, org):
    p = ParticipantFactory(organisation=org)
    assert client_for(outsider).get(reverse("participants:detail", args=[p.pk])).status_code == 404


@pytest.mark.parametrize("name", ["", "   "])
def test_a_participant_without_a_preferred_name_is_a_form_error_and_nothing_is_saved(
    client_for, coordinator, org, name
):
    response = client_for(coordinator).post(
        reverse("participants:create"), {"preferred_name": name, "birth_year": "1990"}
    )
    assert response.status_code == 200
    assert "Enter a preferred name" in response.context["form"].errors["preferred_name"][0]
    assert not Participant.objects.filter(organisation=org).exists()
