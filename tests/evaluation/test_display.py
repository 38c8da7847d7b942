"""``evaluation.display``: half up on the decimal value, in the reader's language."""

from __future__ import annotations

import pytest
from django.utils import translation

from evaluation import display


@pytest.mark.parametrize(
    "value, decimals, shown",
    [(16.45, 1, "16.5"), (7.25, 1, "7.3"), (2.675, 2, "2.68"), (1.125, 2, "1.13"),
     (0.0445, 3, "0.045"), (16.44, 1, "16.4"), (-0.25, 1, "-0.3"), (20, 0, "20")],
)  # fmt: skip
def test_numbers_round_half_up_on_their_decimal_value(value, decimals, shown):
    assert display.number(value, decimals) == shown


def test_percentages_of_fractions_round_on_the_decimal_value():
    assert 100 * 0.575 < 57.5  # binary arithmetic would show 57%
    assert display.percent(0.575, fraction=True) == "58%"
    assert display.percent(82.5) == "83%"


def test_french_uses_a_comma_and_a_space_before_the_percent_sign():
    with translation.override("fr"):
        assert display.number(16.45) == "16,5"
        assert display.percent(82.5) == "83\xa0%"
        assert display.p_value(0.0004) == "<0,001"


def test_cells_say_suppressed_or_empty():
    obj = {"suppressed": ["instruments.GSE.pre_mean"], "instruments": {"GSE": {"pre_mean": None}},
           "attendance_rate": None, "participants": 12}  # fmt: skip
    assert display.cell(obj, "pre_mean", prefix="instruments.GSE.", min_cell=5) == {
        "text": "n<5", "suppressed": True,
    }  # fmt: skip
    assert display.cell(obj, "attendance_rate")["text"] == display.DASH
    assert display.cell(obj, "participants")["text"] == "12"
    assert display.figure("wilcoxon_method", "permutation", suppressed=False, min_cell=5) == (
        "exact permutation test (ties or zero changes)"
    )


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("grouping", [False, True])
def test_numbers_read_as_djangos_number_format_writes_them(language, grouping, settings):
    # display.number writes the rounded figure itself unless thousands are grouped; it
    # must read exactly as number_format would, signs of zero and separators included.
    import random
    from decimal import Decimal

    from django.utils.formats import number_format

    settings.USE_THOUSAND_SEPARATOR = grouping
    rng = random.Random(16)
    values = [0, -0.0, -0.04, 0.04, -0.0005, 16.45, -16.45, 2.675, 1e-9, 1e6, Decimal("-0.00")]
    values += [rng.uniform(-1e5, 1e5) for _ in range(2000)]
    with translation.override(language):
        for value in values:
            for decimals in (0, 1, 2, 3):
                shown = display.rounded(value, decimals)
                assert display.number(value, decimals) == number_format(shown, decimals), value


def test_a_report_table_writes_each_cell_escaped_and_marks_the_suppressed_ones():
    from django.template.loader import render_to_string

    html = render_to_string(
        "evaluation/reports/_table.html",
        {
            "caption": "C",
            "first_column": "Year",
            "headers": ["n", "mean"],
            "rows": [
                {
                    "label": "Year 1",
                    "cells": [
                        {"text": "n<5", "suppressed": True},
                        {"text": "16,5", "suppressed": False},
                    ],
                }
            ],
        },
    )
    assert (
        '<th scope="row">Year 1</th><td class="text-end suppressed">n&lt;5</td>'
        '<td class="text-end">16,5</td></tr>'
    ) in html
