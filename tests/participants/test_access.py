"""Who sees which participant, and that every look at a record is in the audit log."""

import pytest
from django.urls import reverse

from participants import services
from peersupport.models import AuditEntry
from programs.models import Volunteer
from tests.factories import (
    CohortFactory,
    ConsentFactory,
    EnrollmentFactory,
    ParticipantFactory,
    PartnerFactory,
    ProgramFactory,
    ReferralFactory,
)

pytestmark = pytest.mark.django_db
NAME = "Wren Nightshade"


@pytest.fixture
def facilitated(org, facilitator):
    """A cohort the facilitator runs, with one participant in it."""
    volunteer = Volunteer.objects.create(organisation=org, user=facilitator, name="V")
    cohort = CohortFactory(program=ProgramFactory(organisation=org), facilitators=[volunteer])
    return EnrollmentFactory(
        cohort=cohort, participant=ParticipantFactory(organisation=org, preferred_name=NAME)
    )


def _participant_urls(enrollment):
    p = enrollment.participant
    consent = ConsentFactory(participant=p)
    referral = ReferralFactory(participant=p)
    return [
        reverse("participants:list"),
        reverse("participants:create"),
        reverse("participants:detail", args=[p.pk]),
        reverse("participants:edit", args=[p.pk]),
        reverse("participants:delete", args=[p.pk]),
        reverse("participants:erase", args=[p.pk]),
        reverse("participants:consent_add", args=[p.pk]),
        reverse("participants:consent_withdraw", args=[consent.pk]),
        reverse("participants:enroll", args=[p.pk]),
        reverse("participants:referral_add", args=[p.pk]),
        reverse("participants:referral_edit", args=[referral.pk]),
        reverse("participants:cohort_enrollments", args=[enrollment.cohort_id]),
        reverse("participants:enrollment_withdraw", args=[enrollment.pk]),
        reverse("participants:partner_list"),
    ]


def test_evaluator_gets_403_on_participant_pages(client_for, evaluator, facilitated):
    c = client_for(evaluator)
    for url in (
        reverse("participants:list"),
        reverse("participants:detail", args=[facilitated.participant.pk]),
        reverse("participants:cohort_enrollments", args=[facilitated.cohort_id]),
    ):
        assert c.get(url).status_code == 403, url


def test_no_page_shows_a_name_to_an_evaluator(client_for, evaluator, facilitated):
    c = client_for(evaluator)
    for url in _participant_urls(facilitated):
        assert NAME not in c.get(url).content.decode(), url


def test_coordinator_and_facilitator_see_the_preferred_name(
    client_for, coordinator, facilitator, facilitated
):
    for user in (coordinator, facilitator):
        c = client_for(user)
        assert NAME in c.get(reverse("participants:list")).content.decode()
        detail = reverse("participants:detail", args=[facilitated.participant.pk])
        assert NAME in c.get(detail).content.decode()


def test_facilitator_sees_only_participants_of_their_cohorts(
    client_for, facilitator, facilitated, org
):
    elsewhere = EnrollmentFactory(
        cohort=CohortFactory(program=ProgramFactory(organisation=org)),
        participant=ParticipantFactory(organisation=org, preferred_name="Other Person"),
    )
    c = client_for(facilitator)
    listing = c.get(reverse("participants:list")).content.decode()
    assert facilitated.participant.code in listing
    assert elsewhere.participant.code not in listing
    assert c.get(reverse("participants:detail", args=[elsewhere.participant.pk])).status_code == 403
    cohort_page = reverse("participants:cohort_enrollments", args=[elsewhere.cohort_id])
    assert c.get(cohort_page).status_code == 403


def test_coordinator_sees_every_participant_of_the_organisation(client_for, coordinator, org):
    codes = [ParticipantFactory(organisation=org).code for _ in range(3)]
    listing = client_for(coordinator).get(reverse("participants:list")).content.decode()
    assert all(code in listing for code in codes)


