"""Least privilege for peer volunteers: a facilitator sees legal names, contact details
and safe-contact notes only with contact access to a current cohort (the table is
``tests.matrix.participants.CONTACT_ACCESS``)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from peersupport.models import AuditEntry
from programs.access import contact_cohort_ids
from programs.models import ContactAccessGrant, Volunteer
from programs.services import contact_access_grant, contact_access_revoke
from tests.factories import (
    CohortFactory,
    EnrollmentFactory,
    ParticipantFactory,
    ProgramFactory,
    SessionFactory,
)
from tests.matrix.participants import CONTACT_ACCESS

pytestmark = pytest.mark.django_db

PHONE = "555-0142"
LEGAL = "Rosalind Ferreira"
NOTES = "Call the shelter desk first"
CODE_WORD = "lighthouse"


@pytest.fixture
def setting(org, coordinator, facilitator):
    """A participant in a cohort the facilitator runs; its last session is ``last_day``."""
    today = timezone.localdate()
    volunteer = Volunteer.objects.create(organisation=org, user=facilitator, name="Ana")
    program = ProgramFactory(organisation=org)
    cohort = CohortFactory(
        program=program, start_date=today - timedelta(days=21), facilitators=[volunteer]
    )
    session = SessionFactory(cohort=cohort, number=4, date=today + timedelta(days=7))
    participant = ParticipantFactory(
        organisation=org,
        preferred_name="Ros",
        legal_name=LEGAL,
        phone=PHONE,
        email="ros@example.org",
        safe_contact=NOTES,
        code_word=CODE_WORD,
        safe_times="mornings",
    )
    EnrollmentFactory(participant=participant, cohort=cohort)
    return {
        "org": org,
        "cohort": cohort,
        "volunteer": volunteer,
        "session": session,
        "participant": participant,
        "coordinator": coordinator,
        "facilitator": facilitator,
        "today": today,
    }


def _arrange(situation: str, s) -> None:
    cohort, volunteer, by = s["cohort"], s["volunteer"], s["coordinator"]
    if "granted" in situation and "another cohort" not in situation:
        contact_access_grant(cohort=cohort, volunteer=volunteer, by=by)
    if "grant revoked" in situation:
        contact_access_grant(cohort=cohort, volunteer=volunteer, by=by)
        contact_access_revoke(cohort=cohort, volunteer=volunteer, by=by)
    if "ended within" in situation:
        s["session"].date = s["today"] - timedelta(days=10)  # grace is 14 days
        s["session"].save()
    if "ended beyond" in situation:
        s["session"].date = s["today"] - timedelta(days=15)
        s["session"].save()
    if "taken off" in situation:
        cohort.facilitators.clear()
        other = CohortFactory(program=cohort.program, facilitators=[volunteer])
        EnrollmentFactory(participant=s["participant"], cohort=other)  # still reaches her
    if "another cohort" in situation:
        other = CohortFactory(
            program=cohort.program, start_date=s["today"], facilitators=[volunteer]
        )
        contact_access_grant(cohort=other, volunteer=volunteer, by=by)


@pytest.mark.parametrize("situation", CONTACT_ACCESS)
def test_contact_access_table(situation, setting, client_for):
    _arrange(situation, setting)
    user = setting["coordinator"] if situation == "coordinator" else setting["facilitator"]
    response = client_for(user).get(
        reverse("participants:detail", args=[setting["participant"].pk])
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ros" in html and setting["participant"].code in html
    shown = [secret in html for secret in (PHONE, LEGAL, NOTES, CODE_WORD)]
    expected = CONTACT_ACCESS[situation]
    assert shown == [expected] * 4, situation
    # Her contact rules are on the page either way, beside the details or in their place.
    assert "data-contact-rules" in html


def test_the_grace_period_is_the_organisations_setting(setting):
    s = setting
    contact_access_grant(cohort=s["cohort"], volunteer=s["volunteer"], by=s["coordinator"])
    s["session"].date = s["today"] - timedelta(days=20)
    s["session"].save()
    membership = s["facilitator"].memberships.get()
    assert contact_cohort_ids(membership) == set()
    s["org"].contact_access_grace_days = 30
    s["org"].save()
    membership = s["facilitator"].memberships.select_related("organisation").get()
    assert contact_cohort_ids(membership) == {s["cohort"].pk}


def test_a_cohort_without_sessions_ends_when_its_weeks_run_out(setting):
    s = setting
    contact_access_grant(cohort=s["cohort"], volunteer=s["volunteer"], by=s["coordinator"])
    s["session"].delete()
    membership = s["facilitator"].memberships.select_related("organisation").get()
    # Program without modules: one week; started 19 days ago, it ended 13 days ago.
    s["cohort"].start_date = s["today"] - timedelta(days=19)
    s["cohort"].save()
    assert contact_cohort_ids(membership) == {s["cohort"].pk}
    s["cohort"].start_date = s["today"] - timedelta(days=30)
    s["cohort"].save()
    assert contact_cohort_ids(membership) == set()


def test_grant_and_revoke_are_audited_and_a_grant_is_kept_once(setting):
    s = setting
    first = contact_access_grant(cohort=s["cohort"], volunteer=s["volunteer"], by=s["coordinator"])
    again = contact_access_grant(cohort=s["cohort"], volunteer=s["volunteer"], by=s["coordinator"])
    assert first.pk == again.pk
    assert AuditEntry.objects.filter(action="contact_access.grant").count() == 1
    assert contact_access_revoke(cohort=s["cohort"], volunteer=s["volunteer"], by=s["coordinator"])
    first.refresh_from_db()
    assert first.revoked_at is not None and first.revoked_by == s["coordinator"]
    entry = AuditEntry.objects.get(action="contact_access.revoke")
    assert "revoked_at" in entry.changes
    # Given again: a new row, the old one stays as history.
    contact_access_grant(cohort=s["cohort"], volunteer=s["volunteer"], by=s["coordinator"])
    assert ContactAccessGrant.objects.filter(cohort=s["cohort"]).count() == 2


def test_only_a_facilitator_of_the_cohort_can_be_given_access(setting, client_for):
    s = setting
    outsider_volunteer = Volunteer.objects.create(organisation=s["org"], name="Not in it")
    response = client_for(s["coordinator"]).post(
        reverse("programs:contact_access", args=[s["cohort"].pk]),
        {"volunteer": outsider_volunteer.pk, "action": "grant"},
        follow=True,
    )
    assert "Choose one of this cohort&#x27;s facilitators." in response.content.decode()
    assert not ContactAccessGrant.objects.exists()


def test_coordinator_gives_and_ends_access_on_the_cohort_page(setting, client_for):
    s = setting
    client = client_for(s["coordinator"])
    cohort_url = reverse("groupsessions:cohort_detail", args=[s["cohort"].pk])
    page = client.get(cohort_url).content.decode()
    assert "Give contact access" in page
    url = reverse("programs:contact_access", args=[s["cohort"].pk])
    response = client.post(
        url, {"volunteer": s["volunteer"].pk, "action": "grant", "next": cohort_url}
    )
    assert response.status_code == 302 and response["Location"] == cohort_url
    page = client.get(cohort_url).content.decode()
    assert "End contact access" in page
    assert ContactAccessGrant.objects.filter(revoked_at__isnull=True).count() == 1
    client.post(url, {"volunteer": s["volunteer"].pk, "action": "revoke", "next": cohort_url})
    assert not ContactAccessGrant.objects.filter(revoked_at__isnull=True).exists()


def test_facilitators_do_not_see_the_contact_access_buttons(setting, client_for):
    page = client_for(setting["facilitator"]).get(
        reverse("groupsessions:cohort_detail", args=[setting["cohort"].pk])
    )
    assert "Give contact access" not in page.content.decode()
