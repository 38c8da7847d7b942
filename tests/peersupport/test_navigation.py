"""The main menu is grouped by job (a handful of entries at the top, each group's pages in
its list), an entry and the page it opens agree, and a cohort's pages lead back to it."""

import re
from datetime import timedelta

import pytest
from django.test.html import Element, parse_html
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    CohortFactory,
    EnrollmentFactory,
    ProgramFactory,
    SessionFactory,
    VolunteerFactory,
)

pytestmark = pytest.mark.django_db

#: Entries at the top of the menu that still fit on one line at 1280 px, in French.
MAX_TOP_ENTRIES = 6


def _find(element, test):
    """Every element under ``element`` (depth first) for which ``test`` is true."""
    found = []
    for child in getattr(element, "children", []):
        if isinstance(child, Element):
            if test(child):
                found.append(child)
            found.extend(_find(child, test))
    return found


def _classes(element) -> set[str]:
    return set(dict(element.attributes).get("class", "").split())


def _text(element) -> str:
    parts = []
    for child in element.children:
        parts.append(_text(child) if isinstance(child, Element) else str(child))
    return re.sub(r"\s+", " ", " ".join(parts)).strip()


def _menu(html: str):
    """The top entries of the main menu: ``[(label, [links in its group])]``."""
    document = parse_html(html)
    (menu,) = _find(document, lambda e: e.name == "ul" and {"navbar-nav", "me-auto"} <= _classes(e))
    entries = []
    for item in (c for c in menu.children if isinstance(c, Element) and c.name == "li"):
        (head,) = [c for c in item.children if isinstance(c, Element) and c.name in ("a", "button")]
        links = [dict(a.attributes)["href"] for a in _find(item, lambda e: e.name == "a")]
        entries.append((_text(head), links))
    return entries


def _account_links(html: str) -> list[str]:
    """The links of the account menu (the organisation's pages, the person's account)."""
    document = parse_html(html)
    (menu,) = _find(document, lambda e: dict(e.attributes).get("aria-labelledby") == "nav-account")
    return [dict(a.attributes)["href"] for a in _find(menu, lambda e: e.name == "a")]


@pytest.fixture
def cohort(org, facilitator):
    program = ProgramFactory(organisation=org, code="voices", name="Finding our Voices")
    volunteer = VolunteerFactory(organisation=org, user=facilitator, name="Fay")
    cohort = CohortFactory(
        program=program,
        code="spring",
        start_date=timezone.localdate() - timedelta(days=14),
        facilitators=[volunteer],
    )
    for number in (1, 2):
        SessionFactory(
            cohort=cohort, number=number, date=cohort.start_date + timedelta(days=7 * (number - 1))
        )
    for _ in range(3):
        EnrollmentFactory(cohort=cohort)
    return cohort


@pytest.mark.parametrize("role", ["coordinator", "facilitator", "evaluator"])
def test_the_menu_has_a_handful_of_top_entries_and_every_page_of_the_role(
    role, request, client_for, cohort
):
    user = request.getfixturevalue(role)
    response = client_for(user).get(reverse("home"), follow=True)
    html = response.content.decode()
    entries = _menu(html)
    assert 1 <= len(entries) <= MAX_TOP_ENTRIES, entries
    account = _account_links(html)
    assert reverse("profile") in account
    links = [link for _label, group in entries for link in group]
    links += [link for link in account if link != reverse("profile")]
    expected = {
        "coordinator": [
            "groupsessions:coordinator_dashboard",
            "programs:program_list",
            "programs:volunteer_list",
            "programs:closure_list",
            "groupsessions:cohort_list",
            "groupsessions:facilitator_home",
            "participants:list",
            "participants:partner_list",
            "participants:retention",
            "surveys:survey_overview",
            "surveys:instrument_list",
            "evaluation:home",
            "exports:index",
            "importer:upload",
            "members",
            "audit_log",
        ],
        "facilitator": [
            "groupsessions:facilitator_home",
            "groupsessions:cohort_list",
            "participants:list",
            "surveys:survey_overview",
        ],
        "evaluator": ["evaluation:home", "exports:index", "surveys:instrument_list"],
    }[role]
    assert sorted(links) == sorted(reverse(name) for name in expected)


@pytest.mark.parametrize("role", ["coordinator", "facilitator"])
def test_the_attendance_entry_opens_a_page_of_the_same_name(role, request, client_for, cohort):
    client = client_for(request.getfixturevalue(role))
    url = reverse("groupsessions:facilitator_home")
    document = parse_html(client.get(reverse("home"), follow=True).content.decode())
    (entry,) = _find(document, lambda e: e.name == "a" and dict(e.attributes).get("href") == url)
    page = parse_html(client.get(url).content.decode())
    (heading,) = _find(page, lambda e: e.name == "h1")
    assert (
        _text(entry)
        == _text(heading)
        == {"coordinator": "Attendance", "facilitator": "My sessions"}[role]
    )


def _breadcrumbs(html: str) -> list[tuple[str, str | None]]:
    document = parse_html(html)
    (trail,) = _find(document, lambda e: e.name == "ol" and "breadcrumb" in _classes(e))
    crumbs = []
    for item in (c for c in trail.children if isinstance(c, Element)):
        links = _find(item, lambda e: e.name == "a")
        crumbs.append((_text(item), dict(links[0].attributes)["href"] if links else None))
    return crumbs


def test_a_cohorts_pages_lead_back_to_the_cohort_and_its_program(client_for, coordinator, cohort):
    client = client_for(coordinator)
    program = (cohort.program.name, reverse("programs:program_detail", args=[cohort.program_id]))
    back = (cohort.code, reverse("groupsessions:cohort_detail", args=[cohort.pk]))
    assert _breadcrumbs(client.get(back[1]).content.decode()) == [
        ("Programs", reverse("programs:program_list")),
        program,
        (cohort.code, None),
    ]
    for name, kwargs, here in [
        ("participants:cohort_enrollments", {"pk": cohort.pk}, "Enrollments"),
        ("surveys:survey_todo", {"cohort_pk": cohort.pk}, "Surveys"),
        ("groupsessions:cohort_facilitators", {"pk": cohort.pk}, "Facilitators"),
        ("groupsessions:session_log", {"pk": cohort.sessions.first().pk}, "Session 1"),
    ]:
        html = client.get(reverse(name, kwargs=kwargs)).content.decode()
        assert _breadcrumbs(html)[1:] == [program, back, (here, None)], name


def test_a_facilitators_trail_starts_at_the_cohorts_they_run(client_for, facilitator, cohort):
    html = (
        client_for(facilitator)
        .get(reverse("surveys:survey_todo", kwargs={"cohort_pk": cohort.pk}))
        .content.decode()
    )
    assert _breadcrumbs(html) == [
        ("Cohorts", reverse("groupsessions:cohort_list")),
        (cohort.code, reverse("groupsessions:cohort_detail", args=[cohort.pk])),
        ("Surveys", None),
    ]
