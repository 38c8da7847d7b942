"""The main pages meet WCAG 2.1 AA: axe-core finds nothing serious or critical, every
control is reached by keyboard and visibly focused, and facilitators' pages fit a phone.

A failure names the page, then each rule (id, help text) and the offending selectors.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from evaluation import runs
from sessions.models import Attendance, Session
from surveys.links import survey_link_create
from tests.browser import axe
from tests.browser.conftest import SCREENSHOT_DIR
from tests.evaluation.figures_data import build
from tests.factories import (
    AttendanceFactory,
    CohortFactory,
    EnrollmentFactory,
    SessionFactory,
    VolunteerFactory,
)

# Playwright's sync API runs an event loop in this thread; the ORM calls here are sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 375


@dataclass
class World:
    program: object
    instrument: object
    cohort: object
    today: object
    token: str
    stepping_token: str
    run: object


@pytest.fixture
def world(org, coordinator, facilitator, settings):
    """A program with two years of records and a computed report, plus a running group
    the facilitator leads, with a session today and a self-completion link."""
    settings.MIN_CELL = 3
    figures = build(org)
    program, gse = figures.program, figures.gse
    volunteer = VolunteerFactory(organisation=org, user=facilitator, name="Rosa")
    today = timezone.localdate()
    cohort = CohortFactory(
        program=program,
        code="NOW",
        name="Tuesday circle",
        start_date=today - timedelta(days=21),
        facilitators=[volunteer],
    )
    people = [
        EnrollmentFactory(cohort=cohort, participant__preferred_name=f"Person {i}")
        for i in range(6)
    ]
    statuses = list(Attendance.Status)
    for week in range(3):
        held = SessionFactory(
            cohort=cohort, number=week + 1, date=cohort.start_date + timedelta(days=7 * week)
        )
        for i, enrollment in enumerate(people):
            AttendanceFactory(
                session=held, enrollment=enrollment, status=statuses[(i + week) % len(statuses)]
            )
    session = SessionFactory(
        cohort=cohort, number=4, date=today, status=Session.Status.SCHEDULED, topic="Boundaries"
    )
    _link, token = survey_link_create(
        enrollment=people[0], instrument=gse, timepoint="pre", language="en", by=coordinator
    )
    run = runs.request_run(program=program, period="all", by=coordinator).run
    # Same questions, shown one per screen (the instrument's layout is switched on visit).
    _link, stepping_token = survey_link_create(
        enrollment=people[1], instrument=gse, timepoint="pre", language="en", by=coordinator
    )
    return World(program, gse, cohort, session, token, stepping_token, run)


@dataclass(frozen=True)
class Page:
    """A page to check: who looks at it, and the URL names (with their arguments) it may
    be found under; the first one that resolves is used, and the test fails when none
    does."""

    name: str
    user: str | None
    routes: tuple
    prepare: object = None

    def url(self, world: World) -> str:
        for url_name, args in self.routes:
            try:
                return reverse(url_name, args=args(world) if args else None)
            except NoReverseMatch:
                continue
        tried = ", ".join(name for name, _args in self.routes)
        pytest.fail(f"{self.name}: the page is gone ({tried} do not resolve)")


def _program(w):
    return [w.program.pk]


PAGES = [
    Page("login", None, (("account_login", None),)),
    Page("coordinator dashboard", "coordinator", (("groupsessions:coordinator_dashboard", None),)),
    Page("retention and erasure", "coordinator", (("participants:retention", None),)),
    Page("erasure requests", "coordinator", (("participants:erasure_list", None),)),
    Page("facilitator home", "facilitator", (("groupsessions:facilitator_home", None),)),
    Page(
        "cohort detail",
        "coordinator",
        (("groupsessions:cohort_detail", lambda w: [w.cohort.pk]),),
    ),
    Page(
        "session log form",
        "facilitator",
        (("groupsessions:session_log", lambda w: [w.today.pk]),),
    ),
    Page(
        "attendance sheet",
        "facilitator",
        (("groupsessions:attendance_sheet", lambda w: [w.today.pk]),),
    ),
    Page(
        "survey self-completion",
        None,
        (("surveys:survey_respond", lambda w: [w.token]),),
    ),
    Page(
        "survey one question per screen",
        None,
        (("surveys:survey_respond", lambda w: [w.stepping_token]),),
        prepare=lambda w: (
            type(w.instrument).objects.filter(pk=w.instrument.pk).update(display="one")
        ),
    ),
    Page(
        "instrument edit",
        "coordinator",
        (("surveys:instrument_edit", lambda w: [w.instrument.pk]),),
    ),
    Page("program edit", "coordinator", (("programs:program_edit", _program),)),
    Page("report", "evaluator", (("evaluation:report", _program),)),
    Page("export", "evaluator", (("exports:index", None),)),
    Page("participant list", "coordinator", (("participants:list", None),)),
]
BY_NAME = {p.name: p for p in PAGES}
FACILITATOR_PAGES = [
    "facilitator home",
    "attendance sheet",
    "survey self-completion",
    "survey one question per screen",
]


@pytest.fixture
def visit(world, sign_in, request):
    """``visit(page, "cohort detail")``: sign in as the page's user and open it."""

    def visit(browser_page, name):
        spec = BY_NAME[name]
        url = spec.url(world)
        if spec.prepare:
            spec.prepare(world)
        if spec.user:
            sign_in(browser_page, request.getfixturevalue(spec.user))
        response = browser_page.goto(url)
        browser_page.wait_for_load_state("networkidle")
        assert response.status == 200, f"{name}: {url} answered {response.status}"
        return browser_page

    return visit


