"""A coordinator's week in a real browser at 1366 px, clicking only after signing in.

She creates a program whose 6 + 14 week curriculum is pasted in two lines, attaches a
ready-made instrument from the program's page, opens a cohort from there, enrols five
people (one found by name, one whose enrollment date she moves earlier) and logs the
first session. Every page she reaches must answer without an error and without a
technical message. Screenshots go to ``$SCREENSHOT_DIR`` (``test-artifacts/``).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from participants import services as participant_services
from participants.models import Enrollment
from participants.selectors import cohort_roster
from programs.models import Cohort, Program
from sessions.models import Session
from surveys.models import ProgramInstrument
from tests.browser.journey_helpers import ServerWatch, open_menu
from tests.factories import VolunteerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE = {"width": 1366, "height": 900}
TODAY = timezone.localdate()
PROGRAM_START = TODAY - timedelta(weeks=6)
# Two weeks ago: sessions 1 and 2 are behind us.
COHORT_START = TODAY - timedelta(weeks=2)
VOICES = (
    "Finding our Voices | Welcome and safety; Naming what happened; Feelings; "
    "Boundaries; Support around us; Closing the circle"
)
CIRCLE = "Growth circle | 14"
PEOPLE = ["Amaya Quill", "Bettina Roux", "Chloé Sandoval", "Dalia Okonkwo", "Esther Vance"]
TECHNICAL = re.compile(r"[Cc]onstraint|slug|Traceback|IntegrityError")


def plain(page) -> None:
    text = page.locator("body").inner_text()
    assert not TECHNICAL.search(text), f"technical message on {page.url}"


def test_a_coordinators_week_from_program_to_logged_session(
    browser, live_server, sign_in, shot, caplog, coordinator, org
):
    volunteer = VolunteerFactory(organisation=org, name="Nadia Facilitator", stage="trained")
    people = [
        participant_services.participant_create(organisation=org, by=None, preferred_name=name)
        for name in PEOPLE
    ]
    context = browser.new_context(base_url=live_server.url, viewport=WIDE)
    context.set_default_timeout(30_000)
    page = context.new_page()
    server = ServerWatch(caplog)
    server.watch(page)
    sign_in(page, coordinator)
    server.check("sign in")

    # 1. A program with a 6 + 14 week curriculum, pasted in two lines.
    open_menu(page, "Programs")
    page.wait_for_load_state()
    page.get_by_role("link", name="New program").click()
    page.locator("input[name=code]").fill("voices-2026")
    page.locator("input[name=name]").fill("Voices and Growth")
    page.locator("input[name=start_date]").fill(PROGRAM_START.isoformat())
    page.locator("textarea[name=bulk-text]").fill(f"{VOICES}\n{CIRCLE}")
    shot(page, "01-program-with-bulk-curriculum")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()
    server.check("create the program")
    program = Program.objects.get(organisation=org, code="voices-2026")
    assert list(program.modules.order_by("order").values_list("weeks", flat=True)) == [6, 14]
    assert program.topics.count() == 6
    assert "Modules (20 weeks)" in page.locator("main, body").first.inner_text()
    shot(page, "02-program-page")

    # 2. Instruments from the program's page.
    page.get_by_role("link", name="Attach instruments and set targets").click()
    page.locator("form[action$='/ready-made/gse/'] button").click()
    page.wait_for_load_state()
    server.check("attach an instrument")
    assert ProgramInstrument.objects.filter(program=program, instrument_code="GSE").exists()
    shot(page, "03-instrument-attached")
    page.locator(".breadcrumb").get_by_role("link", name="Voices and Growth").click()
    assert "GSE" in page.locator("body").inner_text()

    # 3. A cohort, from the program's page: the program is chosen already.
    page.get_by_role("link", name="New cohort").click()
    page.locator("input[name=code]").fill("voices-spring")
    page.locator("input[name=start_date]").fill(COHORT_START.isoformat())
    page.locator("select[name=weekday]").select_option(str(COHORT_START.weekday()))
    page.locator("input[name=start_time]").fill("18:30")
    page.locator("input[name=capacity]").fill("12")
    page.locator("select[name=status]").select_option("running")
    page.get_by_label("Nadia Facilitator").check()
    shot(page, "04-new-cohort")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()
    server.check("create the cohort")
    cohort = Cohort.objects.get(code="voices-spring")
    assert cohort.program == program
    assert cohort.sessions.count() == 20

    # 4. Five people: three by code, one by name, one moved to an earlier date.
    page.get_by_role("link", name="Enrollments", exact=True).click()
    for person in people[:3]:
        page.locator("input[name=code]").fill(person.code)
        assert page.locator("#id_on").input_value() == COHORT_START.isoformat()
        page.get_by_role("button", name="Enrol", exact=True).click()
        page.wait_for_load_state()
    server.check("enrol by code")
    page.get_by_label("Find a person by name").fill("chlo")
    page.get_by_role("button", name="Find", exact=True).click()
    page.wait_for_load_state()
    shot(page, "05-found-by-name")
    assert page.get_by_role("link", name=f"Choose {people[2].code}").count() == 1
    # Chloé is enrolled already (third above): find Dalia instead.
    page.get_by_label("Find a person by name").fill("dalia ok")
    page.get_by_role("button", name="Find", exact=True).click()
    page.get_by_role("link", name=f"Choose {people[3].code}").click()
    page.wait_for_load_state()
    assert page.locator("input[name=code]").input_value() == people[3].code
    page.get_by_role("button", name="Enrol", exact=True).click()
    page.wait_for_load_state()
    server.check("enrol by name")
    # Esther joins a week late on paper, then turns out to have come from the start.
    late = COHORT_START + timedelta(weeks=1)
    page.locator("input[name=code]").fill(people[4].code)
    page.locator("#id_on").fill(late.isoformat())
    page.get_by_role("button", name="Enrol", exact=True).click()
    page.wait_for_load_state()
    esther = Enrollment.objects.get(participant=people[4], cohort=cohort)
    assert esther.enrolled_on == late
    row = page.locator("tr", has_text=people[4].code)
    row.get_by_role("link", name="Change date").click()
    page.locator("input[name=on]").fill(COHORT_START.isoformat())
    shot(page, "06-earlier-enrollment-date")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()
    server.check("move an enrollment date earlier")
    plain(page)
    shot(page, "07-five-enrolled")
    assert Enrollment.objects.filter(cohort=cohort, status="enrolled").count() == 5
    first = Session.objects.get(cohort=cohort, number=1)
    assert {e.participant for e in cohort_roster(cohort=cohort, on=first.date)} == set(people)

    # 5. The first session is logged.
    open_menu(page, "Cohorts")
    page.wait_for_load_state()
    page.get_by_role("link", name="voices-spring").first.click()
    page.wait_for_load_state()
    # Sessions are listed by number: the first "Log" is session 1's.
    page.get_by_role("link", name="Log", exact=True).first.click()
    page.locator("textarea[name=topics_covered]").fill("Welcome and safety")
    shot(page, "08-session-log")
    page.get_by_role("button", name="Save log").click()
    page.wait_for_load_state()
    server.check("log the session")
    first.refresh_from_db()
    assert first.status == "held"
    assert list(first.facilitators.all()) == [volunteer]
    plain(page)
    shot(page, "09-session-logged")
    context.close()
