"""No one can be singled out in a de-identified export: on demo-like data with many
small cohorts, every combination of the narrowing columns (cohort, year, age band,
self-identified answers, weeks when exported) is shared by at least MIN_CELL people."""

from __future__ import annotations

import random
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


def _k_anonymise_by_regrouping_every_row(records, k, people):
    """What ``k_anonymise`` does, counted the long way: every trial blanking regroups
    every row (the reference its faster counting must agree with)."""
    rows = [list(r) for r in records]
    width = len(rows[0])
    blanked: list[set[int]] = [set() for _ in rows]
    dropped: set[int] = set()

    def small_rows(candidates):
        members: dict = {}
        for i, row in candidates:
            members.setdefault(tuple(row), set()).add(people[i])
        return [i for i, row in candidates if len(members[tuple(row)]) < k]

    while True:
        live = [(i, rows[i]) for i in range(len(rows)) if i not in dropped]
        small = small_rows(live)
        if not small:
            break
        best = None
        for column in range(width):
            if all(rows[i][column] is None for i in small):
                continue
            distinct = len({rows[i][column] for i in small})
            trial = [
                (i, [None if (c == column and i in small) else v for c, v in enumerate(row)])
                for i, row in live
            ]
            candidate = (len(small_rows(trial)), -distinct, column)
            if best is None or candidate < best:
                best = candidate
        if best is None:
            dropped |= set(small)
            continue
        for i in small:
            if rows[i][best[2]] is not None:
                rows[i][best[2]] = None
                blanked[i].add(best[2])
    return blanked, dropped


@pytest.mark.parametrize("seed", range(8))
def test_k_anonymise_blanks_what_regrouping_every_row_for_every_trial_blanks(seed):
    draw = random.Random(seed)
    n = draw.randint(20, 120)
    records = [
        [
            draw.choice(["c1", "c2", "c3", "c4"]),
            draw.choice([1, 2]),
            draw.choice([2, 3, 4, 5, None]),
            draw.choice(["woman", "man", "non_binary", None]),
            draw.choice(["yes", "no"]),
        ]
        for _ in range(n)
    ]
    people = [draw.randint(0, n - n // 5) for _ in range(n)]  # some people enrolled twice
    for k in (2, 3, 5):
        result = privacy.k_anonymise(records, k, people)
        assert (result.blanked, result.dropped) == _k_anonymise_by_regrouping_every_row(
            records, k, people
        ), (seed, k)


def test_pseudonyms_and_date_shifts_under_one_key_are_those_of_each_id_alone():
    for salt in ("one project", "another"):
        key = privacy.pseudonym_key(salt)
        pseudonym, shift = privacy.pseudonymiser(key), privacy.shift_days_of(key)
        for participant_id in [*range(500), 10**9]:
            assert pseudonym(participant_id) == privacy.pseudonym(key, participant_id)
            assert shift(participant_id) == privacy.shift_days(key, participant_id)
