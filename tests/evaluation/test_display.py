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
