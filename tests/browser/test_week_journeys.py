"""A facilitator's and an evaluator's week in a real browser, clicking only once signed in
(no typed addresses):

1. the facilitator, on a 375 px phone, takes attendance at today's session and flags a
   safety incident; the coordinator then finds the incident on the dashboard and records
   its follow-up, after which it leaves the dashboard;
2. the evaluator computes a report (the button shows that it is working) and downloads
   its PDF from the job page, which shows the progress.

The data is the demo organisation's. Screenshots of each step are saved as artifacts.
"""

from __future__ import annotations

import os
import re

import pytest
from django.utils import timezone

from tests.browser.journey_helpers import (
    DESKTOP,
    PHONE,
    ServerWatch,
    download,
    new_page,
    open_menu,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INCIDENT = "BIY-0042 was followed to the venue by a former partner; she left early."
FOLLOW_UP = "Called BIY-0042 the same evening; safety plan reviewed with the shelter."


@pytest.fixture
def demo(live_server):
    from demo.data import DEMO_USERS, load_demo
    from peersupport.models import User

    load_demo(today=timezone.localdate())
    return {role.value: User.objects.get(email=email) for email, _name, role in DEMO_USERS}


@pytest.fixture
def watch(caplog):
    """Fails the step that made the server answer 500 (or a script fail), naming it."""
    return ServerWatch(caplog)


def sign_in(page, user):
    from demo.data import DEMO_PASSWORD

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state()


def test_an_incident_flagged_at_a_session_is_followed_up_from_the_dashboard(
    demo, browser, live_server, shot, watch
):
    from playwright.sync_api import expect

    from sessions.models import Attendance, Session

    # The facilitator, on a phone.
    phone = watch.watch(new_page(browser, live_server, PHONE))
    sign_in(phone, demo["facilitator"])
    open_menu(phone, "My sessions")
    expect(phone.get_by_role("heading", name="My sessions", level=1)).to_be_visible()
    phone.get_by_role("link", name="Take attendance").first.click()
    session_pk = int(re.search(r"/session/(\d+)/attendance/", phone.url).group(1))
    phone.get_by_role("button", name="Mark all present").click()
    rows = phone.locator("[data-att-row]")
    expect(rows.first).to_be_visible()
    first = rows.first
    first.get_by_role("button", name="Absent").click()
    expect(first.locator(".att-saved")).to_be_visible()
    shot(phone, "1-facilitator-attendance")
    phone.locator("[name=incident_flagged]").check()
    phone.locator("[name=incident_notes]").fill(INCIDENT)
    phone.get_by_role("button", name="Save the sheet").click()
    phone.wait_for_load_state()
    shot(phone, "2-facilitator-saved")
    session = Session.objects.get(pk=session_pk)
    assert session.status == "held" and session.incident_flagged
    assert session.incident_notes == INCIDENT
    marked = Attendance.objects.filter(session=session)
    assert marked.count() == session.cohort.enrollments.filter(status="enrolled").count()
    assert marked.filter(status="absent").count() == 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    watch.check("the facilitator takes attendance and flags an incident")
    phone.context.close()

    # The coordinator sees it on the dashboard and records the follow-up.
    page = watch.watch(new_page(browser, live_server, DESKTOP))
    sign_in(page, demo["coordinator"])
    open_menu(page, "Dashboard")
    incidents = page.locator("section[aria-labelledby=incidents-heading]")
    expect(incidents).to_contain_text(session.cohort.code)
    shot(page, "3-coordinator-dashboard-incident")
    incidents.get_by_role("link", name=re.compile("Record follow-up")).first.click()
    expect(page.get_by_text(INCIDENT)).to_be_visible()
    page.get_by_label("What was done").fill(FOLLOW_UP)
    page.get_by_role("button", name="Record follow-up").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(incidents).to_contain_text("No open incidents.")
    shot(page, "4-coordinator-followed-up")
    session.refresh_from_db()
    assert session.incident_follow_up == FOLLOW_UP
    assert session.incident_followed_up_by == demo["coordinator"]
    watch.check("the coordinator follows the incident up")
    page.context.close()


def test_the_evaluator_computes_a_report_and_downloads_its_pdf(
    demo, browser, live_server, shot, watch
):
    from playwright.sync_api import expect

    from demo.data import PROGRAM_CODE
    from evaluation.models import EvaluationRun

    page = watch.watch(new_page(browser, live_server, DESKTOP))
    sign_in(page, demo["evaluator"])
    open_menu(page, "Evaluation")
    row = page.get_by_role("row").filter(has_text=re.compile(rf"\b{PROGRAM_CODE}\b"))
    row.get_by_role("link", name="Report").click()
    page.get_by_label("Period").select_option("all")
    page.get_by_role("button", name="Show").click()
    compute = page.get_by_role("button", name=re.compile("Compute these figures"))
    expect(compute).to_be_visible()
    compute.click()
    page.wait_for_load_state()
    expect(page.get_by_text(re.compile(r"Computed "))).to_be_visible()
    shot(page, "1-evaluator-report")
    run = EvaluationRun.objects.get(program__code=PROGRAM_CODE, status="done")

    open_menu(page, "Exports")
    card = page.locator("section.card").filter(has_text=re.compile(rf"\({PROGRAM_CODE}\)"))
    card.get_by_role("button", name="PDF").first.click()
    expect(page.get_by_role("heading", name="Your export")).to_be_visible()
    shot(page, "2-evaluator-job-page")
    link = page.get_by_role("link", name="Download")
    expect(link).to_be_visible(timeout=60_000)
    name, data = download(page, link.click)
    assert name == f"{PROGRAM_CODE}_report_{run.pk}.pdf"
    assert data.startswith(b"%PDF")
    watch.check("the evaluator computes and downloads a report")
    page.context.close()
