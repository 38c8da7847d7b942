"""A program year, from setup to the funder's report, in a real browser.

A coordinator signs in with two-factor authentication, sets up a 20-week program from the
template with two ready-made instruments, opens a cohort and enrols six women. A
facilitator takes attendance on her phone; one woman answers her pre survey on her own
phone from a link; the weeks go by; the post surveys are entered. An evaluator then
computes the Year 1 figures, checks them against what was recorded, and downloads the
report workbook and the de-identified data set.

Screenshots of each step go to ``$SCREENSHOT_DIR`` (default ``test-artifacts/``).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from participants.models import Enrollment
from programs.models import Cohort, Program
from sessions import services as session_services
from sessions.attendance import attendance_record_sheet
from sessions.models import Attendance, Session
from surveys.instruments import current_instrument
from surveys.services import administration_create
from tests.browser.journey_helpers import (
    DESKTOP,
    PHONE,
    ServerWatch,
    authenticator_code,
    download,
    new_page,
    open_account_menu,
    open_menu,
    pk_from_url,
)
from tests.factories import VolunteerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = timezone.localdate()
# The cohort began 21 weeks ago, so its 20 weekly sessions are all behind us; the program
# began a little earlier, so the cohort falls in Year 1.
PROGRAM_START = TODAY - timedelta(weeks=26)
COHORT_START = TODAY - timedelta(weeks=21)
LAST_SESSION = COHORT_START + timedelta(weeks=19)
SESSIONS = 20

# (preferred name, birth year, consents to evaluation use)
WOMEN = [
    ("Amaya Quillfeather", 1988, True),
    ("Bettina Rousseau", 1979, True),
    ("Chloé Sandoval", 1992, True),
    ("Dalia Okonkwo", 1985, True),
    ("Esther Vantongeren", 1990, True),
    ("Fern Whitcombe", 1983, False),
]
AMAYA, BETTINA, CHLOE, DALIA, FERN = 0, 1, 2, 3, 5

# Attendance, worked out by hand. Session 1: everyone but Chloé. Session 2: everyone
# (Dalia late, which counts as attending). Sessions 3-20: one woman missing each week.
ATTENDED = (6 - 1) + 6 + (SESSIONS - 2) * (6 - 1)  # 101
OFFERED = SESSIONS * 6  # 120 (everyone enrolled on the first day)
ATTENDANCE_PCT = "84%"  # 101 / 120 = 84.2%
ATTENDED_MEAN = "16.8"  # 101 / 6


def gse_answers(person: int, timepoint: str) -> list[int]:
    """Self-efficacy, 10 items scored 1-4: around 20 before, around 30 after."""
    if timepoint == "pre":
        return [1] * person + [2] * (10 - person)
    return [4] * person + [3] * (10 - person)


def swb_answers(person: int, timepoint: str) -> list[int]:
    """Wellbeing (SWEMWBS), 7 items scored 1-5."""
    if timepoint == "pre":
        return [3] * person + [2] * (7 - person)
    return [3] * person + [4] * (7 - person)


@dataclass
class Year:
    """What the story has made so far, for the steps that follow."""

    program: Program | None = None
    cohort: Cohort | None = None
    codes: list[str] | None = None

    def enrollment(self, person: int) -> Enrollment:
        return Enrollment.objects.get(cohort=self.cohort, participant__code=self.codes[person])


# --- the story --------------------------------------------------------------------------


@pytest.fixture
def new_browser(browser, live_server):
    """``new_browser(device)``: a page in a browser of its own (another person, another
    device), closed after the test."""
    pages = []

    def open_page(device=DESKTOP):
        pages.append(new_page(browser, live_server, device))
        return pages[-1]

    yield open_page
    for page in pages:
        page.context.close()


def test_a_program_year_from_setup_to_funder_report(
    page, new_browser, sign_in, shot, settings, caplog, org, coordinator, facilitator,
    evaluator, password,
):  # fmt: skip
    # A whole year happens in one afternoon: let the facilitator record sessions that are
    # weeks old, as she would have on the day.
    settings.ATTENDANCE_EDIT_WINDOW_DAYS = 365
    org.require_mfa = True
    org.save()
    rosa = VolunteerFactory(organisation=org, user=facilitator, name="Rosa")
    server = ServerWatch(caplog)
    year = Year()
    page.context.set_default_timeout(30_000)
    server.watch(page)

    coordinator_signs_in_for_the_first_time_and_sets_up_mfa(
        page, sign_in, shot, coordinator, password
    )
    server.check("coordinator signs in with MFA")

    year.program = coordinator_creates_the_program_from_the_template(page, shot)
    coordinator_adds_the_ready_made_instruments(page, shot, year.program)
    year.cohort = coordinator_opens_a_cohort(page, shot, year.program)
    year.codes = [
        coordinator_registers_a_participant(page, shot, name, born, consents)
        for name, born, consents in WOMEN
    ]
    coordinator_enrols_everyone(page, shot, year)
    coordinator_assigns_the_facilitator(page, shot, year.cohort, rosa)
    server.check("coordinator sets up the program")

    phone = server.watch(new_browser(PHONE))
    facilitator_signs_in_with_her_authenticator(phone, sign_in, facilitator)
    facilitator_takes_attendance_at_the_first_session(phone, shot, year)
    server.check("facilitator logs the first session")

    link = coordinator_issues_a_survey_link(page, shot, year, AMAYA)
    amaya_answers_her_pre_survey_on_her_phone(server.watch(new_browser(PHONE)), shot, link, year)
    coordinator_enters_paper_surveys(page, shot, year, BETTINA, "pre", codes=("GSE", "SWEMWBS"))
    the_other_pre_surveys_are_entered(year, coordinator)
    server.check("pre surveys")

    facilitator_takes_attendance_at_the_second_session(phone, shot, year)
    the_other_weeks_go_by(year, coordinator, rosa)
    server.check("sessions are held")

    coordinator_enters_paper_surveys(page, shot, year, BETTINA, "post", codes=("GSE",))
    the_other_post_surveys_are_entered(year, coordinator)
    server.check("post surveys")

    evaluator_page = server.watch(new_browser())
    evaluator_signs_in_with_her_authenticator(evaluator_page, sign_in, shot, evaluator)
    evaluator_reads_the_year_1_report(evaluator_page, shot, year)
    evaluator_downloads_the_report_workbook(evaluator_page, shot)
    evaluator_downloads_the_de_identified_data(evaluator_page, shot, year)
    server.check("evaluator's report and exports")


# --- 1. The coordinator signs in with two-factor authentication ---------------------------


def coordinator_signs_in_for_the_first_time_and_sets_up_mfa(
    page, sign_in, shot, coordinator, password
):
    from playwright.sync_api import expect

    sign_in(page, coordinator)
    # Her organisation requires MFA: she is sent to set up an authenticator app first,
    # after confirming her password once more (allauth asks before adding a factor).
    expect(page.get_by_role("heading", name="Confirm Access")).to_be_visible()
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Activate Authenticator App")).to_be_visible()
    secret = page.locator("#authenticator_secret").input_value()
    shot(page, "01-set-up-authenticator")
    page.get_by_label("Authenticator code").fill(authenticator_code(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()

    sign_out(page)
    sign_in(page, coordinator)
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    page.locator("input[name=code]").fill(authenticator_code(secret))
    shot(page, "02-enter-authenticator-code")
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def sign_out(page):
    open_account_menu(page)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/accounts/(login|logout)/"))
    if "/logout/" in page.url:  # allauth asks to confirm
        page.get_by_role("button", name="Sign Out").click()
        page.wait_for_url(re.compile(r"/accounts/login/"))


# --- 2. The coordinator sets up the program, the cohort and the roster ---------------------


def labelled(page, text):
    """The field labelled exactly ``text`` (a required field's label ends with "*")."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(text)}\s*\*?\s*$", re.IGNORECASE))


def coordinator_creates_the_program_from_the_template(page, shot) -> Program:
    from playwright.sync_api import expect

    open_menu(page, "Programs")
    page.get_by_role("link", name="New from a template").click()
    page.get_by_label("20-week peer support program").check()
    page.get_by_label("Code").fill("eastside")
    page.get_by_label("Name").fill("Eastside women's peer support")
    page.get_by_label("Start date").fill(PROGRAM_START.isoformat())
    shot(page, "03-program-from-template")
    page.get_by_role("button", name="Create program").click()
    expect(page.get_by_text("created from the template")).to_be_visible()
    program = Program.objects.get(pk=pk_from_url(page, r"/programs/(\d+)/edit/"))
    assert program.modules.count() == 2 and program.topics.count() == SESSIONS
    return program


def coordinator_adds_the_ready_made_instruments(page, shot, program):
    from playwright.sync_api import expect

    # From the program's page, its hub.
    page.get_by_role("link", name="Program page").click()
    page.get_by_role("link", name="Attach instruments and set targets").click()
    for name in ("General Self-Efficacy Scale", "Short Warwick"):
        card = page.locator(".card").filter(has_text=name)
        card.get_by_role("button", name="Add to program").click()
        expect(page.get_by_text(re.compile(rf"{name}.* added to the program\."))).to_be_visible()
        expect(page.locator(".card").filter(has_text=name).get_by_text("In use")).to_be_visible()
    shot(page, "04-program-instruments")
    codes = sorted(program.instruments.values_list("instrument_code", flat=True))
    assert codes == ["GSE", "SWEMWBS"]


def coordinator_opens_a_cohort(page, shot, program) -> Cohort:
    from playwright.sync_api import expect

    open_menu(page, "Cohorts")
    page.get_by_role("link", name="New cohort").click()
    page.get_by_label("Program").select_option(label=str(program))
    page.get_by_label("Code").fill("EAST-1")
    page.get_by_label("Name").fill("Thursday evening circle")
    page.get_by_label("Start date").fill(COHORT_START.isoformat())
    page.get_by_label("Weekday").select_option(str(COHORT_START.weekday()))
    page.get_by_label("Start time").fill("18:00")
    page.get_by_label("Location").fill("Community room")
    page.get_by_label("Status").select_option(label="Running")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(f"Cohort created with {SESSIONS} sessions.")).to_be_visible()
    shot(page, "05-cohort")
    return Cohort.objects.get(pk=pk_from_url(page, r"/cohorts/(\d+)/"))


