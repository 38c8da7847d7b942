"""Scoring one survey administration, exactly as docs/figures.md defines it.

Pure Python, no ORM: the same function scores staff entry, self-completion, imports and
the demo data, and is tested without a database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class ItemSpec:
    number: int
    min_value: int
    max_value: int
    reverse: bool = False


@dataclass(frozen=True)
class Score:
    #: The score, or None when more items are missing than allowed.
    value: float | None
    answered_n: int
    missing_n: int

    @property
    def is_complete(self) -> bool:
        return self.value is not None


class AnswerOutOfRange(ValueError):
    """An answer outside its item's range: invalid input, never stored."""

    def __init__(self, item: ItemSpec, value):
        self.item = item
        self.value = value
        super().__init__(
            f"item {item.number}: {value} is outside {item.min_value}..{item.max_value}"
        )


def check_answer(item: ItemSpec, value) -> int | None:
    """The answer as an int (None = missing); raises AnswerOutOfRange for anything else."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise AnswerOutOfRange(item, value)
    if not item.min_value <= value <= item.max_value:
        raise AnswerOutOfRange(item, value)
    return value


def keyed_value(item: ItemSpec, value: int) -> int:
    """A reverse-scored answer ``x`` counts as ``min_value + max_value - x``."""
    return item.min_value + item.max_value - value if item.reverse else value


def score(
    items: Sequence[ItemSpec],
    answers: Mapping[int, int | None],
    *,
    max_missing: int,
    conversion_table: Mapping[str | int, float] | None = None,
) -> Score:
    """Sum of keyed answers; with 1..max_missing missing, mean × number of items (pro-rated,
    unrounded); with more missing, no score.

    When the instrument has a conversion table (raw total → published score), the raw total
    is looked up after pro-rating; a fractional pro-rated total is rounded half up first
    (docs/definitions.md).
    """
    values = []
    for item in items:
        value = check_answer(item, answers.get(item.number))
        if value is not None:
            values.append(keyed_value(item, value))
    answered = len(values)
    missing = len(items) - answered
    if not items or missing > max_missing or answered == 0:
        return Score(None, answered, missing)
    raw = sum(values) if missing == 0 else sum(values) / answered * len(items)
    if conversion_table:
        key = str(math.floor(raw + 0.5))
        table = {str(k): v for k, v in conversion_table.items()}
        if key not in table:
            raise ValueError(f"conversion table has no entry for raw total {key}")
        raw = float(table[key])
    return Score(float(raw), answered, missing)


def check_instrument(items: Sequence[ItemSpec], max_missing: int) -> None:
    """Pro-rating (mean × number of items) is only meaningful when every item has the same
    range; otherwise a pro-rated score could fall outside the instrument's range."""
    if max_missing < 0 or max_missing >= max(len(items), 1):
        raise ValueError("max_missing must be at least 0 and less than the number of items")
    ranges = {(i.min_value, i.max_value) for i in items}
    if max_missing > 0 and len(ranges) > 1:
        raise ValueError("pro-rating missing items needs every item to have the same range")


class ConversionTableError(ValueError):
    """A conversion table that cannot score every possible raw total, said in words."""


def check_conversion_table(items: Sequence[ItemSpec], conversion_table: Mapping) -> None:
    """A conversion table must give a number for every raw total the items can add up to
    (no gap, nothing outside that range) and must run one way: as the raw total rises,
    the converted score never falls (or, for a table that runs downward, never rises).

    Raises ``ConversionTableError`` with every problem in words.
    """
    problems: list[str] = []
    low, high = score_range(items)
    needed = set(range(int(low), int(high) + 1))
    table: dict[int, float] = {}
    for key, value in conversion_table.items():
        try:
            raw = int(str(key).strip())
        except ValueError:
            problems.append(_("“%(k)s” is not a raw total (a whole number).") % {"k": key})
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            problems.append(_("Raw total %(k)s: “%(v)s” is not a number.") % {"k": raw, "v": value})
            continue
        table[raw] = float(value)
    missing = sorted(needed - set(table))
    extra = sorted(set(table) - needed)
    if missing:
        problems.append(
            _("The table needs a score for every raw total %(low)s–%(high)s; missing: %(m)s.")
            % {"low": int(low), "high": int(high), "m": ", ".join(map(str, missing))}
        )
    if extra:
        problems.append(
            _("Raw totals outside %(low)s–%(high)s cannot occur with these items' ranges: %(x)s.")
            % {"low": int(low), "high": int(high), "x": ", ".join(map(str, extra))}
        )
    pairs = [(raw, table[raw]) for raw in sorted(table) if raw in needed]
    steps = [b - a for (_r1, a), (_r2, b) in zip(pairs, pairs[1:], strict=False)]
    rising = sum(1 for d in steps if d > 0) >= sum(1 for d in steps if d < 0)
    for (r1, a), (r2, b) in zip(pairs, pairs[1:], strict=False):
        if (b < a) if rising else (b > a):
            problems.append(
                _(
                    "The table must run one way: raw total %(r2)s gives %(b)s, "
                    "%(dir)s than %(a)s for raw total %(r1)s."
                )
                % {
                    "r1": r1,
                    "r2": r2,
                    "a": f"{a:g}",
                    "b": f"{b:g}",
                    "dir": _("lower") if rising else _("higher"),
                }
            )
    if problems:
        raise ConversionTableError(" ".join(problems))


def meets_target(value: float, target: float, *, higher_is_better: bool = True) -> bool:
    """A score meets the target when at or above it, or at or below it for a scale on which
    lower is better (e.g. PHQ-9)."""
    return value >= target if higher_is_better else value <= target


def score_range(items: Sequence[ItemSpec], conversion_table=None) -> tuple[float, float]:
    """The lowest and highest score an instrument can give."""
    if conversion_table:
        values = [float(v) for v in conversion_table.values()]
        return min(values), max(values)
    return float(sum(i.min_value for i in items)), float(sum(i.max_value for i in items))
