"""The program page is the hub of a program: modules and curriculum, cohorts, instruments
and targets, reports; and the survey pages lead to the page that attaches instruments."""

from datetime import date

import pytest
from django.urls import reverse

from tests.factories import (
    CohortFactory,
    ModuleFactory,
    ProgramFactory,
    ProgramInstrumentFactory,
    make_instrument,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(org):
    program = ProgramFactory(organisation=org, code="voices", start_date=date(2025, 4, 1))
    ModuleFactory(program=program, order=1, name="Finding our Voices", weeks=6)
    return program


def _attach_url(program):
    return reverse("surveys:program_instruments", args=[program.pk])


def test_the_program_page_links_to_every_job_of_the_program(client_for, coordinator, program):
    make_instrument(organisation=program.organisation, code="GSE")
    ProgramInstrumentFactory(program=program, instrument_code="GSE", target_pct=70)
    CohortFactory(program=program, code="spring-1")
    url = reverse("programs:program_detail", args=[program.pk])
    html = client_for(coordinator).get(url).content.decode()
    assert reverse("programs:program_edit", args=[program.pk]) in html  # modules, curriculum
    assert f"{reverse('groupsessions:cohort_create')}?program={program.pk}" in html
    assert _attach_url(program) in html  # instruments and targets
    assert reverse("evaluation:report", args=[program.pk]) in html
    assert "<code>GSE</code>" in html and "70" in html


def test_a_new_cohort_from_the_program_page_has_the_program_chosen(
    client_for, coordinator, program
):
    url = reverse("groupsessions:cohort_create") + f"?program={program.pk}"
    form = client_for(coordinator).get(url).context["form"]
    assert str(form["program"].value()) == str(program.pk)


def test_evaluators_get_the_report_but_not_the_coordinators_actions(client_for, evaluator, program):
    url = reverse("programs:program_detail", args=[program.pk])
    html = client_for(evaluator).get(url).content.decode()
    assert reverse("evaluation:report", args=[program.pk]) in html
    assert _attach_url(program) not in html
    assert reverse("groupsessions:cohort_create") not in html


def test_the_instruments_page_links_to_each_programs_attach_page(client_for, coordinator, program):
    make_instrument(organisation=program.organisation, code="GSE")
    html = client_for(coordinator).get(reverse("surveys:instrument_list")).content.decode()
    assert _attach_url(program) in html


def test_a_new_cohorts_surveys_page_links_to_the_attach_page(client_for, coordinator, program):
    cohort = CohortFactory(program=program, code="spring-1")
    response = client_for(coordinator).get(reverse("surveys:survey_todo", args=[cohort.pk]))
    html = response.content.decode()
    assert "uses no instrument yet" in html
    assert _attach_url(program) in html


def test_the_attach_page_leads_back_to_the_program(client_for, coordinator, program):
    html = client_for(coordinator).get(_attach_url(program)).content.decode()
    assert reverse("programs:program_detail", args=[program.pk]) in html


@pytest.mark.parametrize("n_cohorts", [1, 4])
def test_the_program_page_query_count_does_not_grow_with_cohorts(
    client_for, coordinator, program, n_cohorts, django_assert_max_num_queries
):
    for i in range(n_cohorts):
        CohortFactory(program=program, code=f"c-{i}")
    ProgramInstrumentFactory(program=program, instrument_code="GSE")
    client = client_for(coordinator)
    url = reverse("programs:program_detail", args=[program.pk])
    client.get(url)
    # session, user, memberships, program, modules, cohorts with their fill, referrals,
    # program instruments, curriculum topics, then the session save (savepoint, update,
    # release). The reports panel makes no query.
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200
