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


@pytest.fixture
def demo(db, settings):
    """Three program years of groups of 5 to 11 (the demo's own draws otherwise)."""
    settings.MIN_CELL = MIN_CELL
    load_demo(
        today=date(2025, 6, 1),
        tendencies=replace(Tendencies(), years=3, group_size=(5, 11), current_group_size=5),
    )
    return Program.objects.get(code=PROGRAM_CODE)


def test_every_combination_of_narrowing_columns_has_at_least_min_cell_people(demo):
    checked = []
    for kind in ("dataset", "items"):
        for dates in (DATES_NONE, DATES_WEEK, DATES_SHIFT):
            for external in (True, False):
                options = ExportOptions(
                    min_cell=MIN_CELL,
                    external=external,
                    dates=dates,
                    pseudonym_key=privacy.pseudonym_key("k"),
                )
                exporter = services.make_exporter(demo, kind, options)
                rows = list(exporter.rows())
                names = [v.name for v in exporter.variables()]
                columns = exporter.quasi_identifiers()
                assert "cohort" in columns
                assert (dates == DATES_WEEK) == any("week" in c for c in columns)
                qi = [names.index(n) for n in columns]
                assert len(rows) > 50  # realistic: most rows are kept
                people = [r[0] for r in rows]
                smallest = privacy.smallest_group([[r[i] for i in qi] for r in rows], people)
                assert smallest >= MIN_CELL, (kind, dates, external)
                checked.append((kind, dates, external, len(rows), smallest))
                if kind == "dataset" and dates == DATES_WEEK:
                    # Without the blanks, the cohorts and weeks would single people out.
                    raw = services.make_exporter(demo, kind, replace(options, min_cell=1))
                    raw_rows = list(raw.rows())
                    raw_people = [r[0] for r in raw_rows]
                    records = [[r[i] for i in qi] for r in raw_rows]
                    assert privacy.smallest_group(records, raw_people) < MIN_CELL
    assert len(checked) == 12


def test_a_column_every_small_row_shares_is_blanked_last():
    # Five women of one cohort, of three age bands and two Indigenous answers: blanking the
    # cohort would change nothing, so the age band and the answer go instead.
    records = [
        ["EAST-1", 1, age, "woman", indigenous]
        for age, indigenous in [(2, "no"), (3, "no"), (3, "yes"), (4, "no"), (4, "no")]
    ]
    result = privacy.k_anonymise(records, 5)
    assert result.dropped == set()
    assert result.blanks_per_column == {2: 5, 4: 5}  # age band and Indigenous, not cohort
