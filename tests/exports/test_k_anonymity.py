"""No one can be singled out in a de-identified export: on demo-like data with many
small cohorts, every combination of the narrowing columns (cohort, year, age band,
self-identified answers, weeks when exported) is shared by at least MIN_CELL people."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from demo.data import PROGRAM_CODE, Tendencies, load_demo
from exports import privacy, services
from exports.base import DATES_NONE, DATES_SHIFT, DATES_WEEK, ExportOptions
from programs.models import Program

pytestmark = pytest.mark.django_db
MIN_CELL = 5


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Three program years of groups of 5 to 11 (the demo's own draws otherwise)."""
    with django_db_blocker.unblock():
        load_demo(
            today=date(2025, 6, 1),
            tendencies=replace(Tendencies(), years=3, group_size=(5, 11), current_group_size=5),
        )
        program = Program.objects.get(code=PROGRAM_CODE)
        yield program
        from django.core.management import call_command

        call_command("flush", interactive=False)


@pytest.mark.parametrize("external", [True, False])
@pytest.mark.parametrize("dates", [DATES_NONE, DATES_WEEK, DATES_SHIFT])
@pytest.mark.parametrize("kind", ["dataset", "items"])
def test_every_combination_of_narrowing_columns_has_at_least_min_cell_people(
    demo, kind, dates, external, settings
):
    settings.MIN_CELL = MIN_CELL
    options = ExportOptions(
        min_cell=MIN_CELL,
        external=external,
        dates=dates,
        pseudonym_key=privacy.pseudonym_key("k"),
    )
    exporter = services.make_exporter(demo, kind, options)
    rows = list(exporter.rows())
    names = [v.name for v in exporter.variables()]
    qi = [names.index(n) for n in exporter.quasi_identifiers()]
    assert "cohort" in exporter.quasi_identifiers()
    assert len(rows) > 50  # realistic: most rows are kept
    people = [r[0] for r in rows]
    assert privacy.smallest_group([[r[i] for i in qi] for r in rows], people) >= MIN_CELL
    # Without the blanks, the cohorts alone would single people out.
    if kind == "dataset":
        raw = services.make_exporter(demo, kind, replace(options, min_cell=1))
        raw_rows = list(raw.rows())
        assert privacy.smallest_group([[r[i] for i in qi] for r in raw_rows]) < MIN_CELL
