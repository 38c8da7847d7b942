"""Ready-made definitions: added in one click, scored by the spec with hand-computed values."""

from datetime import date

import pytest
from django.urls import reverse

from surveys.catalog import CATALOG, catalog_add_to_program
from surveys.models import Instrument, ProgramInstrument
from surveys.services import administration_create
from tests.factories import CohortFactory, EnrollmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(org):
    return ProgramFactory(organisation=org)


def _score(program, key, answers):
    link = catalog_add_to_program(program=program, key=key, by=None)
    instrument = Instrument.objects.get(
        organisation=program.organisation, code=link.instrument_code, is_current=True
    )
    cohort = CohortFactory(program=program)
    return administration_create(
        enrollment=EnrollmentFactory(cohort=cohort),
        instrument=instrument,
        timepoint="post",
        date=date(2020, 6, 1),
        mode="staff",
        answers=answers,
        by=None,
    )


def test_definitions_have_the_documented_structure():
    gse, swb, ses, exit_ = (
        CATALOG[k] for k in ("self-efficacy", "wellbeing", "self-esteem", "exit")
    )
    assert (gse.n_items, gse.min_value, gse.max_value, gse.max_missing, gse.target_score) == (
        10,
        1,
        4,
        3,
        29,
    )
    assert (swb.n_items, swb.min_value, swb.max_value) == (7, 1, 5)
    assert set(swb.conversion_table) == {str(raw) for raw in range(7, 36)}
    assert "placeholder" in swb.attribution
    assert (ses.n_items, ses.reverse) == (10, (2, 5, 6, 8, 9))
    assert (exit_.n_items, exit_.min_value, exit_.max_value, exit_.target_score) == (1, 0, 1, 1)
    for entry in CATALOG.values():
        assert "placeholder" in entry.attribution.lower()


def test_one_click_creates_the_instrument_and_the_program_link(program, coordinator):
    link = catalog_add_to_program(program=program, key="self-efficacy", by=coordinator)
    assert (link.instrument_code, link.target_pct) == ("GSE", 75)
    instrument = Instrument.objects.get(code="GSE")
    assert instrument.items.count() == 10
    # A second program reuses the organisation's instrument.
    other = ProgramFactory(organisation=program.organisation)
    catalog_add_to_program(program=other, key="self-efficacy", target_pct=80, by=coordinator)
    assert Instrument.objects.filter(code="GSE").count() == 1
    assert ProgramInstrument.objects.get(program=other).target_pct == 80


def test_self_efficacy_pro_rates_up_to_three_missing(program):
    # 7 answered: 4,4,4,3,3,3,3 = 24 -> 24 / 7 * 10 = 34.2857…
    answers = {1: 4, 2: 4, 3: 4, 4: 3, 5: 3, 6: 3, 7: 3}
    assert _score(program, "self-efficacy", answers).score == pytest.approx(240 / 7)


def test_self_esteem_reverses_items_2_5_6_8_9(program):
    # All answered 4: items 1,3,4,7,10 -> 4 each (20); reversed items -> 1 each (5) = 25.
    adm = _score(program, "self-esteem", dict.fromkeys(range(1, 11), 4))
    assert adm.score == 25.0


def test_wellbeing_uses_its_conversion_table(program):
    # Raw 3 * 7 = 21; the placeholder table maps 21 -> 21.0.
    assert _score(program, "wellbeing", dict.fromkeys(range(1, 8), 3)).score == 21.0


def test_exit_outcome_meets_target_with_yes(program):
    adm = _score(program, "exit", {1: 1})
    assert adm.score == 1.0 and adm.score >= CATALOG["exit"].target_score


def test_coordinator_adds_a_ready_made_instrument_on_the_program_page(
    client_for, coordinator, program
):
    client = client_for(coordinator)
    page = client.get(reverse("surveys:program_instruments", args=[program.pk]))
    assert "Self-esteem scale" in page.content.decode()
    url = reverse("surveys:program_instrument_catalog_add", args=[program.pk, "self-esteem"])
    assert client.post(url, {"self-esteem-target_pct": "70"}).status_code == 302
    assert ProgramInstrument.objects.get(program=program).target_pct == 70
    bad = client.post(url.replace("self-esteem", "exit"), {"exit-target_pct": "150"})
    assert bad.status_code == 302
    assert not ProgramInstrument.objects.filter(instrument_code="EXIT").exists()


def test_coordinator_sets_a_programs_target_percent(client_for, coordinator, program):
    catalog_add_to_program(program=program, key="exit", by=coordinator)
    client = client_for(coordinator)
    url = reverse("surveys:program_instruments", args=[program.pk])
    assert client.post(url, {"instrument_code": "EXIT", "target_pct": "60"}).status_code == 302
    assert ProgramInstrument.objects.get(program=program).target_pct == 60
    response = client.post(url, {"instrument_code": "EXIT", "target_pct": "101"})
    assert response.status_code == 200
    assert ProgramInstrument.objects.get(program=program).target_pct == 60
