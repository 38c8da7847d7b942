"""Safe-contact rules per participant: recorded, shown beside every contact detail, and
obeyed by what the app prepares for her (survey links)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from participants.models import Participant
from surveys.models import SurveyLink
from tests.factories import (
    AttendanceFactory,
    CohortFactory,
    EnrollmentFactory,
    ParticipantFactory,
    PartnerFactory,
    ProgramFactory,
    SessionFactory,
    make_survey_setup,
)

pytestmark = pytest.mark.django_db


def test_rules_refuse_the_channels_she_does_not_allow():
    p = Participant(allow_text=False, no_messages=True)
    assert p.contact_refusal("phone") is None
    assert p.contact_refusal("email") is None
    assert "text messages" in p.contact_refusal("text")
    assert "voicemail" in p.contact_refusal("voicemail")
    never = Participant(contact_never=True)
    for channel in ("phone", "text", "voicemail", "email"):
        assert "not to be contacted at all" in never.contact_refusal(channel)
    assert never.contact_refusal("in_person") is None
    with pytest.raises(ValueError):
        p.contact_refusal("pigeon")


def test_coordinator_records_the_rules_and_they_show_beside_the_details(client_for, coordinator):
    client = client_for(coordinator)
    response = client.post(
        reverse("participants:create"),
        {
            "preferred_name": "Noor",
            "phone": "555-0177",
            "allow_phone": "on",
            "allow_email": "on",
            "no_messages": "on",
            "safe_times": "Tuesdays 13:00 to 15:00",
            "code_word": "marigold",
        },
    )
    assert response.status_code == 302
    p = Participant.objects.get()
    assert (p.allow_phone, p.allow_text, p.allow_voicemail, p.no_messages) == (
        True,
        False,
        False,
        True,
    )
    assert p.code_word == "marigold"
    html = client.get(reverse("participants:detail", args=[p.pk])).content.decode()
    rules = html[html.index("data-contact-rules") :]
    assert html.index("555-0177") < html.index("data-contact-rules")
    for text in ("Calls: yes", "Texts: no", "Do not leave messages", "marigold", "Tuesdays"):
        assert text in rules


def test_code_word_and_safe_times_are_encrypted_at_rest(org):
    from django.db import connection

    p = ParticipantFactory(organisation=org, code_word="marigold", safe_times="Tuesdays")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT code_word, safe_times FROM participants_participant WHERE id = %s", [p.pk]
        )
        stored = cursor.fetchone()
    assert "marigold" not in stored[0] and "Tuesdays" not in stored[1]


@pytest.fixture
def survey(org):
    instrument, cohort = make_survey_setup(organisation=org, code="GSE", n_items=3)
    participant = ParticipantFactory(organisation=org, allow_text=False, phone="555-0101")
    enrollment = EnrollmentFactory(cohort=cohort, participant=participant)
    return enrollment, reverse("surveys:survey_link_new", args=[enrollment.pk])


def _post(client, url, channel):
    data = {"instrument_code": "GSE", "timepoint": "pre", "language": "en", "channel": channel}
    return client.post(url, data)


def test_a_survey_link_is_not_sent_by_a_channel_she_does_not_allow(survey, coordinator, client_for):
    enrollment, url = survey
    client = client_for(coordinator)
    page = client.get(url).content.decode()
    assert "Texts: no" in page  # her rules, on the page that prepares the link
    response = _post(client, url, "text")
    assert response.status_code == 200
    html = response.content.decode()
    assert "She does not allow text messages." in html
    assert "Give her the link in person" in html
    assert not SurveyLink.objects.exists()
    assert _post(client, url, "email").status_code == 200
    assert SurveyLink.objects.count() == 1


def test_do_not_contact_allows_a_link_only_in_person(survey, coordinator, client_for):
    enrollment, url = survey
    Participant.objects.filter(pk=enrollment.participant_id).update(contact_never=True)
    client = client_for(coordinator)
    html = _post(client, url, "email").content.decode()
    assert "She asked not to be contacted at all." in html
    assert not SurveyLink.objects.exists()
    html = _post(client, url, "in_person").content.decode()
    assert "Let the person scan the code." in html and "send them the link" not in html
    assert SurveyLink.objects.count() == 1


def test_outreach_list_and_roster_say_do_not_contact(org, coordinator, client_for):
    today = timezone.localdate()
    cohort = CohortFactory(
        program=ProgramFactory(organisation=org), start_date=today - timedelta(days=28)
    )
    keep_away = EnrollmentFactory(
        cohort=cohort, participant__organisation=org, participant__contact_never=True
    )
    reachable = EnrollmentFactory(cohort=cohort, participant__organisation=org)
    present = EnrollmentFactory(cohort=cohort, participant__organisation=org)
    for k in (1, 2, 3):
        session = SessionFactory(cohort=cohort, number=k, date=today - timedelta(days=28 - 7 * k))
        AttendanceFactory(session=session, enrollment=present, status="present")
        AttendanceFactory(session=session, enrollment=keep_away, status="absent")
        AttendanceFactory(session=session, enrollment=reachable, status="absent")
    client = client_for(coordinator)
    html = client.get(reverse("groupsessions:coordinator_dashboard")).content.decode()
    section = html[html.index("outreach-heading") : html.index("supervision-heading")]
    rows = section.split("<tr>")
    row_of = {e: next(r for r in rows if e.participant.code in r) for e in (keep_away, reachable)}
    assert "Do not contact" in row_of[keep_away]
    assert "Do not contact" not in row_of[reachable] and "Calls: yes" in row_of[reachable]
    roster = client.get(reverse("participants:cohort_enrollments", args=[cohort.pk]))
    roster_rows = roster.content.decode().split("<tr>")
    assert "Do not contact" in next(r for r in roster_rows if keep_away.participant.code in r)
    assert "Do not contact" not in next(r for r in roster_rows if reachable.participant.code in r)


def test_referral_pages_say_do_not_contact(org, coordinator, client_for):
    p = ParticipantFactory(organisation=org, contact_never=True)
    PartnerFactory(organisation=org)
    html = (
        client_for(coordinator)
        .get(reverse("participants:referral_add", args=[p.pk]))
        .content.decode()
    )
    assert "Do not contact" in html
    assert "Tell the partner agency: do not contact her." in html
