"""The program page (``programs:program_detail``) and the panels other apps add to it."""

from datetime import date

import pytest
from django.urls import reverse

from programs import pages
from programs.pages import Panel, program_panels, register_program_panel
from tests.factories import (
    CohortFactory,
    ModuleFactory,
    PartnerFactory,
    ProgramFactory,
    ReferralFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(org):
    return ProgramFactory(organisation=org, code="voices", start_date=date(2025, 4, 1))


@pytest.fixture
def registry(monkeypatch):
    """An empty panel registry for the test; the apps' panels come back afterwards."""
    monkeypatch.setattr(pages, "_panels", [])
    return pages._panels


def test_evaluators_see_referral_counts_with_small_cells_suppressed(
    client_for, evaluator, coordinator, program, org
):
    partner = PartnerFactory(organisation=org, type="housing")
    for _ in range(2):
        ReferralFactory(
            partner=partner,
            participant__organisation=org,
            program=program,
            date=date(2025, 6, 1),
        )
    url = reverse("programs:program_detail", args=[program.pk])
    assert client_for(evaluator).get(url).context["referrals"][0]["count"] == "< 5"
    assert client_for(coordinator).get(url).context["referrals"][0]["count"] == 2


def test_the_program_page_shows_modules_then_cohorts_before_referrals(
    client_for, coordinator, program
):
    ModuleFactory(program=program, order=1, name="Finding our Voices", weeks=2)
    CohortFactory(program=program, code="spring-1")
    html = client_for(coordinator).get(reverse("programs:program_detail", args=[program.pk]))
    text = html.content.decode()
    assert "Finding our Voices" in text and "spring-1" in text
    assert text.index("Finding our Voices") < text.index("spring-1")
    assert text.index("spring-1") < text.index("Referrals by partner type")


def test_the_program_list_links_each_name_to_the_program_page(client_for, coordinator, program):
    html = client_for(coordinator).get(reverse("programs:program_list")).content.decode()
    assert f'href="{reverse("programs:program_detail", args=[program.pk])}"' in html


def test_the_edit_page_links_back_to_the_program_page(client_for, coordinator, program):
    url = reverse("programs:program_edit", args=[program.pk])
    html = client_for(coordinator).get(url).content.decode()
    assert reverse("programs:program_detail", args=[program.pk]) in html


def test_panels_come_by_order_then_registration_and_get_the_role(registry, program):
    seen = []

    def panel(name):
        def fn(program, role):
            seen.append((name, role))
            return Panel(f"{name}.html", {"program": program})

        return fn

    late, first, second = panel("late"), panel("first"), panel("second")
    register_program_panel(late, order=50)
    register_program_panel(first, order=10)
    register_program_panel(second, order=10)
    shown = program_panels(program=program, role="evaluator")
    assert [p.template for p in shown] == ["first.html", "second.html", "late.html"]
    assert {role for _name, role in seen} == {"evaluator"}


def test_a_panel_registered_twice_shows_once_and_none_shows_nothing(registry, program):
    def cohorts(program, role):
        return Panel("cohorts.html", {})

    def nothing(program, role):
        return None

    register_program_panel(cohorts)
    register_program_panel(cohorts)
    register_program_panel(nothing)
    assert [p.template for p in program_panels(program=program, role="coordinator")] == [
        "cohorts.html"
    ]