def open_cohort(page, cohort):
    open_menu(page, "Cohorts")
    page.get_by_role("link", name=cohort.code, exact=True).click()


def coordinator_registers_a_participant(page, shot, name, born, consents) -> str:
    from playwright.sync_api import expect

    open_menu(page, "Participants")
    page.get_by_role("link", name="New participant").click()
    page.get_by_label("Preferred name").fill(name)
    page.get_by_label("Birth year").fill(str(born))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(re.compile(r"Participant .+ is saved\."))).to_be_visible()
    code = page.get_by_role("heading", level=1).inner_text().strip()

    page.get_by_role("link", name="Record consent").click()
    labelled(page, "Purpose").select_option(label="Consent to evaluation use")
    page.get_by_label("Given" if consents else "Refused").check()
    labelled(page, "Date").fill(COHORT_START.isoformat())
    page.get_by_label("Version of the consent text").fill("2025-1")
    if name == WOMEN[0][0]:
        shot(page, "06-consent")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Consent recorded.")).to_be_visible()
    return code


def coordinator_enrols_everyone(page, shot, year):
    from playwright.sync_api import expect

    open_cohort(page, year.cohort)
    page.get_by_role("link", name="Enrollments").click()
    for code in year.codes:
        form = page.locator("form").filter(has=page.get_by_label("Participant code"))
        form.get_by_label("Participant code").fill(code)
        labelled(form, "Enrolled from").fill(COHORT_START.isoformat())
        form.get_by_role("button", name="Enrol").click()
        expect(page.get_by_text(f"{code} is enrolled in cohort EAST-1.")).to_be_visible()
    expect(page.get_by_text("6 of 20 places taken")).to_be_visible()
    shot(page, "07-enrollments")


