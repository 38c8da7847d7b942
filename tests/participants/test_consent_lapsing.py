"""Consent that is specific (a purpose, a named partner) and lapses (withdrawn, expired)."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluation import figures, runs
from evaluation.models import EvaluationRun
from evaluation.periods import year_period
from exports import privacy, report
from exports import services as export_services
from exports.base import ExportOptions
from participants import services
from participants.models import Consent, Participant, Referral, evaluation_consented
from surveys.models import Administration
from tests.evaluation.figures_data import build as build_eval
from tests.exports.test_export_data import build as build_export
from tests.factories import ParticipantFactory, PartnerFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LONG_AGO = date(2020, 5, 1)


def _evaluation(participant, by, *, on=LONG_AGO, expires_on=None, given=True):
    return services.consent_add(
        participant=participant,
        kind=Consent.Kind.EVALUATION,
        given=given,
        on=on,
        expires_on=expires_on,
        text_version="2020-1",
        by=by,
    )


def _referral_consent(participant, partner, by, *, on=LONG_AGO, expires_on=None):
    return services.consent_add(
        participant=participant,
        kind=Consent.Kind.REFERRAL,
        partner=partner,
        given=True,
        on=on,
        expires_on=expires_on,
        text_version="2020-1",
        by=by,
    )


# --- purpose, partner and expiry ------------------------------------------------------------


def test_a_referral_consent_names_its_partner_and_may_expire(client_for, coordinator, org):
    participant = ParticipantFactory(organisation=org)
    partner = PartnerFactory(organisation=org, name="Legal Aid North")
    response = client_for(coordinator).post(
        reverse("participants:consent_add", args=[participant.pk]),
        {
            "kind": "referral",
            "partner": partner.pk,
            "given": "yes",
            "date": "2024-01-10",
            "expires_on": "2025-01-10",
            "text_version": "2024-1",
        },
    )
    assert response.status_code == 302
    consent = participant.consents.get()
    assert (consent.kind, consent.partner, consent.expires_on) == (
        "referral",
        partner,
        date(2025, 1, 10),
    )
    page = client_for(coordinator).get(reverse("participants:detail", args=[participant.pk]))
    assert "Legal Aid North" in page.content.decode()
    assert "expires on 10 Jan 2025" in page.content.decode()


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"kind": "referral"}, "partner", "Choose the partner agency"),
        ({"kind": "evaluation", "partner": "P"}, "partner", "Only a consent to share details"),
        (
            {"kind": "evaluation", "expires_on": "2024-01-10"},
            "expires_on",
            "The expiry date must be after the date the consent was given.",
        ),
    ],
)
def test_a_consent_with_a_wrong_partner_or_expiry_is_a_form_error(
    client_for, coordinator, org, data, field, message
):
    participant = ParticipantFactory(organisation=org)
    partner = PartnerFactory(organisation=org)
    post = {"given": "yes", "date": "2024-01-10", "text_version": "2024-1", **data}
    if post.get("partner") == "P":
        post["partner"] = partner.pk
    response = client_for(coordinator).post(
        reverse("participants:consent_add", args=[participant.pk]), post
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not participant.consents.exists()


def test_a_withdrawal_dated_in_the_future_is_refused(coordinator, org):
    consent = _evaluation(ParticipantFactory(organisation=org), coordinator)
    with pytest.raises(services.ValidationError, match="cannot be in the future"):
        services.consent_withdraw(consent=consent, on=TODAY + timedelta(days=3), by=coordinator)


# --- the consent rule of figures and exports ------------------------------------------------


def test_the_rule_counts_her_until_the_expiry_date_and_not_from_it(coordinator, org):
    participant = ParticipantFactory(organisation=org, evaluation_consent="unknown")
    _evaluation(participant, coordinator, on=date(2024, 1, 1), expires_on=date(2025, 1, 1))
    participant.refresh_from_db()
    assert participant.evaluation_consent_expires_on == date(2025, 1, 1)
    consented = Participant.objects.filter(pk=participant.pk)
    assert consented.filter(evaluation_consented(on=date(2024, 12, 31))).exists()
    assert not consented.filter(evaluation_consented(on=date(2025, 1, 1))).exists()
    assert not consented.filter(evaluation_consented()).exists()  # today, after it expired


def test_an_expired_evaluation_consent_leaves_her_surveys_out_of_outcome_statistics(
    org, coordinator
):
    world = build_eval(org)
    p1 = world.enrollments["e1"].participant
    period = year_period(world.program, 1)
    before = figures.report(world.program, period)
    _evaluation(p1, coordinator, on=date(2020, 4, 1), expires_on=TODAY + timedelta(days=10))
    assert figures.report(world.program, period) == before  # not expired yet

    _evaluation(p1, coordinator, on=date(2020, 4, 2), expires_on=TODAY)
    after = figures.report(world.program, period)
    gse_before, gse_after = before["instruments"]["GSE"], after["instruments"]["GSE"]
    # P1's two enrollments (e1, e4) each had a scored pre and post.
    assert gse_after["matched_n"] == gse_before["matched_n"] - 2
    assert gse_after["pre_n"] == gse_before["pre_n"] - 2
    # Participation and dosage still count her.
    assert after["participants"] == before["participants"]
    assert after["attendance_rate"] == before["attendance_rate"]
    assert figures.consent_left_out(world.program, period) == {
        "withdrawn": {"participants": 0, "administrations": 0},
        "expired": {"participants": 1, "administrations": 4},
    }


def test_the_report_notes_count_who_was_left_out_for_a_withdrawn_or_expired_consent(
    org, coordinator
):
    world = build_eval(org)
    p1 = world.enrollments["e1"].participant
    p2 = world.enrollments["e2"].participant
    _evaluation(p1, coordinator, on=date(2020, 4, 1), expires_on=date(2022, 4, 1))
    withdrawn = _evaluation(p2, coordinator, on=date(2020, 4, 1))
    services.consent_withdraw(consent=withdrawn, on=date(2022, 1, 1), by=coordinator)
    surveys_p2 = Administration.objects.filter(enrollment__participant=p2).count()
    run = EvaluationRun.objects.create(
        program=world.program,
        period=EvaluationRun.Period.ALL,
        request_key="consent-notes",
        parameters={"min_cell": 5},
    )
    run = runs.execute(run_id=run.pk)
    notes = " ".join(report.notes(run, external=False))
    assert (
        f"withdrawn: 1 people ({surveys_p2} surveys); because it expired: 1 people (4 surveys)"
        in notes
    )
    # For use outside the organisation, the small counts are suppressed.
    assert "withdrawn: < 5 people" in " ".join(report.notes(run, external=True))


def test_the_dataset_export_leaves_out_her_rows_once_her_consent_expired(org, coordinator):
    world = build_export(org, coordinator)

    def rows():
        # Internal, smallest cell 2: this small world is for the consent rule, not k.
        options = ExportOptions(
            min_cell=2, external=False, pseudonym_key=privacy.pseudonym_key("salt")
        )
        return list(export_services.make_exporter(world.program, "dataset", options).rows())

    before = rows()
    person = world.people["A"]
    _evaluation(person, coordinator, on=date(2020, 1, 1), expires_on=date(2021, 1, 1))
    after = rows()
    key = privacy.pseudonym_key("salt")
    theirs = privacy.pseudonym(key, person.pk)
    assert [row[0] for row in before].count(theirs) == 2  # A had two enrollments
    assert theirs not in {row[0] for row in after}


# --- referrals that share details -----------------------------------------------------------


@pytest.fixture
def referral_world(org):
    return ParticipantFactory(organisation=org), PartnerFactory(organisation=org, name="Shelter")


def _refer(participant, partner, by, on=TODAY):
    return services.referral_create(
        participant=participant, partner=partner, by=by, date=on, shares_details=True
    )


def test_a_referral_sharing_details_without_her_consent_is_refused(referral_world, coordinator):
    participant, partner = referral_world
    with pytest.raises(services.ValidationError) as refused:
        _refer(participant, partner, coordinator)
    assert "no current consent to share her details with Shelter" in str(refused.value)
    assert not Referral.objects.exists()
    # Without sharing her details, the referral is made.
    services.referral_create(participant=participant, partner=partner, by=coordinator, date=TODAY)
    assert Referral.objects.count() == 1


def test_a_consent_for_another_partner_an_expired_or_a_withdrawn_one_does_not_count(
    referral_world, coordinator, org
):
    participant, partner = referral_world
    _referral_consent(participant, PartnerFactory(organisation=org), coordinator)
    with pytest.raises(services.ValidationError):
        _refer(participant, partner, coordinator)
    _referral_consent(participant, partner, coordinator, expires_on=TODAY)
    with pytest.raises(services.ValidationError):
        _refer(participant, partner, coordinator)
    current = _referral_consent(participant, partner, coordinator, on=date(2021, 1, 1))
    assert _refer(participant, partner, coordinator).shares_details
    services.consent_withdraw(consent=current, on=TODAY, by=coordinator)
    with pytest.raises(services.ValidationError):
        _refer(participant, partner, coordinator)


def test_the_referral_page_explains_the_refusal_beside_the_field(
    client_for, coordinator, referral_world
):
    participant, partner = referral_world
    response = client_for(coordinator).post(
        reverse("participants:referral_add", args=[participant.pk]),
        {
            "partner": partner.pk,
            "date": TODAY.isoformat(),
            "status": "made",
            "shares_details": "on",
        },
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["shares_details"])
    assert "no current consent to share her details with Shelter" in errors
    assert not Referral.objects.exists()


# --- the coordinator dashboard --------------------------------------------------------------


def test_the_dashboard_lists_consents_expiring_in_the_next_30_days(client_for, coordinator, org):
    partner = PartnerFactory(organisation=org, name="Clinic")
    soon = ParticipantFactory(organisation=org, code="P-SOON")
    later = ParticipantFactory(organisation=org, code="P-LATER")
    gone = ParticipantFactory(organisation=org, code="P-GONE")
    withdrawn = ParticipantFactory(organisation=org, code="P-WDRN")
    _evaluation(soon, coordinator, expires_on=TODAY + timedelta(days=30))
    _referral_consent(soon, partner, coordinator, expires_on=TODAY + timedelta(days=3))
    _evaluation(later, coordinator, expires_on=TODAY + timedelta(days=31))
    _evaluation(gone, coordinator, expires_on=TODAY - timedelta(days=1))
    services.consent_withdraw(
        consent=_evaluation(withdrawn, coordinator, expires_on=TODAY + timedelta(days=5)),
        on=TODAY,
        by=coordinator,
    )
    response = client_for(coordinator).get(reverse("groupsessions:coordinator_dashboard"))
    listed = [(c.participant.code, c.kind) for c in response.context["expiring_consents"]]
    assert listed == [("P-SOON", "referral"), ("P-SOON", "evaluation")]
    page = response.content.decode()
    assert "Consents expiring soon" in page and "Clinic" in page
