"""Writers: the same variables and rows as CSV, XLSX, SPSS (.sav) or Stata (.dta).

CSV streams (chunks of bytes, a UTF-8 byte-order mark first so Excel shows accents);
XLSX uses openpyxl's write-only mode (rows go to disk as they come). SPSS and Stata
files are written by pyreadstat from a data frame, so they are built by a background job
for large exports. Text that a spreadsheet would run as a formula is neutralised.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator, Sequence

from .base import CATEGORY, INTEGER, NUMBER, Variable

BOM = "\ufeff"
#: A text cell starting with one of these is a formula (or DDE payload) to a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_CHUNK_ROWS = 1000
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
    "pdf": "application/pdf",
}


def safe_cell(value):
    """``value`` for a spreadsheet cell: strings that start like a formula get a ``'``;
    numbers (negative ones too) stay numbers; None is empty."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    return value


def presenter(variables: Sequence[Variable], labels: bool):
    """A function turning a coded row into what is written (labels when asked)."""
    if not labels:
        return lambda row: row
    lookups = [
        {code: str(label) for code, label in v.values} if v.type == CATEGORY else None
        for v in variables
    ]

    def present(row):
        return tuple(
            value if lookup is None or value is None else lookup.get(value, value)
            for value, lookup in zip(row, lookups, strict=True)
        )

    return present


def csv_chunks(
    variables: Sequence[Variable], rows: Iterable[tuple], *, labels: bool = False
) -> Iterator[bytes]:
    """The CSV file in chunks of about ``CSV_CHUNK_ROWS`` rows, BOM and header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([safe_cell(v.name) for v in variables])
    present = presenter(variables, labels)
    pending = 0
    for row in rows:
        # Whole numbers (most cells) are written as they are; the rest go through safe_cell.
        writer.writerow([v if v.__class__ is int else safe_cell(v) for v in present(row)])
        pending += 1
        if pending >= CSV_CHUNK_ROWS:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")


#: What the codebook says of a score, in this order (``Variable.about`` keys).
ABOUT_KEYS = ("range", "direction", "target", "max_missing", "conversion")


def codebook_rows(variables: Sequence[Variable]) -> Iterator[tuple]:
    from .base import MEASURE_LABELS, TYPE_LABELS

    for v in variables:
        values = "; ".join(f"{code} = {label}" for code, label in v.values)
        missing = "; ".join(f"{label}: {code}" for code, label in v.missing)
        about = dict(v.about)
        yield (
            v.name,
            str(v.label),
            str(TYPE_LABELS.get(v.type, v.type)),
            str(MEASURE_LABELS.get(v.level, v.level)),
            values,
            missing,
            v.instrument,
            v.version,
            *(about.get(key, "") for key in ABOUT_KEYS),
            str(v.note),
        )


def codebook_variables() -> list[Variable]:
    from django.utils.translation import gettext as _

    return [
        Variable("variable", _("Variable")),
        Variable("label", _("Label")),
        Variable("type", _("Type")),
        Variable("measure", _("Measurement level")),
        Variable("values", _("Allowed values and their labels")),
        Variable("missing", _("Codes for a missing value")),
        Variable("instrument", _("Instrument")),
        Variable("version", _("Instrument version")),
        Variable("range", _("Score range")),
        Variable("direction", _("Direction")),
        Variable("target", _("Target score")),
        Variable("max_missing", _("Items that may be missing (pro-rated)")),
        Variable("conversion", _("How the score is computed")),
        Variable("note", _("Note")),
    ]


class XlsxBook:
    """An openpyxl write-only workbook: add sheets one after another, rows streamed."""

    def __init__(self):
        from openpyxl import Workbook

        self.book = Workbook(write_only=True)

    def sheet(self, title: str, header: Sequence, rows: Iterable[Sequence]) -> int:
        from openpyxl.cell import WriteOnlyCell

        sheet = self.book.create_sheet(title=_sheet_title(title))
        bold = _bold()
        sheet.append([_header_cell(sheet, str(h), bold, WriteOnlyCell) for h in header])
        n = 0
        for row in rows:
            sheet.append([_xlsx_value(v) for v in row])
            n += 1
        return n

    def save(self, target) -> None:
        self.book.save(target)


def _bold():
    from openpyxl.styles import Font

    return Font(bold=True)


def _header_cell(sheet, text, font, cell_class):
    cell = cell_class(sheet, value=safe_cell(text))
    cell.font = font
    return cell


def _xlsx_value(value):
    # openpyxl would store "=..." as a formula: the same protection as CSV.
    return None if value is None or value == "" else safe_cell(value)


def _sheet_title(title: str) -> str:
    for bad in "[]:*?/\\":
        title = title.replace(bad, " ")
    return title[:31] or "Sheet"


def write_xlsx(
    target,
    variables: Sequence[Variable],
    rows: Iterable[tuple],
    *,
    labels: bool = False,
    title: str = "data",
    notes: Sequence[str] = (),
) -> int:
    """Data sheet, codebook sheet and notes sheet; the number of data rows."""
    from django.utils.translation import gettext as _

    book = XlsxBook()
    present = presenter(variables, labels)
    n = book.sheet(title, [v.name for v in variables], (present(r) for r in rows))
    book.sheet(_("codebook"), [v.label for v in codebook_variables()], codebook_rows(variables))
    if notes:
        book.sheet(_("notes"), [_("Notes")], ((note,) for note in notes))
    book.save(target)
    return n


def write_statistical(
    target: str,
    kind: str,
    variables: Sequence[Variable],
    rows: Iterable[tuple],
    *,
    file_label: str = "",
) -> int:
    """An SPSS ``.sav`` or Stata ``.dta`` file with variable and value labels."""
    import pandas as pd
    import pyreadstat

    columns: dict[str, list] = {v.name: [] for v in variables}
    names = list(columns)
    n = 0
    for row in rows:
        for name, value in zip(names, row, strict=True):
            columns[name].append(value)
        n += 1
    data = {}
    for v in variables:
        values = columns.pop(v.name)
        if v.type in (INTEGER, NUMBER, CATEGORY):
            data[v.name] = pd.Series(
                [math.nan if x is None else float(x) for x in values], dtype="float64"
            )
        else:
            data[v.name] = pd.Series(["" if x is None else str(x) for x in values], dtype=object)
    frame = pd.DataFrame(data, columns=names)
    labels: dict[str, str | None] = {
        v.name: str(v.label)[: 80 if kind == "dta" else 256] for v in variables
    }
    value_labels: dict[str, dict[int | float, str]] = {
        v.name: {int(code): str(label) for code, label in (*v.values, *v.missing)}
        for v in variables
        if (v.type == CATEGORY and v.values) or v.missing
    }
    numeric = [v for v in variables if v.type in (INTEGER, NUMBER, CATEGORY)]
    if kind == "sav":
        pyreadstat.write_sav(
            frame,
            target,
            file_label=file_label,
            column_labels=labels,
            variable_value_labels=value_labels,
            variable_measure={v.name: v.level for v in variables},
            variable_format={v.name: f"F8.{v.decimals}" for v in numeric},
            missing_ranges={
                v.name: [float(code) for code, _label in v.missing] for v in variables if v.missing
            },
        )
    else:
        pyreadstat.write_dta(
            frame,
            target,
            file_label=file_label[:80],
            column_labels=labels,
            variable_value_labels=value_labels,
            version=STATA_VERSION,
            variable_format={v.name: f"%8.{v.decimals}f" for v in numeric},
        )
    return n


#: Stata 14's file format (118): readable by Stata 14 and every later release.
STATA_VERSION = 14