def coordinator_assigns_the_facilitator(page, shot, cohort, volunteer):
    from playwright.sync_api import expect

    open_cohort(page, cohort)
    page.get_by_role("link", name="Facilitators", exact=True).click()
    page.get_by_label(volunteer.name).check()
    shot(page, "08-facilitators")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Facilitators saved.")).to_be_visible()
    assert list(cohort.facilitators.all()) == [volunteer]


# --- 3. The facilitator takes attendance on her phone ---------------------------------------


def facilitator_signs_in_with_her_authenticator(phone, sign_in, facilitator):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from playwright.sync_api import expect

    # She reads names and contact details: her organisation's MFA rule applies to her too.
    # Her authenticator app was set up on an earlier day.
    secret = generate_totp_secret()
    TOTP.activate(facilitator, secret)
    sign_in(phone, facilitator)
    expect(phone.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    phone.locator("input[name=code]").fill(authenticator_code(secret))
    phone.get_by_role("button", name="Sign In").click()
    phone.wait_for_load_state()


def open_sheet_of_session(phone, number):
    phone.goto("/sessions/mine/")
    row = phone.locator("li.session-missing").filter(
        has_text=re.compile(rf"Session {number}(?!\d)")
    )
    row.get_by_role("link", name="Record").click()


def sheet_row(phone, enrollment):
    return phone.locator(f"#att-{enrollment.pk}")


def tap(phone, enrollment, status):
    from playwright.sync_api import expect

    row = sheet_row(phone, enrollment)
    row.get_by_role("button", name=status).click()
    expect(row.get_by_role("button", name=status)).to_have_attribute("aria-pressed", "true")
    expect(row.locator(".att-saved")).to_be_visible()


def save_the_sheet(phone, topics):
    from playwright.sync_api import expect

    phone.get_by_label("Topics covered").fill(topics)
    phone.get_by_role("button", name="Save the sheet").click()
    expect(phone.get_by_text("The session is saved as held.")).to_be_visible()


def facilitator_takes_attendance_at_the_first_session(phone, shot, year):
    from playwright.sync_api import expect

    open_sheet_of_session(phone, 1)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.get_by_role("button", name="Mark all present").click()
    expect(phone.get_by_text("6 people marked present.")).to_be_visible()
    tap(phone, year.enrollment(CHLOE), "Absent")
    shot(phone, "09-attendance-sheet")
    save_the_sheet(phone, "Welcome and group agreements")
    shot(phone, "10-first-session-saved")
    first = year.cohort.sessions.get(number=1)
    assert first.status == Session.Status.HELD
    assert sorted(Attendance.objects.filter(session=first).values_list("status", flat=True)) == (
        ["absent"] + ["present"] * 5
    )


def facilitator_takes_attendance_at_the_second_session(phone, shot, year):
    from playwright.sync_api import expect

    open_sheet_of_session(phone, 2)
    phone.get_by_role("button", name="Mark all present").click()
    expect(phone.get_by_text("6 people marked present.")).to_be_visible()
    tap(phone, year.enrollment(DALIA), "Late")
    save_the_sheet(phone, "Who am I? Strengths and values")
    shot(phone, "15-second-session-saved")


def the_other_weeks_go_by(year, coordinator, volunteer):
    # Fast-forwarding time, not a workaround: sessions 3-20 are recorded with the same
    # services the attendance sheet uses, one woman missing each week.
    enrollments = [year.enrollment(person) for person in range(len(WOMEN))]
    for session in year.cohort.sessions.filter(number__gt=2).order_by("number"):
        missing = enrollments[session.number % len(enrollments)]
        attendance_record_sheet(
            session=session,
            statuses={e.pk: "absent" if e == missing else "present" for e in enrollments},
            by=coordinator,
        )
        session_services.session_log(
            session=session,
            by=coordinator,
            topics_covered=session.topic,
            notes="",
            incident_flagged=False,
            incident_notes="",
            facilitators=[volunteer],
            duration_minutes=180,
        )
    assert year.cohort.sessions.filter(status=Session.Status.HELD).count() == SESSIONS


# --- 4 and 6. Pre and post surveys -------------------------------------------------------


def open_survey_todo(page, year):
    open_menu(page, "Surveys")
    page.get_by_role("link", name=str(year.cohort)).click()


def coordinator_issues_a_survey_link(page, shot, year, person) -> str:
    from playwright.sync_api import expect

    open_survey_todo(page, year)
    fern = page.locator("tr").filter(has_text=year.codes[FERN])
    expect(fern.get_by_text("not used in evaluation")).to_be_visible()
    row = page.locator("tr").filter(has_text=year.codes[person])
    row.get_by_role("link", name="Link / QR").click()
    page.get_by_label("Instrument").select_option("GSE")
    page.get_by_label("Timepoint").select_option(label="Pre")
    page.get_by_label("Language of the survey").select_option("en")
    page.get_by_role("button", name="Create the link").click()
    expect(page.locator(".survey-qr svg")).to_be_visible()
    shot(page, "11-survey-link")
    return page.locator("#survey-url").input_value()


def amaya_answers_her_pre_survey_on_her_phone(phone, shot, link, year):
    from playwright.sync_api import expect

    # Her own phone: nobody is signed in, and the page says nothing about who she is.
    phone.goto(link)
    html = phone.content()
    for secret in (WOMEN[AMAYA][0], year.codes[AMAYA], "Safe Harbour"):
        assert secret not in html, f"{secret} is shown on the public survey page"
    answers = gse_answers(AMAYA, "pre")
    for number, value in enumerate(answers, 1):
        phone.locator(f"label[for='id_item_{number}_{value - 1}']").click()
        step = phone.locator(f"#q-{number}").get_by_role("button", name="Next")
        if step.is_visible():  # one question per screen
            step.click()
    shot(phone, "12-survey-on-phone")
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()
    shot(phone, "13-survey-thanks")


def coordinator_enters_paper_surveys(page, shot, year, person, timepoint, codes):
    from playwright.sync_api import expect

    answers = {"GSE": gse_answers, "SWEMWBS": swb_answers}
    when = COHORT_START if timepoint == "pre" else LAST_SESSION
    for code in codes:
        open_survey_todo(page, year)
        page.get_by_role("link", name=f"Enter {code} {timepoint}").click()
        page.get_by_label("Participant").select_option(str(year.enrollment(person).pk))
        page.get_by_label("Date completed").fill(when.isoformat())
        for number, value in enumerate(answers[code](person, timepoint), 1):
            page.locator(f"input[name=item_{number}]").fill(str(value))
        shot(page, f"{14 if timepoint == 'pre' else 16}-staff-entry-{code}-{timepoint}")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_text(f"Saved for {year.codes[person]}.")).to_be_visible()


