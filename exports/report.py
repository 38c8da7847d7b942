"""The figures of an evaluation run as CSV (long format), XLSX and PDF.

The run's stored result (docs/figures.md) is the only source: nothing is
recomputed. A suppressed figure is written empty with its ``suppressed`` flag 1. For
audiences outside the organisation, counts from 1 to ``min_cell - 1`` are suppressed
too (the stored result keeps them for the organisation's own pages).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import gettext as _

from evaluation import disclosure, figures
from evaluation.models import EvaluationRun
from surveys.models import Instrument

from .base import CATEGORY, NUMBER, STRING, Variable
from .dataset import YES_NO_FLAG

PARTICIPATION = (*figures.COUNT_KEYS, *figures.PARTICIPATION_KEYS)
INSTRUMENT_KEYS = (
    *figures.INSTRUMENT_COUNT_KEYS,
    *figures.MATCHED_KEYS,
    "target_score",
    *figures.POST_KEYS,
    "target_pct",
)
MODULE_KEYS = (
    "enrollments",
    "sessions_offered",
    "sessions_attended",
    "sessions_offered_mean",
    "sessions_attended_mean",
    "attendance_rate",
)


def min_cell_of(run: EvaluationRun) -> int:
    from django.conf import settings

    return (run.parameters or {}).get("min_cell", settings.MIN_CELL)


def details_of(run: EvaluationRun) -> dict:
    """Breakdowns and intervals: their own field (older runs kept them in the result)."""
    return getattr(run, "details", None) or (run.result or {}).get("details") or {}


def periods(run: EvaluationRun) -> list[dict]:
    """The period objects of the run: each year then the total, or the one period."""
    result = run.result or {}
    if "years" in result:
        return [*result["years"], result["total"]]
    return [result] if result else []


def figures_for(run: EvaluationRun, *, external: bool) -> tuple[list[dict], dict]:
    """The period objects (each year, then the total; or the one period) and the
    breakdowns every output of the run shows: for an audience outside the organisation,
    with small numbers and every value that would give them away by subtraction
    suppressed (``evaluation.disclosure``)."""
    objects, details = periods(run), details_of(run)
    if not external:
        return objects, details
    return disclosure.protect(objects, details, min_cell=min_cell_of(run))


def period_name(obj: dict) -> str:
    if obj.get("year"):
        return _("Year %(year)s") % {"year": obj["year"]}
    return _("All years") if obj.get("period_start") else _("Period")


def variables() -> list[Variable]:
    return [
        Variable("program", _("Program code")),
        Variable("year", _("Program year (empty: all years or a date range)"), NUMBER),
        Variable("period_start", _("First cohort start date of the period")),
        Variable("period_end", _("Last day of the period")),
        Variable("breakdown", _("Breakdown (empty: the whole period)")),
        Variable("group", _("Group of the breakdown")),
        Variable("instrument", _("Instrument code (empty: participation)")),
        Variable("measure", _("Figure, as named in the evaluation definitions"), STRING),
        Variable("value", _("Value (empty when suppressed or undefined)"), NUMBER),
        Variable(
            "suppressed",
            _("Suppressed: a small number, or one that would give a small number away"),
            CATEGORY,
            YES_NO_FLAG,
        ),
    ]


def _measures(obj: dict, head: tuple, breakdown: str, group, keys) -> Iterator[tuple]:
    suppressed = set(obj.get("suppressed", []))
    for key in keys:
        if key in obj:
            flag = 1 if key in suppressed else 0
            yield (*head, breakdown, group, "", key, None if flag else obj[key], flag)
    for code, inst in obj.get("instruments", {}).items():
        for key in INSTRUMENT_KEYS:
            if key in inst:
                flag = 1 if f"instruments.{code}.{key}" in suppressed else 0
                yield (*head, breakdown, group, code, key, None if flag else inst[key], flag)


def rows(run: EvaluationRun, *, external: bool) -> Iterator[tuple]:
    """Long format: one row per figure, period and group."""
    objects, details = figures_for(run, external=external)
    for obj in objects:
        head = (run.program.code, obj.get("year"), obj.get("period_start"), obj.get("period_end"))
        yield from _measures(obj, head, "", "", PARTICIPATION)
    if not objects:
        return
    last = objects[-1]
    head = (run.program.code, last.get("year"), last.get("period_start"), last.get("period_end"))
    for group in details.get("by_cohort", []):
        yield from _measures(group, head, "cohort", group["group"], PARTICIPATION)
    for field, groups in details.get("by_group", {}).items():
        for group in groups:  # computed with small counts suppressed
            yield from _measures(group, head, field, group["group"] or "", PARTICIPATION)
    for module in details.get("by_module", []):
        yield from _measures(module, head, "module", module.get("module") or "", MODULE_KEYS)


def notes(run: EvaluationRun, *, external: bool) -> list[str]:
    cell = min_cell_of(run)
    out = [
        _("Program: %(name)s (%(code)s)") % {"name": run.program.name, "code": run.program.code},
        _("Computed: %(when)s") % {"when": _when(run)},
        _("Definitions: docs/figures.md and docs/definitions.md of peersupport."),
        _(
            "Participants: distinct people with at least one enrollment (enrolled, completed "
            "or withdrawn) in a cohort that started in the period."
        ),
        _(
            "Sessions offered: the cohort's held sessions on or after the enrollment date. "
            "Attended: present or late at one of those. Attendance rate: attended / offered."
        ),
        _(
            "Scores: sum of item values (reverse items reversed), pro-rated when no more than "
            "the allowed number of items is missing; only people who consented to evaluation use."
        )
        + consent_note(details_of(run), min_cell=cell, external=external),
        _(
            "Outcome statistics: over enrollments with both a scored pre and post; paired "
            "t-test and Wilcoxon signed-rank, two-sided; effect size d_z = mean change / SD."
        ),
        _(
            "Suppression: a statistic computed from 1 to %(n)s records is left empty and "
            "flagged suppressed = 1; an undefined statistic (zero denominator) is empty with "
            "suppressed = 0."
        )
        % {"n": cell - 1},
    ]
    if external:
        out.append(
            _("For use outside the organisation: counts from 1 to %(n)s are suppressed too.")
            % {"n": cell - 1}
        )
        out.append(
            _(
                "Values that would give a suppressed one away by subtraction (a total minus "
                "its shown parts, or means weighted by their n) are suppressed too: years "
                "add up to all years, cohorts to their year, groups and modules to the "
                "period."
            )
        )
    return out


def consent_note(details: dict, *, min_cell: int, external: bool) -> str:
    """The people and surveys the consent rule left out because an evaluation consent was
    withdrawn or expired (the run's ``consent_left_out``), as a sentence ("" when none);
    small counts suppressed for use outside the organisation."""

    def shown(count: int) -> str | int:
        return f"< {min_cell}" if external and 0 < count < min_cell else count

    left_out = details.get("consent_left_out") or {}
    withdrawn = left_out.get("withdrawn") or {}
    expired = left_out.get("expired") or {}
    if not (withdrawn.get("participants") or expired.get("participants")):
        return ""
    return " " + _(
        "Left out because the consent to evaluation use was withdrawn: %(wp)s people "
        "(%(wa)s surveys); because it expired: %(ep)s people (%(ea)s surveys)."
    ) % {
        "wp": shown(withdrawn.get("participants", 0)),
        "wa": shown(withdrawn.get("administrations", 0)),
        "ep": shown(expired.get("participants", 0)),
        "ea": shown(expired.get("administrations", 0)),
    }


def _when(run: EvaluationRun) -> str:
    when = run.finished_at or run.created_at
    return timezone.localtime(when).strftime("%Y-%m-%d %H:%M") if when else ""


def write_xlsx(run: EvaluationRun, target, *, external: bool) -> None:
    """A sheet per period (each year, then all years), breakdowns, and notes."""
    from .writers import XlsxBook

    book = XlsxBook()
    header = [v.name for v in variables()]
    by_period: dict[tuple, list] = {}
    for row in rows(run, external=external):
        by_period.setdefault((row[1], row[4] != ""), []).append(row)
    for obj in periods(run):
        book.sheet(period_name(obj), header, by_period.get((obj.get("year"), False), []))
    details = [r for (_y, is_detail), rs in by_period.items() if is_detail for r in rs]
    if details:
        book.sheet(_("breakdowns"), header, details)
    book.sheet(_("notes"), [_("Notes")], ((n,) for n in notes(run, external=external)))
    book.save(target)


def instrument_names(run: EvaluationRun) -> dict[str, str]:
    return dict(
        Instrument.objects.filter(organisation_id=run.program.organisation_id, is_current=True)
        .order_by()
        .values_list("code", "name")
    )
