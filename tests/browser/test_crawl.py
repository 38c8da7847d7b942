"""Every page a coordinator, a facilitator and an evaluator can reach, found by following
the links from the home page, in English and in French, at 375 px and at 1366 px:

- nothing scrolls sideways (``document.documentElement.scrollWidth > innerWidth``);
- no technical text reaches the reader (a constraint's name, "slug", a traceback, a
  model's dotted name);
- axe-core finds nothing of serious or critical impact.

The data is the demo organisation's (five program years, a running group) with a
computed report and an open safety incident. One page is visited per URL pattern (the
first link found to it), so the run stays within a few minutes.
"""

from __future__ import annotations

import os
import re
from collections import deque
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve
from django.utils import timezone

from tests.browser import axe
from tests.browser.conftest import SCREENSHOT_DIR
from tests.browser.journey_helpers import new_page

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (375, 1366)
LANGUAGES = ("en", "fr")
#: At most this many distinct pages per role: the crawl stops there.
MAX_PAGES = 70
#: Text that is for developers, never for the people using the app.
TECHNICAL = re.compile(
    r"Constraint|\bslug\b|Traceback|IntegrityError|participants\.Participant"
    r"|\b[a-z]+\.[A-Z][a-zA-Z]+\b",
)
#: Links the crawl does not follow: they sign out, change state on a GET, download a
#: file, lock the browser to a kiosk, or open the public self-completion pages.
SKIPPED_URL_NAMES = {
    "account_logout",
    "set_language",
    "exports:report",
    "exports:file",
    "importer:template",
    "groupsessions:attendance_print",
    "groupsessions:feedback_kiosk",
    "surveys:kiosk_start",
    "surveys:kiosk_next",
    "surveys:kiosk_answer",
    "surveys:kiosk_handback",
    "surveys:survey_respond",
    "surveys:survey_done",
}
SKIPPED_PREFIXES = ("/admin/", "/static/", "/media/", "/accounts/")


def _url_name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name


@pytest.fixture
def demo(live_server):
    """The demo organisation, a finished report of all its years and an open incident."""
    from demo.data import DEMO_USERS, PROGRAM_CODE, load_demo
    from evaluation import runs
    from peersupport.models import User
    from programs.models import Program
    from sessions.models import Session

    load_demo(today=timezone.localdate())
    users = {role.value: User.objects.get(email=email) for email, _name, role in DEMO_USERS}
    program = Program.objects.get(code=PROGRAM_CODE)
    runs.request_run(program=program, period="all", by=users["coordinator"])
    held = Session.objects.filter(cohort__program=program, status="held").order_by("-date")
    session = held.first()
    Session.objects.filter(pk=session.pk).update(
        incident_flagged=True, incident_notes="Raised voices at the door; BIY-0042 upset"
    )
    return users


def _sign_in(page, user):
    from demo.data import DEMO_PASSWORD

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state()


def _links(page) -> list[str]:
    return page.eval_on_selector_all("a[href]", "els => els.map(a => a.getAttribute('href'))")


def crawl(page) -> dict[str, str]:
    """``{url name: path}``: one page per URL pattern reachable from the home page by
    following links within the site (the first link found to each pattern)."""
    found: dict[str, str] = {}
    queue = deque(["/"])
    seen_paths = set()
    while queue and len(found) < MAX_PAGES:
        path = queue.popleft()
        if path in seen_paths:
            continue
        seen_paths.add(path)
        response = page.goto(path)
        assert response.status < 400, f"{path} answered {response.status}"
        here = urlsplit(page.url).path
        name = _url_name(here)
        if name is None or name in found:
            continue
        found[name] = here
        for href in _links(page):
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            if parts.path.startswith(SKIPPED_PREFIXES) or parts.path in seen_paths:
                continue
            target = _url_name(parts.path)
            if target is None or target in SKIPPED_URL_NAMES or target in found:
                continue
            queue.append(parts.path)
    return found


_OVERFLOW = """() => {
  const width = window.innerWidth;
  const wide = [];
  if (document.documentElement.scrollWidth > width) {
    for (const el of document.querySelectorAll('body *')) {
      const box = el.getBoundingClientRect();
      if (box.right > width + 1 && el.closest('.table-responsive') === null) {
        const classes = String(el.className || '').split(' ').filter(Boolean);
        wide.push([el.tagName.toLowerCase(), ...classes].join('.'));
        if (wide.length > 4) { break; }
      }
    }
  }
  return [document.documentElement.scrollWidth, width, wide];
}"""


def _problems(page, name: str, language: str, width: int, *, check_axe: bool) -> list[str]:
    problems = []
    page.set_viewport_size({"width": width, "height": 900})
    scroll, inner, wide = page.evaluate(_OVERFLOW)
    if scroll > inner:
        problems.append(f"{name} [{language}, {width} px] scrolls sideways: {scroll} px ({wide})")
    text = page.inner_text("body")
    for match in TECHNICAL.finditer(text):
        context = text[max(0, match.start() - 40) : match.end() + 40].replace("\n", " ")
        problems.append(f"{name} [{language}] shows technical text {match.group()!r}: …{context}…")
        break
    if check_axe:
        found = axe.serious(axe.violations(page))
        if found:
            problems.append(f"{name} [{language}, {width} px] axe:\n{axe.describe(found)}")
    return problems


@pytest.mark.parametrize("role", ["coordinator", "facilitator", "evaluator"])
def test_every_page_of_a_role_fits_reads_well_and_passes_axe(
    role, demo, browser, live_server, shot
):
    page = new_page(browser, live_server, {"viewport": {"width": 1366, "height": 900}})
    _sign_in(page, demo[role])
    pages = crawl(page)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    (SCREENSHOT_DIR / f"crawl-{role}.txt").write_text(
        "".join(f"{name} {path}\n" for name, path in pages.items())
    )
    assert len(pages) >= {"coordinator": 25, "facilitator": 6, "evaluator": 4}[role], pages
    problems = []
    for language in LANGUAGES:
        page.context.add_cookies(
            [
                {
                    "name": settings.LANGUAGE_COOKIE_NAME,
                    "value": language,
                    "url": live_server.url,
                }
            ]
        )
        for name, path in pages.items():
            response = page.goto(path)
            assert response.status < 400, f"{path} answered {response.status}"
            page.wait_for_load_state("load")
            for width in WIDTHS:
                # axe once per page and language: at 375 px in French, at 1366 px in English.
                check = (language == "fr") == (width == 375)
                problems += _problems(page, name, language, width, check_axe=check)
        if language == "fr":
            page.set_viewport_size({"width": 375, "height": 740})
            shot(page, f"{role}-last-page-fr-phone")
    page.context.close()
    assert not problems, f"{len(problems)} problems on {role}'s pages:\n" + "\n".join(problems)