def _check_axe(browser_page, name, where=""):
    """Fail on serious or critical violations; keep axe's whole answer (minor findings
    and what it could not decide too) beside the screenshots for a person to read."""
    results = axe.run(browser_page)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    slug = (name + where).replace(" ", "-")
    (SCREENSHOT_DIR / f"axe-{slug}.json").write_text(json.dumps(results, indent=1))
    advice = axe.run(browser_page, tags=["best-practice"])
    (SCREENSHOT_DIR / f"axe-{slug}-best-practice.json").write_text(json.dumps(advice, indent=1))
    found = axe.serious(results["violations"])
    assert not found, (
        f"{name}{where} ({browser_page.url}) has serious or critical accessibility "
        f"violations:\n{axe.describe(found)}"
    )


@pytest.mark.parametrize("name", [p.name for p in PAGES])
def test_page_has_no_serious_accessibility_violation(page, visit, shot, name):
    visit(page, name)
    shot(page, name.replace(" ", "-"))
    _check_axe(page, name)
    width, viewport = page.evaluate("document.documentElement.scrollWidth"), 1280
    assert width <= viewport, f"{name} scrolls sideways at {viewport} px: {width} px wide"


@pytest.mark.parametrize("name", FACILITATOR_PAGES)
def test_facilitator_page_fits_a_phone_and_passes_axe(phone, visit, shot, name):
    visit(phone, name)
    shot(phone, name.replace(" ", "-") + "-phone")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{name} scrolls sideways on a phone: {width} px wide"
    _check_axe(phone, name, " at 375 px")
    if name == "attendance sheet":
        # Each status once, as the sheet looks after the taps: still readable, still fits.
        from playwright.sync_api import expect

        rows = phone.locator("[data-att-row]")
        for i, status in enumerate(["Present", "Late", "Absent", "Excused"]):
            row = rows.nth(i)
            row.get_by_role("button", name=status).click()
            expect(row.locator(".att-saved")).to_be_visible()
        phone.wait_for_load_state("networkidle")
        shot(phone, "attendance-sheet-tapped-phone")
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
        _check_axe(phone, name, " after taps at 375 px")


# --- keyboard ------------------------------------------------------------------------

_CONTROLS = """
() => Array.from(document.querySelectorAll(
    'a[href], button, input, select, textarea, summary, [tabindex]'))
  .filter((el) => !el.disabled && el.type !== 'hidden' && el.tabIndex >= 0)
  .filter((el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== 'hidden';
  })
  .map((el, i) => {
    el.dataset.a11yId = String(i);
    const label = (el.getAttribute('aria-label') || el.innerText || el.value || el.name || '')
      .trim().slice(0, 40);
    return [String(i), el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' "' + label + '"'];
  })
"""

