"""Self-completion: one-time links (hashed, expiring, 404 and audited when bad), pages that
show nothing about anyone, and the kiosk that never shows names to participants."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from peersupport.models import AuditEntry, hash_token
from surveys.links import survey_link_create
from surveys.models import Administration, SurveyLink
from tests.factories import EnrollmentFactory, VolunteerFactory, make_survey_setup

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(org):
    instrument, cohort = make_survey_setup(organisation=org, code="GSE", n_items=3)
    for item in instrument.items.all():
        item.text_fr = f"Énoncé {item.number}"
        item.value_labels = {"1": "Never", "4": "Always", "fr": {"1": "Jamais"}}
        item.save()
    enrollment = EnrollmentFactory(
        cohort=cohort, participant__code="P-SECRET", participant__preferred_name="Zelda Q"
    )
    return instrument, cohort, enrollment


def _link(setup, by, **kw):
    instrument, _cohort, enrollment = setup
    return survey_link_create(
        enrollment=enrollment, instrument=instrument, timepoint="pre", language="en", by=by, **kw
    )


def _url(token):
    return reverse("surveys:survey_respond", args=[token])


def test_link_token_is_stored_only_as_a_hash(setup, coordinator):
    link, token = _link(setup, coordinator)
    assert link.token_hash == hash_token(token)
    assert token not in str(SurveyLink.objects.values().get())


def test_link_expires_after_the_configured_hours(setup, coordinator, settings):
    settings.SURVEY_LINK_VALID_HOURS = 5
    link, _token = _link(setup, coordinator)
    assert timedelta(hours=4, minutes=59) < link.expires_at - timezone.now() <= timedelta(hours=5)
    del settings.SURVEY_LINK_VALID_HOURS
    link2, _ = survey_link_create(
        enrollment=EnrollmentFactory(cohort=setup[1]),
        instrument=setup[0],
        timepoint="pre",
        language="en",
        by=coordinator,
    )
    assert link2.expires_at - timezone.now() > timedelta(hours=71)


def test_self_completion_page_shows_only_the_questions(setup, coordinator, client):
    _link_obj, token = _link(setup, coordinator)
    response = client.get(_url(token))
    assert response.status_code == 200
    html = response.content.decode()
    for secret in ("P-SECRET", "Zelda", setup[1].code, setup[1].name, "Safe Harbour"):
        assert secret not in html
    assert "Item 1" in html and "Never" in html
    assert 'name="item_1"' in html
    assert "navbar" not in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_self_completion_records_the_answers_and_spends_the_link(setup, coordinator, client):
    link, token = _link(setup, coordinator)
    response = client.post(_url(token), {"item_1": "4", "item_2": "3", "item_3": "1"})
    assert response.status_code == 302
    adm = Administration.objects.get()
    assert (adm.score, adm.mode, adm.entered_by, adm.timepoint) == (8.0, "self", None, "pre")
    link.refresh_from_db()
    assert link.used_at is not None
    done = client.get(response["Location"])
    assert "Thank you" in done.content.decode()


def test_reused_link_is_a_404_and_audited_without_identifying_detail(setup, coordinator, client):
    _link_obj, token = _link(setup, coordinator)
    client.post(_url(token), {"item_1": "4"})
    response = client.get(_url(token))
    assert response.status_code == 404
    assert "cannot be used" in response.content.decode()
    entry = AuditEntry.objects.filter(action="survey_link.refused").get()
    assert entry.detail == {"reason": "used"}
    assert entry.object_id == "" and entry.object_repr == ""
    assert Administration.objects.count() == 1


def test_expired_link_is_a_404_and_nothing_is_saved(setup, coordinator, client):
    link, token = _link(setup, coordinator)
    SurveyLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.post(_url(token), {"item_1": "4"}).status_code == 404
    assert not Administration.objects.exists()
    assert AuditEntry.objects.filter(
        action="survey_link.refused", detail__reason="expired"
    ).exists()


@pytest.mark.parametrize(
    "mangle", [lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), lambda t: "guess"]
)
def test_tampered_or_guessed_link_is_a_404_and_audited(setup, coordinator, client, mangle):
    _link_obj, token = _link(setup, coordinator)
    response = client.get(_url(mangle(token)))
    assert response.status_code == 404
    html = response.content.decode()
    assert "P-SECRET" not in html and "Zelda" not in html
    entry = AuditEntry.objects.filter(action="survey_link.refused").get()
    assert entry.actor is None
    assert entry.organisation is None
    assert entry.detail == {"reason": "unknown"}


def test_out_of_range_self_answer_keeps_the_link_usable(setup, coordinator, client):
    link, token = _link(setup, coordinator)
    response = client.post(_url(token), {"item_1": "9"})
    assert response.status_code == 400
    assert "Choose one of the answers" in response.content.decode()
    link.refresh_from_db()
    assert link.used_at is None
    assert not Administration.objects.exists()


def test_link_in_french_shows_french_wording(setup, coordinator, client):
    instrument, _cohort, enrollment = setup
    _link_obj, token = survey_link_create(
        enrollment=enrollment, instrument=instrument, timepoint="pre", language="fr", by=coordinator
    )
    html = client.get(_url(token)).content.decode()
    assert "Énoncé 1" in html and "Jamais" in html
    assert '<html lang="fr">' in html


def test_no_link_for_a_survey_already_recorded(setup, coordinator):
    _link(setup, coordinator)
    link, token = _link(setup, coordinator)  # a second link is fine while nothing is recorded
    from surveys.links import survey_link_submit

    survey_link_submit(link=link, answers={1: 1})
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        _link(setup, coordinator)


def test_issuing_a_link_shows_it_once_with_an_inline_qr_code(setup, coordinator, client_for):
    _instrument, _cohort, enrollment = setup
    url = reverse("surveys:survey_link_new", args=[enrollment.pk])
    response = client_for(coordinator).post(
        url, {"instrument_code": "GSE", "timepoint": "post", "language": "en"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and "/surveys/s/" in html
    link = SurveyLink.objects.get()
    assert link.timepoint == "post" and link.created_by == coordinator


def test_facilitator_of_another_cohort_cannot_issue_a_link(setup, facilitator, client_for):
    url = reverse("surveys:survey_link_new", args=[setup[2].pk])
    assert client_for(facilitator).get(url).status_code == 403


# --- kiosk --------------------------------------------------------------------------


def test_kiosk_shows_names_only_on_the_locked_staff_screen(setup, org, facilitator, client_for):
    instrument, cohort, enrollment = setup
    cohort.facilitators.add(VolunteerFactory(organisation=org, user=facilitator))
    other = EnrollmentFactory(cohort=cohort, participant__preferred_name="Yara W")
    client = client_for(facilitator)
    kiosk = {
        name: reverse(f"surveys:kiosk_{name}", args=[cohort.pk])
        for name in ("start", "next", "answer", "handback")
    }
    response = client.post(
        kiosk["start"],
        {"instrument_code": "GSE", "timepoint": "pre", "language": "en", "pin": "2468"},
    )
    assert response["Location"] == kiosk["next"]
    staff_screen = client.get(kiosk["next"]).content.decode()
    assert "Zelda" in staff_screen and "Yara" in staff_screen
    # The staff member picks the next person; the person sees only the questions.
    response = client.post(kiosk["next"], {"enrollment": enrollment.pk})
    assert response["Location"] == kiosk["answer"]
    questions = client.get(kiosk["answer"]).content.decode()
    for secret in ("Zelda", "Yara", "P-SECRET", other.participant.code):
        assert secret not in questions
    # The list is locked while the tablet is in the participant's hands.
    locked = client.get(kiosk["next"]).content.decode()
    assert "Zelda" not in locked and "Yara" not in locked
    response = client.post(kiosk["answer"], {"item_1": "2", "item_2": "2", "item_3": "2"})
    assert response["Location"] == kiosk["handback"]
    handback = client.get(kiosk["handback"]).content.decode()
    assert "hand the tablet back" in handback and "Yara" not in handback
    adm = Administration.objects.get()
    assert (adm.enrollment, adm.mode, adm.score) == (enrollment, "self", 6.0)
    # Wrong PIN: still locked. Right PIN: the list again, without the person who answered.
    assert "Yara" not in client.post(kiosk["next"], {"pin": "0000"}).content.decode()
    client.post(kiosk["next"], {"pin": "2468"})
    unlocked = client.get(kiosk["next"]).content.decode()
    assert "Yara" in unlocked and "Zelda" not in unlocked


def test_kiosk_signs_the_staff_member_out_after_five_wrong_pins(setup, coordinator, client_for):
    _instrument, cohort, enrollment = setup
    client = client_for(coordinator)
    nxt = reverse("surveys:kiosk_next", args=[cohort.pk])
    client.post(
        reverse("surveys:kiosk_start", args=[cohort.pk]),
        {"instrument_code": "GSE", "timepoint": "pre", "language": "en", "pin": "1357"},
    )
    client.post(nxt, {"enrollment": enrollment.pk})
    for _ in range(5):
        response = client.post(nxt, {"pin": "9999"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(nxt).status_code == 302
    assert AuditEntry.objects.filter(
        action="kiosk.pin_failed", detail__kiosk="pin_failures"
    ).exists()