def record_survey(year, coordinator, person, code, timepoint):
    answers = {"GSE": gse_answers, "SWEMWBS": swb_answers}[code](person, timepoint)
    administration_create(
        enrollment=year.enrollment(person),
        instrument=current_instrument(organisation=year.program.organisation, code=code),
        timepoint=timepoint,
        date=COHORT_START if timepoint == "pre" else LAST_SESSION,
        mode="staff",
        answers=dict(enumerate(answers, 1)),
        by=coordinator,
    )


def consenting():
    return [person for person, (_n, _b, consents) in enumerate(WOMEN) if consents]


def the_other_pre_surveys_are_entered(year, coordinator):
    # For speed: the same service as the staff entry page, for the surveys not shown above.
    record_survey(year, coordinator, AMAYA, "SWEMWBS", "pre")
    for person in consenting():
        if person not in (AMAYA, BETTINA):
            for code in ("GSE", "SWEMWBS"):
                record_survey(year, coordinator, person, code, "pre")


def the_other_post_surveys_are_entered(year, coordinator):
    record_survey(year, coordinator, BETTINA, "SWEMWBS", "post")
    for person in consenting():
        if person != BETTINA:
            for code in ("GSE", "SWEMWBS"):
                record_survey(year, coordinator, person, code, "post")


