"""The figures of an evaluation run as CSV (long format), XLSX and PDF.

The run's stored result (docs/figures.md) is the only source: nothing is
recomputed. A suppressed figure is written empty with its ``suppressed`` flag 1. For
audiences outside the organisation, counts from 1 to ``min_cell - 1`` are suppressed
too (the stored result keeps them for the organisation's own pages); ``shown`` gives
the objects an audience sees, and every output of the report (CSV, XLSX, PDF) is made
from them.

The CSV and the data sheets of the XLSX have two header rows: the columns' labels in the
reader's language, then the variable names for programs (read with ``skiprows=1``).
Beside each unrounded ``value`` is ``value_shown``, the figure as the report page and the
PDF show it (``evaluation.display``: rounded half up, "n<5" when suppressed).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _

from evaluation import display, figures, presenting, stored
from evaluation.models import EvaluationRun
from surveys.models import Instrument

from .base import CATEGORY, NUMBER, STRING, Variable
from .dataset import YES_NO_FLAG

PARTICIPATION = (*figures.COUNT_KEYS, *figures.PARTICIPATION_KEYS)
INSTRUMENT_KEYS = (
    *figures.INSTRUMENT_COUNT_KEYS,
    *(k for k in figures.MATCHED_KEYS if k != "wilcoxon_method"),  # a word: in the notes
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
    return stored.min_cell_of(run)


def details_of(run: EvaluationRun) -> dict:
    """The organisation's breakdowns by module and group, intervals, versions and the
    surveys the consent rule left out (the cohorts are read with ``shown``)."""
    return stored.figures(run, external=False)[1]


def periods(run: EvaluationRun) -> list[dict]:
    """The period objects of the run: each year then the total, or the one period."""
    return stored.period_objects(run.result)


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


def shown(run: EvaluationRun, *, external: bool) -> tuple[list[dict], dict]:
    """The period objects (each year, then the total; or the one period) and the
    breakdowns as ``external`` (or internal) readers see them, the one source of every
    output of the report: for an audience outside the organisation, with small numbers
    and every value that would give them away by subtraction suppressed
    (``evaluation.disclosure``, applied when the run was stored). Every cohort is in
    ``details["by_cohort"]``, in order (``evaluation.stored``)."""
    return stored.shown(run, external=external)


def rows(run: EvaluationRun, *, external: bool) -> Iterator[tuple]:
    """Long format: one row per figure, period and group."""
    objects, details = shown(run, external=external)
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
        for group in groups:
            yield from _measures(group, head, field, group["group"] or "", PARTICIPATION)
    for module in details.get("by_module", []):
        yield from _measures(module, head, "module", module.get("module") or "", MODULE_KEYS)


def display_variables() -> list[Variable]:
    """The report's columns with the figure's name and its shown value beside the value."""
    out = []
    for v in variables():
        if v.name == "value":
            out.append(Variable("figure", _("Figure, in words"), STRING))
        out.append(v)
        if v.name == "value":
            out.append(Variable("value_shown", _("Value as shown in the report"), STRING))
    return out


def display_rows(run: EvaluationRun, *, external: bool) -> Iterator[tuple]:
    """``rows`` with the figure's name and its shown value (``display_variables``)."""
    cell = min_cell_of(run)
    labels = presenting.figure_labels()
    for row in rows(run, external=external):
        *head, measure, value, flag = row
        shown_value = display.figure(measure, value, suppressed=bool(flag), min_cell=cell)
        yield (*head, measure, labels.get(measure, measure), value, shown_value, flag)


def csv_chunks(run: EvaluationRun, *, external: bool) -> Iterator[bytes]:
    """The report CSV: labels row, variable names row, then the figures."""
    from .writers import csv_chunks as chunks

    columns = display_variables()
    labelled = [Variable(str(v.label), str(v.label), v.type, v.values) for v in columns]
    names = tuple(v.name for v in columns)
    yield from chunks(labelled, [names, *display_rows(run, external=external)])


def notes(run: EvaluationRun, *, external: bool) -> list[str]:
    cell = min_cell_of(run)
    out = [
        _("Program: %(name)s (%(code)s)") % {"name": run.program.name, "code": run.program.code},
        _("Computed: %(when)s") % {"when": _when(run)},
        _("Definitions: docs/figures.md and docs/definitions.md of peersupport."),
        _(
            "Columns: the first header row gives each column's label, the second its "
            "variable name; value is unrounded, value_shown is the figure as the report "
            "shows it (rounded half up)."
        ),
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
    objects, _details = stored.figures(run, external=external)  # the cohorts are not needed
    for code in objects[0].get("instruments", {}) if objects else ():
        for obj in objects:
            method = obj["instruments"][code].get("wilcoxon_method")
            if method:
                out.append(
                    _("Wilcoxon p-value of %(code)s, %(period)s: %(method)s.")
                    % {
                        "code": code,
                        "period": period_name(obj),
                        "method": display.method_name(method),
                    }
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
    return presenting.generated_at(when) if when else ""


def write_xlsx(run: EvaluationRun, target, *, external: bool) -> None:
    """A sheet per period (each year, then all years), breakdowns, the variables, and
    notes. Each data sheet's header row gives the labels, the next row the names."""
    from .writers import XlsxBook

    book = XlsxBook()
    columns = display_variables()
    header = [str(v.label) for v in columns]
    names = tuple(v.name for v in columns)
    by_period: dict[tuple, list] = {}
    for row in display_rows(run, external=external):
        by_period.setdefault((row[1], row[4] != ""), []).append(row)
    for obj in periods(run):
        rows_of = by_period.get((obj.get("year"), False), [])
        book.sheet(period_name(obj), header, [names, *rows_of])
    details = [r for (_y, is_detail), rs in by_period.items() if is_detail for r in rs]
    if details:
        book.sheet(_("breakdowns"), header, [names, *details])
    book.sheet(
        _("variables"), [_("Variable"), _("Label")], ((v.name, str(v.label)) for v in columns)
    )
    book.sheet(_("notes"), [_("Notes")], ((n,) for n in notes(run, external=external)))
    book.save(target)


def instrument_names(run: EvaluationRun) -> dict[str, str]:
    return dict(
        Instrument.objects.filter(organisation_id=run.program.organisation_id, is_current=True)
        .order_by()
        .values_list("code", "name")
    )