def test_list_searches_by_code_only(client_for, coordinator, org):
    wanted = ParticipantFactory(organisation=org, code="P-00042", preferred_name="Alpha")
    other = ParticipantFactory(organisation=org, code="P-00077", preferred_name="Beta")
    c = client_for(coordinator)
    page = c.get(reverse("participants:list"), {"q": "042"}).context["page"]
    assert list(page) == [wanted]
    page = c.get(reverse("participants:list"), {"q": "Beta"}).context["page"]
    assert other not in list(page)


def test_list_filters_by_cohort_and_stage(client_for, coordinator, org):
    cohort = CohortFactory(program=ProgramFactory(organisation=org))
    waiting = EnrollmentFactory(cohort=cohort, status="waitlisted", enrolled_on=None)
    EnrollmentFactory(cohort=cohort)
    ParticipantFactory(organisation=org)
    page = (
        client_for(coordinator)
        .get(reverse("participants:list"), {"cohort": cohort.code.lower(), "status": "waitlisted"})
        .context["page"]
    )
    assert list(page) == [waiting.participant]


def test_facilitator_cannot_change_enrollments(client_for, facilitator, facilitated):
    c = client_for(facilitator)
    url = reverse("participants:enrollment_complete", args=[facilitated.pk])
    assert c.post(url, {"on": "2020-06-01"}).status_code == 403
    cohort_page = reverse("participants:cohort_enrollments", args=[facilitated.cohort_id])
    assert c.post(cohort_page, {"code": "P-1", "on": "2020-06-01"}).status_code == 403


@pytest.mark.parametrize("name", ["detail", "edit", "list", "cohort_enrollments"], ids=lambda n: n)
def test_every_view_of_a_participant_record_is_audited(client_for, coordinator, facilitated, name):
    p = facilitated.participant
    args = {
        "detail": [p.pk],
        "edit": [p.pk],
        "list": [],
        "cohort_enrollments": [facilitated.cohort_id],
    }[name]
    action = {
        "detail": "participant.view",
        "edit": "participant.view",
        "list": "participant.list",
        "cohort_enrollments": "enrollment.list",
    }[name]
    client_for(coordinator).get(reverse(f"participants:{name}", args=args))
    entry = AuditEntry.objects.get(action=action, actor=coordinator)
    assert entry.organisation_id == p.organisation_id
    if name in ("detail", "edit"):
        assert entry.object_id == str(p.pk)
    else:
        assert p.code in entry.detail["codes"]
    assert NAME not in str(entry.detail)


def test_refused_look_is_audited(client_for, evaluator, facilitated):
    client_for(evaluator).get(reverse("participants:detail", args=[facilitated.participant.pk]))
    assert AuditEntry.objects.filter(action="access.denied", actor=evaluator).exists()


def test_referral_to_another_organisations_partner_is_a_form_error(
    client_for, coordinator, facilitated, other_org
):
    foreign = PartnerFactory(organisation=other_org)
    response = client_for(coordinator).post(
        reverse("participants:referral_add", args=[facilitated.participant.pk]),
        {"partner": foreign.pk, "date": "2020-06-01", "status": "made"},
    )
    assert response.status_code == 200
    assert "partner" in response.context["form"].errors


def test_list_filters_erased_participants(client_for, coordinator, org):
    kept = ParticipantFactory(organisation=org)
    erased = ParticipantFactory(organisation=org)
    services.participant_erase(participant=erased, by=coordinator)
    c = client_for(coordinator)
    assert list(c.get(reverse("participants:list"), {"erased": "true"}).context["page"]) == [erased]
    assert list(c.get(reverse("participants:list"), {"erased": "false"}).context["page"]) == [kept]


def test_what_is_typed_in_the_search_box_is_not_logged(client_for, coordinator, org):
    ParticipantFactory(organisation=org)
    client_for(coordinator).get(reverse("participants:list"), {"q": NAME})
    entry = AuditEntry.objects.get(action="participant.list")
    assert NAME not in str(entry.detail)
    assert entry.detail["filters"] == ["q"]