# --- 7. The evaluator reads the report and downloads the files -------------------------


def evaluator_signs_in_with_her_authenticator(page, sign_in, shot, evaluator):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from playwright.sync_api import expect

    # Her authenticator app was set up on an earlier day.
    secret = generate_totp_secret()
    TOTP.activate(evaluator, secret)
    sign_in(page, evaluator)
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    page.locator("input[name=code]").fill(authenticator_code(secret))
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Evaluation reports")).to_be_visible()
    shot(page, "17-evaluator-home")


def evaluator_reads_the_year_1_report(page, shot, year):
    from playwright.sync_api import expect

    page.get_by_role("row").filter(has_text=year.program.name).get_by_role(
        "link", name="Report"
    ).click()
    page.get_by_label("Period").select_option(label="Program year")
    page.get_by_label("Program year").fill("1")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("button", name="Compute these figures").click()
    expect(page.get_by_role("heading", name="Summary")).to_be_visible()
    shot(page, "18-year-1-report")

    summary = page.locator(".report-summary").first.inner_text()
    assert (
        f"6 participants took part in Year 1, attending {ATTENDED_MEAN} "
        f"({ATTENDANCE_PCT}) of 20 sessions on average"
    ) in summary, summary
    table = page.locator("table").filter(has=page.locator("caption", has_text="by period"))
    cells = table.get_by_role("row").filter(has_text="Year 1").locator("td").all_inner_texts()
    participants, enrollments, offered, attended, rate = cells[:5]
    assert (participants, enrollments) == ("6", "6"), cells
    assert (offered, attended, rate) == ("20.0", ATTENDED_MEAN, ATTENDANCE_PCT), cells
    assert round(100 * ATTENDED / OFFERED) == int(ATTENDANCE_PCT.rstrip("%"))

    charts = page.locator("figure.report-chart svg")
    # Attendance by year; GSE: % meeting its target and mean before/after; SWEMWBS has no
    # target score, so only its mean before/after is drawn.
    expect(charts).to_have_count(1 + 2 + 1)
    expect(charts.first.locator("rect.chart-bar")).to_have_count(1)

    # Five women consented and answered both surveys: enough to show every outcome figure.
    gse = page.locator("section").filter(has=page.get_by_role("heading", name="(GSE)"))
    cells = gse.get_by_role("row").filter(has_text="Year 1").locator("td").all_inner_texts()
    assert cells[:3] == ["5", "5", "5"], cells
    # Every post score (30 to 34) reaches the instrument's target of 29.
    assert cells[9] == "100%", cells


