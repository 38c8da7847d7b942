"""What participant-level exports leave out so they do not give away what reports hide.

A report for an audience outside the organisation hides small cells, and the cells that
would give them away by subtraction (``evaluation.disclosure``). Rows of people make the
same figures with any statistics package, so the de-identified dataset and the item
export leave out the rows of every hidden year or cohort, blank an instrument's scores
where that instrument's figures are hidden, blank a self-identified answer whose group is
hidden, and blank the attendance of a hidden module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from evaluation import disclosure, runs

from .base import ExportOptions

#: The report's breakdown fields and the dataset's column of each.
GROUP_COLUMNS = {
    "gender_identity": "gender",
    "indigenous_identity": "indigenous",
    "racialised": "racialised",
}


@dataclass
class Withheld:
    """Hidden cells of the report of an export's period."""

    everything: bool = False
    years: set[int] = field(default_factory=set)
    cohorts: set[str] = field(default_factory=set)
    #: Instrument codes hidden for the whole period, per year, per cohort.
    scores: set[str] = field(default_factory=set)
    year_scores: set[tuple[int, str]] = field(default_factory=set)
    cohort_scores: set[tuple[str, str]] = field(default_factory=set)
    #: Where only the count of surveys too incomplete to score is hidden.
    incomplete: set[str] = field(default_factory=set)
    year_incomplete: set[tuple[int, str]] = field(default_factory=set)
    cohort_incomplete: set[tuple[str, str]] = field(default_factory=set)
    #: Per breakdown field, the raw answers ("" for not recorded) whose group is hidden.
    groups: dict[str, set[str]] = field(default_factory=dict)
    #: Per breakdown field, ``(answer, code)`` whose count of incomplete surveys is hidden.
    group_incomplete: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    #: Module orders (None: sessions outside the curriculum) whose attendance is hidden.
    modules: set[int | None] = field(default_factory=set)

    def row_hidden(self, year: int | None, cohort: str) -> bool:
        return self.everything or year in self.years or cohort in self.cohorts

    def score_hidden(self, year: int | None, cohort: str, code: str) -> bool:
        return (
            code in self.scores
            or (year, code) in self.year_scores
            or (cohort, code) in self.cohort_scores
        )

    def incomplete_hidden(self, year: int | None, cohort: str, code: str) -> bool:
        """Whether the number of this instrument's surveys too incomplete to score is
        hidden here (so neither they nor the surveys never given may be told apart)."""
        return (
            code in self.incomplete
            or (year, code) in self.year_incomplete
            or (cohort, code) in self.cohort_incomplete
        )


def _hidden_families(obj: dict) -> tuple[bool, set[str], set[str]]:
    """Whether the participation figures are hidden, the instruments with a hidden score
    figure, and those with only their count of incomplete surveys hidden."""
    fams = disclosure.families(obj)
    participation = disclosure.is_hidden(obj, fams["participation"][1])
    scores: set[str] = set()
    incomplete: set[str] = set()
    for name, (_w, keys) in fams.items():
        if name.startswith("instruments.") and disclosure.is_hidden(obj, keys):
            code = name.split(".")[1]
            (incomplete if name.endswith(".incomplete") else scores).add(code)
    return participation, scores, incomplete - scores


def withheld(program, options: ExportOptions, *, surveys: bool = True) -> Withheld:
    """The hidden cells of the external report of the export's period (none for the
    organisation's own, internal exports). Without ``surveys`` they are not read:
    which years' and cohorts' rows are hidden, and which modules, is the same (each family
    of figures is suppressed on its own); nothing is known of instruments, nor of groups
    hidden for an instrument's figures."""
    if not options.external:
        return Withheld()
    cell = options.min_cell
    if options.year is not None:
        objects, details = runs.shown_figures(
            program, year=options.year, min_cell=cell, surveys=surveys
        )
    elif options.period_start is not None and options.period_end is not None:
        objects, details = runs.shown_figures(
            program,
            start=options.period_start,
            end=options.period_end,
            min_cell=cell,
            surveys=surveys,
        )
    else:
        objects, details = runs.shown_figures(program, min_cell=cell, surveys=surveys)
    return hidden_cells(objects, details)


def hidden_cells(objects: list[dict], details: dict) -> Withheld:
    """What the suppressed figures of a report hide (``disclosure.protect``'s output: the
    period objects, the last one the whole period, and the breakdowns), as a
    ``Withheld``."""
    out = Withheld()
    whole = objects[-1]
    out.everything, out.scores, out.incomplete = _hidden_families(whole)
    for obj in objects[:-1]:
        hidden, codes, incomplete = _hidden_families(obj)
        if hidden:
            out.years.add(obj["year"])
        out.year_scores |= {(obj["year"], code) for code in codes}
        out.year_incomplete |= {(obj["year"], code) for code in incomplete}
    for cohort in details.get("by_cohort", []):
        hidden, codes, incomplete = _hidden_families(cohort)
        if hidden:
            out.cohorts.add(cohort["group"])
        out.cohort_scores |= {(cohort["group"], code) for code in codes}
        out.cohort_incomplete |= {(cohort["group"], code) for code in incomplete}
    for name, groups in details.get("by_group", {}).items():
        for group in groups:
            hidden, codes, incomplete = _hidden_families(group)
            if hidden or codes:
                out.groups.setdefault(name, set()).add(group["group"] or "")
            out.group_incomplete.setdefault(name, set()).update(
                (group["group"] or "", code) for code in incomplete
            )
    for module in details.get("by_module", []):
        if disclosure.is_hidden(module, disclosure.MODULE_KEYS):
            out.modules.add(module.get("order"))
    return out
