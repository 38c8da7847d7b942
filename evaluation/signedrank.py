"""Wilcoxon signed-rank test, two-sided, giving the p-value SciPy's default gives.

``scipy.stats.wilcoxon(post, pre)`` (SciPy 1.17, ``method="auto"``,
``zero_method="wilcox"``, ``correction=False``) chooses its method from the number of
pairs ``n`` (zero differences included), ties among the absolute differences and zeros:

- ``n > 50``: the normal approximation;
- no ties and no zero differences: the exact null distribution of the signed-rank
  statistic (``exact``);
- ties or zeros and ``n <= 13``: a permutation test over all ``2**n`` sign patterns
  (``permutation``), which SciPy computes by enumerating them (0.6 s at ``n = 13``);
- ties or zeros and ``13 < n <= 50``: the normal approximation (``normal``), with the
  tie correction of the variance and no continuity correction.

Zero differences are dropped before ranking (Wilcoxon's method); ties get the average
of their ranks. Here both the exact and the permutation distributions are counted by
dynamic programming over *doubled* ranks (an average rank is a whole or half number, so
twice it is a whole number): the number of sign patterns whose positive ranks add up to
each possible total, one difference at a time, in ``n * n * (n + 1)`` steps at most
instead of ``2**n`` patterns. Counts are exact integers, and so are SciPy's own tail
sums (multiples of ``2**-n``, exactly representable), so the p-values are the same
floating-point numbers as SciPy's; the normal approximation repeats SciPy's arithmetic
step by step for the same reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.special import ndtr

EXACT = "exact"
PERMUTATION = "permutation"
NORMAL = "normal"

#: Above this many pairs SciPy uses the normal approximation whatever the data.
EXACT_MAX_N = 50
#: With ties or zeros, SciPy enumerates sign patterns up to this many pairs.
PERMUTATION_MAX_N = 13


@dataclass(frozen=True)
class SignedRank:
    """The test's outcome: ``statistic`` is the smaller of the positive and negative rank
    sums (what SciPy reports), ``p_value`` two-sided (None where SciPy answers ``nan``
    or refuses: no non-zero difference under the normal approximation, a single zero
    difference), ``method`` one of
    ``exact``, ``permutation``, ``normal``."""

    statistic: float
    p_value: float | None
    method: str


def _doubled_ranks(magnitudes: Sequence[float]) -> tuple[list[int], list[int]]:
    """Twice the average rank of each of ``magnitudes`` (in the order given) and the
    sizes of the groups of equal values."""
    order = sorted(range(len(magnitudes)), key=magnitudes.__getitem__)
    doubled = [0] * len(magnitudes)
    groups = []
    start = 0
    while start < len(order):
        end = start + 1
        while end < len(order) and magnitudes[order[end]] == magnitudes[order[start]]:
            end += 1
        size = end - start
        # Ranks start + 1 … end, average (start + 1 + end) / 2, doubled.
        for i in order[start:end]:
            doubled[i] = start + 1 + end
        groups.append(size)
        start = end
    return doubled, groups


def _pattern_counts(weights: Sequence[int]) -> np.ndarray:
    """``counts[s]``: how many of the ``2**len(weights)`` sign patterns give the positive
    ``weights`` the total ``s``."""
    counts = np.zeros(sum(weights) + 1, dtype=np.int64)
    counts[0] = 1
    reach = 0
    for w in weights:
        # Each pattern so far, with this difference negative (unchanged) or positive (+w).
        counts[w : reach + w + 1] += counts[: reach + 1].copy()
        reach += w
    return counts


@lru_cache(maxsize=64)
def _untied_counts(n: int) -> np.ndarray:
    """Pattern counts for ranks 1 … n without ties (doubled), shared by every sample of
    the same size."""
    counts = _pattern_counts(range(2, 2 * n + 1, 2))
    counts.flags.writeable = False
    return counts


def _two_sided_from_counts(counts: np.ndarray, observed: int, nonzero: int) -> float:
    """Twice the smaller tail of the counted distribution at ``observed`` (doubled rank
    sum), capped at 1: SciPy's two-sided p of the exact and of the permutation test."""
    at_most = int(counts[: observed + 1].sum())
    at_least = int(counts[observed:].sum())
    return min(1.0, 2 * min(at_most, at_least) / 2**nonzero)


def signed_rank(differences: Sequence[float]) -> SignedRank | None:
    """The two-sided Wilcoxon signed-rank test of ``differences`` (post minus pre), as
    ``scipy.stats.wilcoxon(post, pre)`` computes it; None when there are none."""
    n = len(differences)
    if n == 0:
        return None
    nonzero = [float(d) for d in differences if d != 0]
    count = len(nonzero)
    has_zeros = count < n
    doubled, groups = _doubled_ranks([abs(d) for d in nonzero])
    has_ties = any(size > 1 for size in groups)
    plus2 = sum(r for r, d in zip(doubled, nonzero, strict=True) if d > 0)
    minus2 = sum(r for r, d in zip(doubled, nonzero, strict=True) if d < 0)
    statistic = min(plus2, minus2) / 2

    if n <= EXACT_MAX_N and not (has_ties or has_zeros):
        p = _two_sided_from_counts(_untied_counts(n), plus2, count)
        return SignedRank(statistic, p, EXACT)
    if n <= PERMUTATION_MAX_N:
        if n < 2:  # one zero difference: SciPy refuses a permutation test of one value
            return SignedRank(statistic, None, PERMUTATION)
        p = _two_sided_from_counts(_pattern_counts(doubled), plus2, count)
        return SignedRank(statistic, p, PERMUTATION)

    # Normal approximation, in SciPy's order of operations (same rounding).
    c = float(count)
    mean = c * (c + 1.0) * 0.25
    variance = c * (c + 1.0) * (2.0 * c + 1.0)
    tie_correction = float(sum(size**3 - size for size in groups))
    se = math.sqrt((variance - tie_correction / 2) / 24)
    if se == 0:
        return SignedRank(statistic, None, NORMAL)
    z = (plus2 / 2 - mean) / se
    return SignedRank(statistic, float(2 * ndtr(-abs(z))), NORMAL)
