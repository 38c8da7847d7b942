"""Statistics without a database: hand computations and SciPy agree with evaluation.stats."""

import math

import pytest
from scipy import stats as scipy_stats

from evaluation import stats

# Pairs (pre, post) with changes 7, 4, 0 and 13/3: mean change 23/6, SD 5/sqrt(3).
PAIRS = [(8, 15), (8, 12), (10, 10), (5, 28 / 3)]


def test_paired_figures_match_a_hand_computation():
    result = stats.paired(PAIRS)
    assert result.matched_n == 4
    assert result.pre_mean == pytest.approx(31 / 4)
    assert result.post_mean == pytest.approx(139 / 12)
    assert result.mean_change == pytest.approx(23 / 6)
    # deviations 19/6, 1/6, -23/6, 3/6: squares sum to 900/36 = 25; / (n-1) = 25/3
    assert result.sd_change == pytest.approx(5 / math.sqrt(3))
    # t = mean / (sd / sqrt(n)) = (23/6) / ((5/sqrt 3) / 2) = 23 sqrt(3) / 15
    assert result.t == pytest.approx(23 * math.sqrt(3) / 15)
    assert result.effect_size_dz == pytest.approx(23 * math.sqrt(3) / 30)


def test_p_values_are_scipys_paired_t_test_and_wilcoxon_two_sided():
    pre, post = [a for a, _ in PAIRS], [b for _, b in PAIRS]
    result = stats.paired(PAIRS)
    expected_t = scipy_stats.ttest_rel(post, pre)
    assert result.t == pytest.approx(expected_t.statistic)
    assert result.p_value == pytest.approx(expected_t.pvalue)
    # Two-sided p from the t distribution with n - 1 = 3 degrees of freedom.
    assert result.p_value == pytest.approx(2 * scipy_stats.t.sf(23 * math.sqrt(3) / 15, 3))
    assert result.wilcoxon_p == pytest.approx(scipy_stats.wilcoxon(post, pre).pvalue)


def test_wilcoxon_on_three_positive_changes_is_the_exact_quarter():
    # Three non-zero changes, all positive: 2 of the 2^3 sign patterns are as extreme.
    assert stats.paired([(1, 2), (1, 3), (1, 4)]).wilcoxon_p == pytest.approx(0.25)


def test_identical_changes_leave_tests_and_effect_size_empty_not_nan():
    result = stats.paired([(1, 3), (2, 4), (5, 7)])
    assert result.mean_change == 2
    assert result.sd_change == 0
    assert result.t is None and result.p_value is None and result.effect_size_dz is None


def test_no_change_at_all_has_no_wilcoxon_p():
    assert stats.paired([(3, 3), (4, 4)]).wilcoxon_p is None


def test_one_pair_has_means_but_no_sd_or_tests():
    result = stats.paired([(2, 5)])
    assert (result.pre_mean, result.post_mean, result.mean_change) == (2, 5, 3)
    assert result.sd_change is None and result.t is None and result.effect_size_dz is None


def test_no_pairs_gives_empty_figures():
    result = stats.paired([])
    assert result.matched_n == 0
    assert all(v is None for k, v in result.as_dict().items() if k != "matched_n")


def test_zero_denominator_is_empty():
    assert stats.ratio(3, 0) is None
    assert stats.ratio(0, 4) == 0


def test_mean_ci_uses_students_t():
    values = [8, 8, 10, 5]
    low, high = stats.mean_ci(values)
    half = scipy_stats.t.ppf(0.975, 3) * stats.sample_sd(values) / 2
    assert (low, high) == pytest.approx((7.75 - half, 7.75 + half))
    assert stats.mean_ci([3]) is None


def test_mean_ci_is_scipys_to_the_last_bit():
    import random

    rng = random.Random(16)
    for _ in range(2000):
        n = rng.randint(2, 300)
        level = rng.choice((0.9, 0.95, 0.99, rng.random()))
        values = [rng.gauss(24, 6) for _ in range(n)]
        half = float(scipy_stats.t.ppf((1 + level) / 2, n - 1)) * stats.sample_sd(values)
        mean = math.fsum(values) / n
        expected = (mean - half / math.sqrt(n), mean + half / math.sqrt(n))
        assert stats.mean_ci(values, level) == expected


def test_the_app_does_not_load_scipy_stats():
    # Processes that never test a hypothesis (the web's, an export's) do not carry it.
    import subprocess
    import sys

    code = (
        "import sys, django; django.setup();"
        "from django.urls import get_resolver; get_resolver().url_patterns;"
        "import evaluation.runs, exports.services, evaluation.tasks;"
        "print('scipy.stats' in sys.modules)"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False", out.stderr[-2000:]


def test_statistics_from_fewer_than_min_cell_records_are_blanked_and_listed():
    figures = {"pre_mean": 3.0, "t": 1.2}
    suppressed = []
    stats.suppress(figures, ["pre_mean", "t"], n=4, min_cell=5, suppressed=suppressed, prefix="x.")
    assert figures == {"pre_mean": None, "t": None}
    assert suppressed == ["x.pre_mean", "x.t"]


def test_min_cell_records_or_none_at_all_are_not_suppressed():
    figures = {"pre_mean": 3.0}
    suppressed = []
    stats.suppress(figures, ["pre_mean"], n=5, min_cell=5, suppressed=suppressed)
    stats.suppress({"t": None}, ["t"], n=0, min_cell=5, suppressed=suppressed)
    assert figures == {"pre_mean": 3.0} and suppressed == []


def test_small_counts_are_blanked_for_external_audiences_but_zero_is_kept():
    figures = {"participants": 4, "enrollments": 0, "pre_n": 5}
    suppressed = []
    stats.suppress_small_counts(
        figures, ["participants", "enrollments", "pre_n"], min_cell=5, suppressed=suppressed
    )
    assert figures == {"participants": None, "enrollments": 0, "pre_n": 5}
    assert suppressed == ["participants"]


def test_the_result_says_how_the_wilcoxon_p_was_computed():
    assert stats.paired([(1, 2), (1, 3), (1, 4)]).wilcoxon_method == "exact"
    # A tie (two changes of 1) in a small sample: SciPy's permutation test.
    assert stats.paired([(1, 2), (2, 3), (1, 4)]).wilcoxon_method == "permutation"
    assert stats.paired([(3, 3), (4, 4)]).wilcoxon_method is None


def test_the_paired_t_test_is_scipys_to_the_last_bit_on_thousands_of_samples():
    """``stats.paired_t`` does SciPy's arithmetic in SciPy's order: the same floats, not
    merely close ones, so a stored report does not change by a digit."""
    import random

    rng = random.Random(2026)
    compared = 0
    for i in range(3000):
        n = rng.randint(2, 80)
        if i % 3 == 0:  # whole-number scores, with ties and zero changes
            pre = [float(rng.randint(10, 40)) for _ in range(n)]
            post = [p + rng.randint(-3, 9) for p in pre]
        else:  # pro-rated scores: fractions
            pre = [rng.uniform(10, 40) for _ in range(n)]
            post = [p + rng.gauss(3, 5) for p in pre]
        expected = scipy_stats.ttest_rel(post, pre)
        t, p = stats.paired_t(pre, post)
        if math.isnan(expected.statistic):
            assert math.isnan(t) and math.isnan(p)
            continue
        assert (t, p) == (float(expected.statistic), float(expected.pvalue)), (pre, post)
        compared += 1
    assert compared > 2900