_FOCUSED = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) { return null; }
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  const label = (el.getAttribute('aria-label') || el.innerText || el.value || el.name || '')
    .trim().slice(0, 40);
  return {
    id: el.dataset.a11yId || el.tagName + (el.id || el.name || el.className),
    visible: outline || shadow,
    describe: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' "' + label + '"',
  };
}
"""


@pytest.mark.parametrize("name", [p.name for p in PAGES])
def test_every_control_is_reached_by_keyboard_and_visibly_focused(page, visit, name):
    visit(page, name)
    # Radio buttons of one group are one tab stop (arrow keys move within the group).
    controls = dict(page.evaluate(_CONTROLS))
    radios = page.evaluate(
        """() => Array.from(document.querySelectorAll('input[type=radio]'))
             .map((el) => [el.dataset.a11yId, el.name])"""
    )
    group_of = {a11y_id: group for a11y_id, group in radios if a11y_id}
    wanted = {c for c in controls if c not in group_of}
    wanted_groups = {group_of[c] for c in controls if c in group_of}
    order, unfocused = [], []
    page.locator("body").focus()
    # Date inputs take one Tab per part (day, month, year), hence the generous limit.
    for _ in range(3 * len(controls) + 20):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED)
        if focused is None:
            continue
        stop = group_of.get(focused["id"], focused["id"])
        if order and stop == order[-1]:
            continue  # still inside the same control
        if order and stop == order[0]:
            break  # wrapped round to the start
        order.append(stop)
        if not focused["visible"] and focused["describe"] not in unfocused:
            unfocused.append(focused["describe"])
    reached = set(order)
    missed = (wanted | wanted_groups) - reached
    assert not unfocused, f"{name}: no visible focus on {unfocused}"
    missed = sorted(controls.get(m, f"radio group {m}") for m in missed)
    assert not missed, f"{name}: never reached with the Tab key: {missed}"


# --- form errors -----------------------------------------------------------------------

_ERROR_LINKS = """
() => Array.from(document.querySelectorAll('.is-invalid, [aria-invalid=true]')).map((el) => {
  const ids = (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
  const said = ids.map((id) => document.getElementById(id))
    .filter((ref) => ref && ref.matches('.invalid-feedback, [role=alert], .errorlist'))
    .map((ref) => ref.innerText.trim()).filter(Boolean);
  return {
    field: el.tagName.toLowerCase() + (el.id ? '#' + el.id : ''),
    invalid: el.getAttribute('aria-invalid') === 'true',
    errors: said,
  };
})
"""


def _break_login(page):
    page.get_by_label("Email").fill("nobody@example.org")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign In").click()


def _break_session_log(page):
    page.locator("#id_duration_minutes").fill("-5")
    page.get_by_role("button", name="Save log").click()


def _break_program_edit(page):
    page.locator("#id_name").fill("")
    page.locator("#id_modules-0-weeks").fill("0")
    page.get_by_role("button", name="Save", exact=True).click()


BROKEN = {
    "login": _break_login,
    "session log form": _break_session_log,
    "program edit": _break_program_edit,
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_form_errors_are_tied_to_their_fields_and_pass_axe(page, visit, shot, name):
    visit(page, name)
    BROKEN[name](page)
    page.wait_for_load_state("networkidle")
    shot(page, name.replace(" ", "-") + "-errors")
    alerts = page.locator(".invalid-feedback:visible, .alert:visible, [role=alert]:visible")
    assert alerts.count(), f"{name}: bad input shows no error message"
    fields = page.evaluate(_ERROR_LINKS)
    for field in fields:
        assert field["invalid"], f"{name}: {field['field']} is not marked aria-invalid"
        assert field["errors"], f"{name}: {field['field']} is not described by its error"
    focused = page.evaluate(
        """() => { const el = document.activeElement;
                   return el.matches('.alert-danger, .is-invalid, [aria-invalid=true]'); }"""
    )
    assert focused, f"{name}: after bad input the focus is not on the error or its field"
    _check_axe(page, name, " with errors")
