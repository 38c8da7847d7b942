"""Reports say which instrument versions they combine, and withhold the figures of
versions that score differently unless the run asks to pool them."""

import pytest
from django.urls import reverse

from evaluation.models import EvaluationRun
from surveys.models import Administration, Instrument, InstrumentItem
from tests.evaluation.figures_data import build

pytestmark = pytest.mark.django_db

FIGURES = "mean Self-efficacy rose from 7.8 to 11.6"


@pytest.fixture
def world(org, settings):
    settings.MIN_CELL = 3
    return build(org)


def second_version(world, **changes) -> Instrument:
    """Version 2 of GSE (``changes`` to its scoring), on which every post was answered."""
    v1 = world.gse
    Instrument.objects.filter(pk=v1.pk).update(is_current=False)
    v2 = Instrument.objects.create(
        organisation=v1.organisation,
        code=v1.code,
        name=v1.name,
        version=2,
        max_missing=changes.get("max_missing", v1.max_missing),
        target_score=v1.target_score,
    )
    for item in v1.items.all():
        InstrumentItem.objects.create(
            instrument=v2,
            number=item.number,
            min_value=item.min_value,
            max_value=item.max_value,
            reverse=item.reverse,
        )
    Administration.objects.filter(instrument=v1, timepoint="post").update(instrument=v2)
    return v2


def computed_page(world, client, user, **data):
    client.force_login(user)
    url = reverse("evaluation:run_request", args=[world.program.pk])
    response = client.post(url, {"period": "all", **data})
    assert response.status_code == 302
    return client.get(response.url).content.decode()


def latest_run() -> EvaluationRun:
    return EvaluationRun.objects.latest("pk")


def test_one_version_is_recorded_and_nothing_is_said(world, evaluator, client):
    page = computed_page(world, client, evaluator)

    assert latest_run().details["versions"] == {"GSE": {"versions": [1], "same_scoring": True}}
    assert "instrument-versions" not in page
    assert "Combines versions" not in page and "withheld" not in page
    assert FIGURES in page


def test_two_versions_that_score_alike_are_combined_and_said(world, coordinator, client):
    second_version(world)

    # The organisation's own page: an evaluator's follows the outside rules and this
    # small world's figures would be hidden.
    page = computed_page(world, client, coordinator)

    assert latest_run().details["versions"] == {"GSE": {"versions": [1, 2], "same_scoring": True}}
    assert "Combines versions 1 and 2 of GSE" in page
    assert FIGURES in page
    assert page.count("<svg") == 3


def test_versions_that_score_differently_are_withheld_until_pooled(world, coordinator, client):
    second_version(world, max_missing=0)

    page = computed_page(world, client, coordinator)

    withheld = latest_run()
    assert withheld.details["versions"] == {"GSE": {"versions": [1, 2], "same_scoring": False}}
    assert "The figures for GSE are withheld" in page
    assert FIGURES not in page
    assert ">Pre mean</th>" not in page  # no table of its figures
    assert page.count("<svg") == 1  # attendance only

    page = computed_page(world, client, coordinator, pool_versions="on")

    pooled = latest_run()
    assert pooled.pk != withheld.pk
    assert pooled.parameters["pool_versions"] is True
    assert "Pools versions 1 and 2 of GSE" in page
    assert FIGURES in page and ">Pre mean</th>" in page
    assert page.count("<svg") == 3
    # The stored figures are the same; only what the page shows differs.
    assert pooled.result == withheld.result
    # Without the choice, the page goes back to the withheld run.
    client.force_login(coordinator)
    url = reverse("evaluation:report", args=[world.program.pk]) + "?period=all"
    assert "The figures for GSE are withheld" in client.get(url).content.decode()
