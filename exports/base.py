"""The exporter idea: an exporter describes its variables once and yields rows once.

Writers (``exports.writers``) turn the same rows into CSV, XLSX, SPSS or
Stata; the codebook is built from the same variables. Rows hold *coded* values (integer
codes for categories); a writer shows labels instead when the export asks for labels.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

STRING, INTEGER, NUMBER, CATEGORY = "string", "integer", "number", "category"
TYPE_LABELS = {
    STRING: _("text"),
    INTEGER: _("whole number"),
    NUMBER: _("number"),
    CATEGORY: _("coded category"),
}

#: How dates leave the organisation: not at all, as weeks of the cohort, or shifted.
DATES_NONE, DATES_WEEK, DATES_SHIFT = "none", "week", "shift"
DATE_CHOICES = (
    (DATES_NONE, _("No dates")),
    (DATES_WEEK, _("Week of the cohort (week 1 starts on the cohort's first day)")),
    (DATES_SHIFT, _("Dates shifted by a random number of days per participant")),
)


#: Measurement levels (SPSS's; the codebook gives them for every format).
SCALE, ORDINAL, NOMINAL = "scale", "ordinal", "nominal"
MEASURE_LABELS = {SCALE: _("scale"), ORDINAL: _("ordinal"), NOMINAL: _("nominal")}

#: Documented codes of a score that is missing, in every format (user-missing in SPSS).
NOT_ADMINISTERED, TOO_INCOMPLETE = -9, -8
SCORE_MISSING = (
    (NOT_ADMINISTERED, _("not administered")),
    (TOO_INCOMPLETE, _("too incomplete to score")),
)


@dataclass(frozen=True)
class Variable:
    """One column: its name (safe for SPSS and Stata), label, type and coded values.

    ``measure`` overrides the measurement level of its type (scale for numbers, nominal for
    codes and text); ``missing`` lists documented codes that mean "no value, and why";
    ``about`` holds what the codebook says of a score (range, direction, target…)."""

    name: str
    label: str
    type: str = STRING
    values: tuple[tuple[int, str | Promise], ...] = ()
    instrument: str = ""
    version: str = ""
    note: str = ""
    measure: str = ""
    missing: tuple[tuple[int, str | Promise], ...] = ()
    about: tuple[tuple[str, str], ...] = ()

    @property
    def level(self) -> str:
        if self.measure:
            return self.measure
        return SCALE if self.type in (INTEGER, NUMBER) else NOMINAL

    @property
    def decimals(self) -> int:
        """Decimals shown in SPSS and Stata: none for codes and whole numbers."""
        return 2 if self.type == NUMBER else 0


def safe_name(name: str) -> str:
    """A variable name SPSS and Stata accept: letters, digits and ``_``, 32 characters,
    starting with a letter."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", name).lower()
    if not name or not name[0].isalpha():
        name = "v_" + name
    return name[:32]


@dataclass
class ExportOptions:
    """What the person asked for. ``external`` suppresses small counts (evaluators always)."""

    labels: bool = False
    dates: str = DATES_NONE
    external: bool = True
    #: The key pseudonyms are made with (see ``privacy.pseudonym_key``).
    pseudonym_key: bytes = b""
    period_start: date | None = None
    period_end: date | None = None
    year: int | None = None
    min_cell: int = field(default_factory=lambda: settings.MIN_CELL)


class Exporter:
    """A kind of export of one program. Subclasses set the class attributes and define
    ``variables()`` and ``rows()``; ``rows()`` must stream (no list of every row)."""

    identifier = ""
    verbose_name: str | Promise = ""
    description: str | Promise = ""
    formats: tuple[str, ...] = ("csv", "xlsx", "sav", "dta")
    #: True when rows are about people (pseudonyms, scores): consented people only.
    participant_level = False

    def __init__(self, *, program, options: ExportOptions):
        self.program = program
        self.options = options

    def variables(self) -> list[Variable]:
        raise NotImplementedError

    def rows(self) -> Iterator[tuple]:
        raise NotImplementedError

    def count(self) -> int | None:
        """How many rows (for progress), or None when unknown."""
        return None

    def filename(self, ext: str) -> str:
        return f"{safe_name(self.program.code)}_{self.identifier}.{ext}"

    def codebook_notes(self) -> list[str]:
        """Sentences for the codebook and the notes sheet: what a row is, what was left out."""
        return []
