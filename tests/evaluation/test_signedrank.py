"""The Wilcoxon signed-rank test of evaluation.signedrank gives SciPy's p-values.

SciPy is called only where its own computation is cheap: the permutation test it runs
for samples with ties or zeros enumerates 2**n sign patterns, so those samples stay at
n <= 12 here, except in the one test marked slow.
"""

import itertools
import math
import random
import warnings

import pytest
from scipy import stats as scipy_stats

from evaluation import signedrank
from evaluation.signedrank import signed_rank


def scipy_p(differences):
    """SciPy's two-sided p of the default test on post = pre + differences."""
    pre = [float(i % 7) for i in range(len(differences))]
    post = [a + d for a, d in zip(pre, differences, strict=True)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            p = float(scipy_stats.wilcoxon(post, pre).pvalue)
        except ValueError:
            return None, [b - a for a, b in zip(pre, post, strict=True)]
    return (None if math.isnan(p) else p), [b - a for a, b in zip(pre, post, strict=True)]


def assert_same_as_scipy(differences, method=None):
    expected, changes = scipy_p(differences)
    result = signed_rank(changes)
    if expected is None:
        assert result.p_value is None, changes
    else:
        assert result.p_value == pytest.approx(expected, abs=1e-12, rel=0), changes
    if method is not None:
        assert result.method == method, changes
    return result


def tied(rng, n, *, zeros):
    """n whole or half-point changes (many ties), with or without zeros."""
    values = [rng.randint(-6, 9) / rng.choice((1, 2)) for _ in range(n)]
    if zeros:
        values[rng.randrange(n)] = 0.0
        return values
    values = [v or 0.5 for v in values]
    if len(set(map(abs, values))) == n and n > 1:
        values[0] = -values[1]  # make sure there is a tie
    return values


def untied(rng, n):
    return [rng.gauss(0.4, 1.0) for _ in range(n)]


def test_untied_samples_of_1_to_60_pairs_match_scipy():
    rng = random.Random(20261123)
    seen = set()
    for _ in range(1000):
        n = rng.randint(1, 60)
        result = assert_same_as_scipy(untied(rng, n), "exact" if n <= 50 else "normal")
        seen.add(result.method)
    assert seen == {"exact", "normal"}


def test_tied_or_zero_samples_of_14_to_60_pairs_match_scipys_normal_approximation():
    rng = random.Random(7)
    for i in range(1000):
        n = rng.randint(14, 60)
        assert_same_as_scipy(tied(rng, n, zeros=i % 2 == 0), "normal")


def test_tied_or_zero_samples_of_up_to_12_pairs_match_scipys_permutation_test():
    rng = random.Random(11)
    sizes = [rng.randint(2, 8) for _ in range(120)] + [9, 10, 11, 12]
    for i, n in enumerate(sizes):
        assert_same_as_scipy(tied(rng, n, zeros=i % 3 == 0), "permutation")


@pytest.mark.slow
@pytest.mark.parametrize(
    "n, zeros, method",
    [(13, False, "permutation"), (13, True, "permutation"), (14, True, "normal"),
     (15, False, "normal")],
)  # fmt: skip
def test_samples_around_scipys_permutation_limit_match_scipy(n, zeros, method):
    assert_same_as_scipy(tied(random.Random(n), n, zeros=zeros), method)


def test_counts_of_sign_patterns_are_those_of_enumerating_them():
    rng = random.Random(3)
    for n in (1, 2, 5, 9, 14):
        weights = [rng.randint(1, 2 * n) for _ in range(n)]
        counts = signedrank._pattern_counts(weights)
        enumerated = [0] * (sum(weights) + 1)
        for signs in itertools.product((0, 1), repeat=n):
            enumerated[sum(w for w, s in zip(weights, signs, strict=True) if s)] += 1
        assert list(counts) == enumerated


def test_ties_get_average_ranks_doubled():
    doubled, groups = signedrank._doubled_ranks([2.0, 1.0, 2.0, 3.0, 2.0])
    # 1.0 is rank 1; the three 2.0 share ranks 2-4 (average 3); 3.0 is rank 5.
    assert doubled == [6, 2, 6, 10, 6]
    assert groups == [1, 3, 1]


def test_hand_computed_permutation_p_with_a_tie_and_a_zero():
    # Changes 0, 1, -1, 2: the zero is dropped; ranks 1.5, 1.5, 3; R+ = 4.5 of 6.
    # The 8 sign patterns give R+ = 0, 1.5, 1.5, 3, 3, 4.5, 4.5, 6: three are >= 4.5,
    # so the two-sided p is 2 * 3/8.
    result = signed_rank([0.0, 1.0, -1.0, 2.0])
    assert (result.p_value, result.method, result.statistic) == (0.75, "permutation", 1.5)


def test_no_differences_and_a_single_zero_have_no_p_value():
    assert signed_rank([]) is None
    assert signed_rank([0.0]).p_value is None
    assert signed_rank([0.0] * 20).p_value is None  # normal approximation, no spread