def evaluator_downloads_the_report_workbook(page, shot):
    from openpyxl import load_workbook

    open_menu(page, "Exports")
    shot(page, "19-exports")
    runs = page.locator(".export-runs li").filter(has_text="Year 1")
    name, data = download(page, runs.get_by_role("link", name="XLSX").click)
    assert name.endswith(".xlsx"), name
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert "Year 1" in book.sheetnames, book.sheetnames
    rows = list(book["Year 1"].iter_rows(values_only=True))
    # First row: labels in the reader's language; second row: variable names.
    header = rows[1]
    figures = {
        r[header.index("measure")]: r[header.index("value")]
        for r in rows[2:]
        if not r[header.index("instrument")]
    }
    assert figures["participants"] == 6, figures
    assert figures["attendance_rate"] == pytest.approx(ATTENDED / OFFERED), figures


def evaluator_downloads_the_de_identified_data(page, shot, year):
    form = page.locator("form.export-form")
    form.get_by_label("Export").select_option(label="De-identified participant-level dataset")
    form.get_by_label("Format").select_option("csv")
    form.get_by_label("Cohorts").select_option(label="One program year")
    form.get_by_label("Program year").fill("1")
    shot(page, "20-de-identified-export")
    name, data = download(page, form.get_by_role("button", name="Export").click)
    assert name.endswith(".csv"), name

    assert data.startswith(b"\xef\xbb\xbf"), data[:20]
    for full_name, _born, _consents in WOMEN:
        for part in full_name.split():
            assert part.encode() not in data, f"{part} appears in the de-identified file"
    for code in year.codes:
        assert code.encode() not in data, f"{code} appears in the de-identified file"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    # One row per enrollment of a woman who consented (Fern said no).
    assert len(rows) == len(consenting()) == 5, rows
    pseudonyms = {row["pseudonym"] for row in rows}
    assert len(pseudonyms) == 5 and not pseudonyms & set(year.codes), pseudonyms
    assert {row["cohort"] for row in rows} == {"EAST-1"}
    attended = sorted(int(row["sessions_attended"]) for row in rows)
    assert {int(row["sessions_offered"]) for row in rows} == {SESSIONS}
    assert attended == sorted(attended_by_hand()[p] for p in consenting()), attended


def attended_by_hand() -> list[int]:
    """Sessions each woman attended, from the plan above."""
    counts = [SESSIONS] * len(WOMEN)
    counts[CHLOE] -= 1  # absent at session 1
    for number in range(3, SESSIONS + 1):
        counts[number % len(WOMEN)] -= 1
    assert sum(counts) == ATTENDED
    return counts
