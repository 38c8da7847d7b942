"""Small-number protection for audiences outside the organisation, in one place.

Plain Python, no ORM. Every output an evaluator or funder sees (the report pages for
evaluators, the report CSV/XLSX/PDF, the summary sentence, the attendance counts, and
which rows the participant-level exports keep) goes through these functions, so a value
hidden in one of them is hidden in all of them.

Two steps, as statistical agencies do (docs/definitions.md, "Small numbers"):

1. **Primary suppression.** Counts from 1 to ``min_cell - 1`` and every statistic
   computed from that few records are blanked.
2. **Complementary (secondary) suppression.** Parts add up to totals (years to all
   years, cohorts to their year, modules and self-identified groups to the period, present
   and late to attended), and means weighted by their ``n`` add up to the total's mean. A
   single blank part of a shown total could be worked out by subtraction, so in every such
   relation either nothing is blank, or at least two cells are blank and the blank parts
   together stand for ``min_cell`` records or more. When a relation breaks that rule, the
   shown part with the fewest records is blanked too, or, when there is none, the total;
   this repeats until every relation holds.

A *cell* is what gets blanked together: for a period or group object, a *family* of
figures that share one count (the participation figures share ``enrollments``; an
instrument's matched-pair statistics share ``matched_n``, and so on), because a mean
and its ``n`` let a reader work the other out.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .figures import COUNT_KEYS, INSTRUMENT_COUNT_KEYS, MATCHED_KEYS, PARTICIPATION_KEYS

#: Module rows: sessions offered and attended are totals over enrollments.
MODULE_KEYS = (
    "sessions_offered",
    "sessions_attended",
    "sessions_offered_mean",
    "sessions_attended_mean",
    "attendance_rate",
)


def small(count: float | None, min_cell: int) -> bool:
    """A count that identifies: from 1 to ``min_cell - 1`` (zero hides nobody)."""
    return count is not None and 0 < count < min_cell


# --- the rule, on plain cells ----------------------------------------------------------


@dataclass(frozen=True)
class Relation:
    """``total`` is the sum of ``parts`` (of counts, and of n-weighted means)."""

    total: Hashable
    parts: tuple[Hashable, ...]


def complementary(
    relations: Sequence[Relation],
    weights: Mapping[Any, float | None],
    hidden: Iterable[Any],
    *,
    min_cell: int,
) -> set[Any]:
    """The cells to hide so that no hidden cell can be worked out from the shown ones.

    ``weights`` is each cell's count (the number of records it stands for; only shown
    cells' weights are used, so hidden ones may be None); ``hidden`` the cells already
    hidden. In each relation, afterwards:

    - nothing is hidden; or
    - the total is hidden and at least one part is too; or
    - the total is shown, at least two parts are hidden, and the hidden parts together
      (total minus shown parts, what a reader can work out) stand for no fewer than
      ``min_cell`` records.

    The cell chosen to hide next is the shown part with the fewest records (never a zero,
    which hides nothing), else the total.
    """
    hidden = set(hidden)

    def w(cell) -> float:
        return float(weights.get(cell) or 0)

    def smallest_shown(parts) -> Hashable | None:
        shown = [p for p in parts if p not in hidden and w(p) > 0]
        return min(shown, key=w) if shown else None

    changed = True
    while changed:
        changed = False
        for relation in relations:
            parts = relation.parts
            hidden_parts = [p for p in parts if p in hidden]
            if relation.total in hidden:
                if hidden_parts or not parts:
                    continue
                pick = smallest_shown(parts)
                if pick is None:
                    continue  # every part is zero: the total is zero too
                hidden.add(pick)
                changed = True
                continue
            if not hidden_parts:
                continue
            recoverable = w(relation.total) - sum(w(p) for p in parts if p not in hidden)
            if len(hidden_parts) >= 2 and not small(recoverable, min_cell):
                continue
            pick = smallest_shown(parts)
            hidden.add(relation.total if pick is None else pick)
            changed = True
    return hidden


# --- figures objects -------------------------------------------------------------------


def families(obj: Mapping) -> dict[str, tuple[str, tuple[str, ...]]]:
    """The cells of a period or group object: ``{family: (weight key, keys)}``, keys
    dotted as in the object's ``suppressed`` list (``instruments.GSE.pre_mean``)."""
    out: dict[str, tuple[str, tuple[str, ...]]] = {
        "participation": ("enrollments", (*COUNT_KEYS, *PARTICIPATION_KEYS)),
    }
    for code in obj.get("instruments", {}):
        p = f"instruments.{code}."
        out[p + "pre"] = (p + "pre_n", (p + "pre_n",))
        out[p + "incomplete"] = (p + "incomplete_n", (p + "incomplete_n",))
        out[p + "matched"] = (p + "matched_n", tuple(p + k for k in ("matched_n", *MATCHED_KEYS)))
        out[p + "post"] = (p + "post_n", (p + "post_n",))
        out[p + "meet"] = (
            p + "post_meeting_target_n",
            (p + "post_meeting_target_n", p + "post_meeting_target_pct"),
        )
    return out


MODULE_FAMILY = {"module": ("sessions_offered", MODULE_KEYS)}


def lookup(obj: Mapping, dotted: str):
    if dotted.startswith("instruments."):
        _, code, key = dotted.split(".", 2)
        return obj.get("instruments", {}).get(code, {}).get(key)
    return obj.get(dotted)


def _set(obj: dict, dotted: str, value) -> None:
    if dotted.startswith("instruments."):
        _, code, key = dotted.split(".", 2)
        inst = obj.get("instruments", {}).get(code)
        if inst is not None and key in inst:
            inst[key] = value
    elif dotted in obj:
        obj[dotted] = value


