"""A participant completes a survey from a one-time link on a phone-sized screen."""

import os

import pytest

from surveys.links import survey_link_create
from surveys.models import Administration, Instrument
from tests.factories import EnrollmentFactory, make_survey_setup

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("display", ["one", "all"])
def test_participant_completes_a_survey_on_a_phone(
    phone, live_server, org, coordinator, shot, display
):
    instrument, cohort = make_survey_setup(organisation=org, code="GSE", n_items=3)
    Instrument.objects.filter(pk=instrument.pk).update(display=display)
    enrollment = EnrollmentFactory(
        cohort=cohort, participant__code="P-HIDDEN", participant__preferred_name="Quinn Z"
    )
    _link, token = survey_link_create(
        enrollment=enrollment, instrument=instrument, timepoint="pre", language="en", by=coordinator
    )
    phone.goto(f"/surveys/s/{token}/")
    html = phone.content()
    assert "P-HIDDEN" not in html and "Quinn" not in html and "Safe Harbour" not in html
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    # Touch targets are at least 44 px tall.
    first = phone.locator("label.survey-choice").first
    assert first.bounding_box()["height"] >= 44
    shot(phone, f"survey-{display}")
    for number, value in ((1, 4), (2, 3), (3, 2)):
        phone.locator(f"label[for='id_item_{number}_{value - 1}']").click()
        if display == "one" and number < 3:
            assert phone.locator(f"#q-{number + 1}").is_visible() is False
            phone.locator(f"#q-{number}").get_by_role("button", name="Next").click()
            assert phone.locator(f"#q-{number + 1}").is_visible()
            assert not phone.locator(f"#q-{number}").is_visible()
    phone.get_by_role("button", name="Send my answers").click()
    phone.wait_for_load_state()
    assert phone.get_by_role("heading", name="Thank you").is_visible()
    adm = Administration.objects.get()
    assert (adm.score, adm.mode) == (9.0, "self")
    # The link works once.
    response = phone.goto(f"/surveys/s/{token}/")
    assert response.status == 404
