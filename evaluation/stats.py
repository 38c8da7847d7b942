"""Statistics for evaluation figures (docs/figures.md), as pure functions.

No ORM here: ``evaluation.engine`` fetches the numbers, these functions turn them into
statistics, and they are tested without a database. Anything undefined (a zero
denominator, a test on fewer than two pairs, a standard deviation of zero) is ``None``,
never an error and never ``nan``: the figures are written to JSON.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import special as _special

from .signedrank import signed_rank


def finite(value) -> float | None:
    """``value`` as a float, or None when it is missing, ``nan`` or infinite."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def ratio(numerator, denominator) -> float | None:
    """``numerator / denominator``; None when the denominator is zero."""
    if not denominator:
        return None
    return numerator / denominator


def mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def sample_sd(values: Sequence[float]) -> float | None:
    """Sample standard deviation (n - 1); None for fewer than two values."""
    n = len(values)
    if n < 2:
        return None
    m = math.fsum(values) / n
    return math.sqrt(math.fsum((v - m) ** 2 for v in values) / (n - 1))


def mean_ci(values: Sequence[float], level: float = 0.95) -> tuple[float, float] | None:
    """The ``level`` confidence interval of the mean (Student's t); None below two values."""
    sd = sample_sd(values)
    if sd is None:
        return None
    n = len(values)
    m = math.fsum(values) / n
    # Student's t quantile as ``scipy.stats.t.ppf((1 + level) / 2, n - 1)`` gives it
    # (which calls this very function): scipy.stats itself is not loaded, 45 MB less in
    # every process.
    half = float(_special.stdtrit(float(n - 1), (1 + level) / 2)) * sd / math.sqrt(n)
    return (m - half, m + half)


def paired_t(pre: Sequence[float], post: Sequence[float]) -> tuple[float, float]:
    """The paired t statistic and its two-sided p-value, exactly as
    ``scipy.stats.ttest_rel(post, pre)`` computes them, in its order of operations (the
    same floating-point results), without its per-call argument handling, which costs
    a hundred times the arithmetic on the few dozen pairs of a cohort. ``nan`` or an
    infinity where SciPy gives one (e.g. every change equal)."""
    changes = np.asarray(post, dtype=float) - np.asarray(pre, dtype=float)
    n = changes.size
    centre = np.mean(changes)
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.mean((changes - centre) ** 2) * (float(n) / float(n - 1))
        t = np.divide(centre, np.sqrt(variance / n))
    return float(t), float(2 * _special.stdtr(float(n - 1), -np.abs(t)))


@dataclass(frozen=True)
class Paired:
    """Outcome statistics of matched pre/post pairs, in the spec's names."""

    matched_n: int
    pre_mean: float | None
    post_mean: float | None
    mean_change: float | None
    sd_change: float | None
    t: float | None
    p_value: float | None
    wilcoxon_p: float | None
    effect_size_dz: float | None
    #: How ``wilcoxon_p`` was computed: ``exact``, ``permutation`` or ``normal``
    #: (``evaluation.signedrank``); None when there is no p-value.
    wilcoxon_method: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def untested(cls, matched_n: int) -> Paired:
        """The number of pairs only, every statistic None (not computed)."""
        return cls(matched_n, None, None, None, None, None, None, None, None)


def paired(pairs: Iterable[tuple[float, float]]) -> Paired:
    """Paired t-test (two-sided), Wilcoxon signed-rank (two-sided, SciPy's defaults) and
    Cohen's d_z = mean change / SD of change, over ``(pre, post)`` pairs.

    The Wilcoxon p-value is SciPy's (``scipy.stats.wilcoxon(post, pre)``), computed by
    ``evaluation.signedrank`` without enumerating sign patterns.

    With fewer than two pairs, or when every change is identical (SD zero), the tests and
    the effect size are undefined and come back as None.
    """
    pairs = list(pairs)
    pre = [float(a) for a, _ in pairs]
    post = [float(b) for _, b in pairs]
    changes = [b - a for a, b in zip(pre, post, strict=True)]
    n = len(pairs)
    mean_change = mean(changes)
    sd_change = sample_sd(changes)
    t = p = w = dz = None
    w_method = None
    if sd_change:  # at least two pairs and not all changes equal
        t_statistic, t_p = paired_t(pre, post)
        t, p = finite(t_statistic), finite(t_p)
        assert mean_change is not None  # two pairs or more
        dz = mean_change / sd_change
    if any(changes):
        test = signed_rank(changes)
        if test is not None and test.p_value is not None:
            w, w_method = finite(test.p_value), test.method
    return Paired(
        matched_n=n,
        pre_mean=mean(pre),
        post_mean=mean(post),
        mean_change=mean_change,
        sd_change=sd_change,
        t=t,
        p_value=p,
        wilcoxon_p=w,
        effect_size_dz=dz,
        wilcoxon_method=w_method,
    )


def suppress(
    figures: dict,
    keys: Iterable[str],
    *,
    n: int,
    min_cell: int,
    suppressed: list[str],
    prefix: str = "",
) -> None:
    """Blank ``keys`` of ``figures`` computed from ``n`` records when ``0 < n < min_cell``.

    Each blanked key is appended to ``suppressed`` (with ``prefix``, e.g.
    ``"instruments.GSE."``). With ``n == 0`` there is nothing to hide: the values are
    already None (a zero denominator) and are not listed.
    """
    if not 0 < n < min_cell:
        return
    for key in keys:
        figures[key] = None
        suppressed.append(prefix + key)


def suppress_small_counts(
    figures: Mapping, keys: Iterable[str], *, min_cell: int, suppressed: list[str], prefix=""
) -> None:
    """For external audiences: blank counts ``0 < count < min_cell`` themselves."""
    for key in keys:
        value = figures.get(key)
        if value is not None and 0 < value < min_cell:
            figures[key] = None  # type: ignore[index]
            suppressed.append(prefix + key)