def _blank(obj: dict, keys: Iterable[str]) -> None:
    suppressed = obj.setdefault("suppressed", [])
    for key in keys:
        if lookup(obj, key) is None and key not in suppressed:
            continue  # undefined (zero denominator), or absent: nothing to hide
        _set(obj, key, None)
        if key not in suppressed:
            suppressed.append(key)


def _primary(obj: dict, fams: Mapping[str, tuple[str, tuple[str, ...]]], min_cell: int) -> None:
    """Small counts blanked, and with any figure of a family blank, the whole family."""
    suppressed = obj.setdefault("suppressed", [])
    for _family, (_weight, keys) in fams.items():
        if any(small(lookup(obj, k), min_cell) for k in keys if _is_count(k)) or any(
            k in suppressed for k in keys
        ):
            _blank(obj, keys)


COUNTS = {
    *COUNT_KEYS,
    *INSTRUMENT_COUNT_KEYS,
    "post_meeting_target_n",
    "sessions_offered",
    "sessions_attended",
}


def _is_count(dotted: str) -> bool:
    return dotted.rsplit(".", 1)[-1] in COUNTS


def is_hidden(obj: Mapping, family_keys: Sequence[str]) -> bool:
    return any(k in obj.get("suppressed", []) for k in family_keys)


def _copied(value):
    """A copy of figures as JSON holds them (dicts and lists of numbers, strings, None;
    tuples are immutable and kept): what ``copy.deepcopy`` does, without its memo, which
    took longer than the suppression on a run of 9,000 cohorts."""
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value


def protect(objects: list[dict], details: dict, *, min_cell: int) -> tuple[list[dict], dict]:
    """Copies of a run's period objects (each year, then the total; or the one period)
    and its breakdowns, with primary and complementary suppression applied for an
    audience outside the organisation. The last object is the period the breakdowns
    cover. The originals are left as they are (the organisation's own pages use them)."""
    objects = _copied(objects)
    details = _copied(details)
    if not objects:
        return objects, details
    whole = objects[-1]
    years = objects[:-1]
    cohorts = list(details.get("by_cohort", []))
    groups = {field: list(g) for field, g in details.get("by_group", {}).items()}
    modules = list(details.get("by_module", []))
    fams = families(whole)
    cells: dict[tuple[int, str], tuple[dict, tuple[str, ...], str]] = {}

    def register(obj: dict, family_map) -> None:
        _primary(obj, family_map, min_cell)
        for family, (weight, keys) in family_map.items():
            cells[(id(obj), family)] = (obj, keys, weight)

    for obj in [*objects, *cohorts, *(g for gs in groups.values() for g in gs)]:
        register(obj, families(obj))
    for module in modules:
        register(module, MODULE_FAMILY)

    relations: list[Relation] = []

    def relate(total: dict, parts: Sequence[dict]) -> None:
        for family in fams:
            relations.append(Relation((id(total), family), tuple((id(p), family) for p in parts)))

    if years:
        relate(whole, years)
    by_year: dict[int | None, list[dict]] = {}
    for cohort in cohorts:
        by_year.setdefault(cohort.get("year"), []).append(cohort)
    year_objects = {obj.get("year"): obj for obj in years}
    for year, members in by_year.items():
        relate(year_objects.get(year, whole) if years else whole, members)
    for members in groups.values():
        relate(whole, members)
    # ``a`` hidden means ``b`` hidden: an instrument's post count and its meeting-the-
    # target figures tell each other; the period's sessions offered (what its module rows
    # add up to) is one of its participation figures.
    links = [
        ((key[0], key[1]), (key[0], key[1][: -len("post")] + "meet"))
        for key in cells
        if key[1].endswith(".post")
    ]
    if modules:
        mean, n = whole.get("sessions_offered_mean"), whole.get("enrollments")
        cells[(id(whole), "sessions")] = (whole, fams["participation"][1], "")
        total_offered = None if mean is None or n is None else round(mean * n)
        links += [((id(whole), "sessions"), (id(whole), "participation"))]
        links += [((id(whole), "participation"), (id(whole), "sessions"))]
        relations.append(
            Relation((id(whole), "sessions"), tuple((id(m), "module") for m in modules))
        )
    weights = {key: lookup(obj, weight) for key, (obj, _keys, weight) in cells.items() if weight}
    if modules:
        weights[(id(whole), "sessions")] = total_offered
    hidden = {key for key, (obj, keys, _w) in cells.items() if is_hidden(obj, keys)}
    while True:
        hidden = complementary(relations, weights, hidden, min_cell=min_cell)
        extra = {b for a, b in links if a in hidden and b not in hidden and b in cells}
        if not extra:
            break
        hidden |= extra
    for key, (obj, keys, _weight) in cells.items():  # in order: the same output every time
        if key in hidden:
            _blank(obj, keys)
    if modules and (id(whole), "participation") in hidden:
        for m in modules:  # the period is hidden: module rows would tell its size
            _blank(m, ("enrollments", *MODULE_KEYS))
    for code, interval in details.get("intervals", {}).items():
        if f"instruments.{code}.pre_mean" in whole.get("suppressed", []):
            interval.update(pre_ci=None, post_ci=None)  # an interval's middle is the mean
    return objects, details


def protect_row(values: Mapping[str, int | None], relations: Sequence[Relation], *, min_cell: int):
    """One row of counts (e.g. a session's present, late, absent, excused and attended):
    small counts hidden, then complementary suppression over ``relations`` (of the row's
    keys). Answers the set of keys to leave empty."""
    hidden = {key for key, value in values.items() if small(value, min_cell)}
    return complementary(relations, values, hidden, min_cell=min_cell)
