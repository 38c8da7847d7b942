"""At 375 px, in French (the longer words): every button's label fits inside the button
on My sessions and on the attendance sheet ("Absence motivée"), and a cohort's pages
(detail, enrollments, surveys) do not scroll sideways."""

from __future__ import annotations

import os

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.browser.journey_helpers import PHONE, new_page

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Buttons whose label does not fit: ``[label, label width, button width]``.
_SPILLING = """(selector) => Array.from(document.querySelectorAll(selector))
  .filter((el) => el.getBoundingClientRect().width > 0)
  .filter((el) => el.scrollWidth > el.clientWidth + 1
    || el.getBoundingClientRect().right > window.innerWidth + 1)
  .map((el) => [el.innerText.trim(), el.scrollWidth, el.clientWidth,
                Math.round(el.getBoundingClientRect().right)])"""


@pytest.fixture
def world(live_server):
    """The demo organisation; its running group's latest past session has no attendance
    yet (so My sessions shows both "Record" and "Open")."""
    from demo.data import CURRENT_CODE, DEMO_USERS, load_demo
    from peersupport.models import User
    from sessions.models import Attendance, Session

    today = timezone.localdate()
    load_demo(today=today)
    users = {role.value: User.objects.get(email=email) for email, _name, role in DEMO_USERS}
    for user in users.values():
        user.language = "fr"
        user.save(update_fields=["language"])
    group = Session.objects.filter(cohort__program__code=CURRENT_CODE)
    latest = group.filter(date__lt=today, status="held").order_by("-date").first()
    Attendance.objects.filter(session=latest).delete()
    Session.objects.filter(pk=latest.pk).update(status="scheduled")
    return {"users": users, "cohort": latest.cohort, "missing": latest}


def _sign_in(page, user):
    from demo.data import DEMO_PASSWORD

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state()


def test_my_sessions_and_the_attendance_sheet_buttons_fit_a_phone_in_french(
    world, browser, live_server, shot
):
    page = new_page(browser, live_server, PHONE)
    _sign_in(page, world["users"]["facilitator"])
    page.goto(reverse("groupsessions:facilitator_home"))
    assert page.locator("html").get_attribute("lang") == "fr"
    buttons = page.locator(".list-group-item .btn")
    labels = {text.strip() for text in buttons.all_inner_texts()}
    assert {"Consigner", "Ouvrir"} <= labels, labels  # "Record" and "Open"
    shot(page, "my-sessions-fr")
    assert page.evaluate(_SPILLING, ".btn") == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]

    page.goto(reverse("groupsessions:attendance_sheet", args=[world["missing"].pk]))
    excused = page.get_by_role("button", name="Absence motivée").first
    excused.click()
    page.wait_for_load_state("networkidle")
    shot(page, "attendance-sheet-fr")
    assert page.evaluate(_SPILLING, ".att-btn") == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
    page.context.close()


@pytest.mark.parametrize("name", ["cohort_detail", "cohort_enrollments", "survey_todo"])
def test_a_cohorts_pages_do_not_scroll_sideways_on_a_phone(name, world, browser, live_server, shot):
    url = {
        "cohort_detail": reverse("groupsessions:cohort_detail", args=[world["cohort"].pk]),
        "cohort_enrollments": reverse("participants:cohort_enrollments", args=[world["cohort"].pk]),
        "survey_todo": reverse("surveys:survey_todo", args=[world["cohort"].pk]),
    }[name]
    page = new_page(browser, live_server, PHONE)
    _sign_in(page, world["users"]["coordinator"])
    response = page.goto(url)
    assert response.status == 200
    assert page.locator("table tbody tr").count() >= 5  # a realistic group, not an empty page
    shot(page, f"{name}-fr")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"{url} is {width} px wide at 375 px"
    page.context.close()
