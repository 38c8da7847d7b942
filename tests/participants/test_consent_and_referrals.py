from datetime import date

import pytest
from django.urls import reverse

from participants import services
from participants.models import Consent, Participant
from participants.selectors import referral_counts
from peersupport.models import AuditEntry
from tests.factories import ParticipantFactory, PartnerFactory, ProgramFactory, ReferralFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def participant(org):
    return ParticipantFactory(organisation=org, evaluation_consent=Participant.Consent.UNKNOWN)


def _consent(participant, by, given=True, on=date(2020, 5, 1), kind=Consent.Kind.EVALUATION):
    return services.consent_add(
        participant=participant, kind=kind, given=given, on=on, text_version="v1", by=by
    )


def test_evaluation_consent_follows_the_latest_evaluation_record(participant, coordinator):
    _consent(participant, coordinator, kind=Consent.Kind.PARTICIPATION)
    assert participant.evaluation_consent == "unknown"
    first = _consent(participant, coordinator, given=True)
    assert Participant.objects.get(pk=participant.pk).evaluation_consent == "yes"
    services.consent_withdraw(consent=first, on=date(2020, 7, 1), by=coordinator)
    assert Participant.objects.get(pk=participant.pk).evaluation_consent == "no"
    _consent(participant, coordinator, given=True, on=date(2020, 8, 1))
    assert Participant.objects.get(pk=participant.pk).evaluation_consent == "yes"
    _consent(participant, coordinator, given=False, on=date(2020, 9, 1))
    assert Participant.objects.get(pk=participant.pk).evaluation_consent == "no"


def test_consent_is_recorded_with_who_recorded_it(client_for, coordinator, participant):
    response = client_for(coordinator).post(
        reverse("participants:consent_add", args=[participant.pk]),
        {"kind": "evaluation", "given": "yes", "date": "2020-05-01", "text_version": "2020-1"},
    )
    assert response.status_code == 302
    consent = participant.consents.get()
    assert (consent.given, consent.recorded_by, consent.text_version) == (
        True,
        coordinator,
        "2020-1",
    )
    entry = AuditEntry.objects.get(object_type="participants.Consent")
    assert entry.detail["evaluation_consent"] == ["unknown", "yes"]


def test_withdrawal_before_the_consent_date_is_a_form_error(client_for, coordinator, participant):
    consent = _consent(participant, coordinator, on=date(2020, 5, 1))
    response = client_for(coordinator).post(
        reverse("participants:consent_withdraw", args=[consent.pk]),
        {"withdrawn_on": "2020-04-30"},
    )
    assert response.status_code == 200
    assert "withdrawn_on" in response.context["form"].errors
    consent.refresh_from_db()
    assert consent.withdrawn_on is None


def test_consent_date_in_the_future_is_a_form_error(client_for, coordinator, participant):
    response = client_for(coordinator).post(
        reverse("participants:consent_add", args=[participant.pk]),
        {"kind": "evaluation", "given": "yes", "date": "2999-01-01", "text_version": "v"},
    )
    assert "date" in response.context["form"].errors


def test_referral_counts_by_partner_type_and_program_year(org):
    program = ProgramFactory(organisation=org, start_date=date(2020, 4, 1))
    housing = PartnerFactory(organisation=org, type="housing")
    legal = PartnerFactory(organisation=org, type="legal")
    p = ParticipantFactory(organisation=org)
    for day, partner in [
        (date(2020, 4, 1), housing),  # year 1, first day
        (date(2021, 3, 31), housing),  # year 1, last day
        (date(2021, 4, 1), housing),  # year 2
        (date(2021, 6, 1), legal),  # year 2
        (date(2023, 1, 5), legal),  # year 3
        (date(2020, 3, 31), legal),  # before the program: left out
    ]:
        ReferralFactory(participant=p, partner=partner, program=program, date=day)
    ReferralFactory(participant=p, partner=legal, program=None, date=date(2021, 6, 1))
    rows = referral_counts(program=program)
    assert [(r["year"], r["type"], r["count"]) for r in rows] == [
        (1, "housing", 2),
        (2, "housing", 1),
        (2, "legal", 1),
        (3, "legal", 1),
    ]
    assert rows[0]["type_label"] == "Housing"
    assert all(program.year_of(d) == y for d, y in [(date(2021, 3, 31), 1), (date(2023, 1, 5), 3)])


def test_referral_years_match_program_year_of_for_a_leap_day_start(org):
    program = ProgramFactory(organisation=org, start_date=date(2020, 2, 29))
    partner = PartnerFactory(organisation=org)
    p = ParticipantFactory(organisation=org)
    days = [date(2021, 2, 28), date(2021, 3, 1), date(2024, 2, 28), date(2024, 2, 29)]
    for day in days:
        ReferralFactory(participant=p, partner=partner, program=program, date=day)
    expected: dict[int, int] = {}
    for day in days:
        expected[program.year_of(day)] = expected.get(program.year_of(day), 0) + 1
    assert {r["year"]: r["count"] for r in referral_counts(program=program)} == expected


def test_referral_counts_of_a_program_without_referrals_are_empty(org):
    assert referral_counts(program=ProgramFactory(organisation=org)) == []


def test_referral_counts_take_two_queries_whatever_the_number_of_rows(
    org, django_assert_num_queries
):
    program = ProgramFactory(organisation=org)
    p = ParticipantFactory(organisation=org)
    for year in range(2020, 2026):
        ReferralFactory(participant=p, program=program, date=date(year, 6, 1))
    # 1. the latest referral date (how many years to bucket); 2. the grouped counts
    with django_assert_num_queries(2):
        referral_counts(program=program)


def test_partner_names_are_unique_per_organisation(client_for, coordinator, org, other_org):
    PartnerFactory(organisation=org, name="Haven House")
    PartnerFactory(organisation=other_org, name="Shelter One")
    c = client_for(coordinator)
    response = c.post(
        reverse("participants:partner_create"), {"name": "haven house", "type": "housing"}
    )
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    response = c.post(
        reverse("participants:partner_create"), {"name": "Shelter One", "type": "housing"}
    )
    assert response.status_code == 302


def test_editing_a_referral_status_is_audited(client_for, coordinator, org):
    referral = ReferralFactory(participant=ParticipantFactory(organisation=org))
    response = client_for(coordinator).post(
        reverse("participants:referral_edit", args=[referral.pk]),
        {"partner": referral.partner_id, "date": "2020-06-01", "status": "accepted"},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="referral.update")
    assert entry.changes["status"] == ["made", "accepted"]


def test_an_erased_participant_cannot_be_referred(client_for, coordinator, participant):
    partner = PartnerFactory(organisation=participant.organisation)
    services.participant_erase(participant=participant, by=coordinator)
    response = client_for(coordinator).post(
        reverse("participants:referral_add", args=[participant.pk]),
        {"partner": partner.pk, "date": "2020-06-01", "status": "made"},
    )
    assert response.status_code == 200
    assert "erased" in str(response.context["form"].non_field_errors())
    assert not participant.referrals.exists()


def test_free_text_about_a_person_is_masked_in_the_audit_log(coordinator, participant):
    partner = PartnerFactory(organisation=participant.organisation)
    services.referral_create(
        participant=participant,
        partner=partner,
        by=coordinator,
        date=date(2020, 6, 1),
        reason="Fleeing J. Smith",
        status="made",
    )
    entry = AuditEntry.objects.get(object_type="participants.Referral")
    assert "Smith" not in str(entry.changes)
    assert entry.changes["reason"] == ["", "•••"]
