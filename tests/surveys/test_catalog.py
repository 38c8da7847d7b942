"""Ready-made definitions: added in one click, scored by the spec with hand-computed values."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from surveys.catalog import CATALOG, catalog_add_to_program
from surveys.models import Administration, Instrument, ProgramInstrument
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


def test_every_entry_is_published_or_ours_and_says_its_licence():
    assert set(CATALOG) == {"swemwbs", "wemwbs", "gse", "rses", "phq9", "gad7", "exit"}
    for key, entry in CATALOG.items():
        assert entry.key == key and entry.licence and entry.scoring and entry.missing_rule
        if key != "exit":
            assert entry.citation
        # Wording ships for every item, or for none (structure and scoring only).
        shipped = [bool(en) for en, _fr in entry.texts]
        assert all(shipped) if entry.wording_shipped else not any(shipped)
        assert "placeholder" not in entry.licence.lower()
    exit_ = CATALOG["exit"]
    assert (exit_.n_items, exit_.min_value, exit_.max_value, exit_.target_score) == (1, 0, 1, 1)
    assert exit_.timepoints == ("post",)


def test_one_click_creates_the_instrument_and_the_program_link(program, coordinator):
    link = catalog_add_to_program(program=program, key="gse", by=coordinator)
    assert (link.instrument_code, link.target_pct, link.timepoints) == ("GSE", 75, ("pre", "post"))
    instrument = Instrument.objects.get(code="GSE")
    assert instrument.items.count() == 10
    assert instrument.library_code == "GSE" and "Schwarzer" in instrument.citation
    assert not instrument.has_published_cutoff
    # A second program reuses the organisation's instrument.
    other = ProgramFactory(organisation=program.organisation)
    catalog_add_to_program(program=other, key="gse", target_pct=80, by=coordinator)
    assert Instrument.objects.filter(code="GSE").count() == 1
    assert ProgramInstrument.objects.get(program=other).target_pct == 80


def test_the_exit_item_is_asked_at_post_only(program, coordinator):
    link = catalog_add_to_program(program=program, key="exit", by=coordinator)
    assert link.timepoints == ("post",)
    cohort = CohortFactory(program=program)
    with pytest.raises(ValidationError) as exc:
        administration_create(
            enrollment=EnrollmentFactory(cohort=cohort),
            instrument=Instrument.objects.get(code="EXIT"),
            timepoint="pre",
            date=date(2020, 6, 1),
            mode="staff",
            answers={1: 1},
            by=None,
        )
    assert "only at: Post" in str(exc.value)
    assert not Administration.objects.exists()


def test_self_efficacy_pro_rates_up_to_three_missing(program):
    # Schwarzer & Jerusalem (1995), GSE scoring: with at most 3 missing, the mean of the
    # answered items times 10. 7 answered: 4,4,4,3,3,3,3 = 24 -> 24 / 7 * 10 = 34.2857…
    answers = {1: 4, 2: 4, 3: 4, 4: 3, 5: 3, 6: 3, 7: 3}
    assert _score(program, "gse", answers).score == pytest.approx(240 / 7)


def test_rosenberg_reverses_items_2_5_6_8_9(program):
    # Rosenberg (1965), scored 0-3 per item: "strongly agree" (3) to every statement gives
    # 3 on items 1,3,4,7,10 (15) and 3 - 3 = 0 on the reversed items 2,5,6,8,9: total 15.
    adm = _score(program, "rses", dict.fromkeys(range(1, 11), 3))
    assert adm.score == 15.0


def test_swemwbs_uses_the_published_metric_table(program):
    # Raw 3 * 7 = 21 -> 19.25 (Stewart-Brown et al. 2009, Health Qual Life Outcomes 7:15).
    assert _score(program, "swemwbs", dict.fromkeys(range(1, 8), 3)).score == 19.25


def test_exit_outcome_meets_target_with_yes(program):
    adm = _score(program, "exit", {1: 1})
    assert adm.score == 1.0 and adm.score >= CATALOG["exit"].target_score


def test_coordinator_adds_a_ready_made_instrument_on_the_program_page(
    client_for, coordinator, program
):
    client = client_for(coordinator)
    page = client.get(reverse("surveys:program_instruments", args=[program.pk]))
    assert "Rosenberg Self-Esteem Scale" in page.content.decode()
    assert "Wording not included" in page.content.decode()  # SWEMWBS, WEMWBS
    url = reverse("surveys:program_instrument_catalog_add", args=[program.pk, "rses"])
    assert client.post(url, {"rses-target_pct": "70"}).status_code == 302
    assert ProgramInstrument.objects.get(program=program).target_pct == 70
    bad = client.post(url.replace("rses", "exit"), {"exit-target_pct": "150"})
    assert bad.status_code == 302
    assert not ProgramInstrument.objects.filter(instrument_code="EXIT").exists()


def test_coordinator_sets_a_programs_target_percent(client_for, coordinator, program):
    catalog_add_to_program(program=program, key="exit", by=coordinator)
    client = client_for(coordinator)
    url = reverse("surveys:program_instruments", args=[program.pk])
    form = {"instrument_code": "EXIT", "target_pct": "60", "timepoints": ["post"]}
    assert client.post(url, form).status_code == 302
    assert ProgramInstrument.objects.get(program=program).target_pct == 60
    response = client.post(url, {**form, "target_pct": "101"})
    assert response.status_code == 200
    assert ProgramInstrument.objects.get(program=program).target_pct == 60
