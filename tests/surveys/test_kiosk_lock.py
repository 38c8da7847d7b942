"""While a kiosk is open in the session, the tablet hands over nothing but the kiosk."""

import pytest
from django.urls import reverse

from tests.factories import EnrollmentFactory, make_survey_setup

pytestmark = pytest.mark.django_db
PIN = "2468"


@pytest.fixture
def kiosk(org, coordinator, client_for):
    """A staff coordinator's session with a kiosk handed to a participant (locked)."""
    coordinator.is_staff = True
    coordinator.save()
    _instrument, cohort = make_survey_setup(organisation=org, code="GSE", n_items=3)
    enrollment = EnrollmentFactory(
        cohort=cohort, participant__code="P-SECRET", participant__preferred_name="Zelda Q"
    )
    client = client_for(coordinator)
    client.post(
        reverse("surveys:kiosk_start", args=[cohort.pk]),
        {"instrument_code": "GSE", "timepoint": "pre", "language": "en", "pin": PIN},
    )
    nxt = reverse("surveys:kiosk_next", args=[cohort.pk])
    assert client.post(nxt, {"enrollment": enrollment.pk}).status_code == 302
    return client, cohort, nxt


def _assert_shows_nothing(client, url, nxt):
    response = client.get(url)
    assert response.status_code == 302, url
    assert response["Location"] == nxt, url
    followed = client.get(url, follow=True).content.decode()
    assert "Zelda" not in followed and "P-SECRET" not in followed, url


def test_a_locked_kiosk_hands_over_no_other_page(kiosk, org):
    client, _cohort, nxt = kiosk
    for url in (
        reverse("participants:list"),
        reverse("home"),
        reverse("groupsessions:coordinator_dashboard"),
        reverse("exports:index"),
        reverse("audit_log"),
        reverse("profile"),
        reverse("admin:index"),
        reverse("admin:participants_participant_changelist"),
        "/no-such-page/",
    ):
        _assert_shows_nothing(client, url, nxt)


def test_a_locked_kiosk_cannot_be_restarted_with_a_new_pin(kiosk, org):
    client, cohort, nxt = kiosk
    response = client.post(
        reverse("surveys:kiosk_start", args=[cohort.pk]),
        {"instrument_code": "GSE", "timepoint": "pre", "language": "en", "pin": "1111"},
    )
    assert response["Location"] == nxt
    assert "Zelda" not in client.get(nxt).content.decode()
    _other_instrument, other = make_survey_setup(organisation=org, code="K10", n_items=2)
    for name in ("surveys:kiosk_start", "surveys:kiosk_next", "surveys:kiosk_handback"):
        assert client.get(reverse(name, args=[other.pk]))["Location"] == nxt


def test_the_kiosk_pages_static_files_and_signing_out_still_answer(kiosk):
    client, cohort, nxt = kiosk
    assert client.get(reverse("surveys:kiosk_answer", args=[cohort.pk])).status_code == 200
    assert client.get(reverse("surveys:kiosk_handback", args=[cohort.pk])).status_code == 200
    assert client.get(nxt).status_code == 200  # the PIN screen
    assert client.get("/static/css/app.css").status_code in (200, 404)  # never the kiosk
    client.post(reverse("account_logout"))
    assert client.get(reverse("participants:list"))["Location"].startswith("/accounts/login/")


def test_the_pin_and_ending_the_kiosk_give_the_session_back(kiosk):
    client, _cohort, nxt = kiosk
    client.post(nxt, {"pin": PIN})
    assert client.get(reverse("participants:list")).status_code == 302  # kiosk still open
    client.post(nxt, {"end": "1"})
    response = client.get(reverse("participants:list"))
    assert response.status_code == 200 and "P-SECRET" in response.content.decode()


def test_staff_who_forgot_the_pin_can_sign_out_from_the_lock_screen(kiosk):
    client, _cohort, nxt = kiosk
    assert reverse("account_logout") in client.get(nxt).content.decode()
