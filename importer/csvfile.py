"""Streaming one CSV file of a bundle: header checks, then ``(line, values)`` per row.

Line numbers are those a text editor shows (the header is line 1; a quoted value that
spans lines moves the next row down accordingly). Rows are never kept: each file is read
once to check it and once more to save it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.utils.translation import gettext as _

from .report import ImportReport
from .spec import FileSpec

csv.field_size_limit(1024 * 1024)


_END = object()
_STOP = object()


def _decoded_lines(raw, bad_line: list[int]) -> Iterator[str]:
    """Lines of ``raw`` as text; a line that is not UTF-8 stops with its line number."""
    for number, chunk in enumerate(raw, start=1):
        if number == 1 and chunk.startswith(b"\xef\xbb\xbf"):
            chunk = chunk[3:]
        try:
            yield chunk.decode("utf-8")
        except UnicodeDecodeError:
            bad_line.append(number)
            raise


class Row:
    """One data row: ``row["participant_code"]`` (stripped; "" when the column is absent)."""

    __slots__ = ("_index", "_values", "line")

    def __init__(self, index: dict[str, int], values: list[str], line: int):
        self._index = index
        self._values = values
        self.line = line

    def __getitem__(self, column: str) -> str:
        i = self._index.get(column)
        return "" if i is None else self._values[i].strip()


class CsvFile:
    """Opens one file of the bundle; ``columns`` is the set of columns its header names."""

    def __init__(self, bundle, spec: FileSpec, report: ImportReport):
        self.bundle = bundle
        self.spec = spec
        self.report = report
        self.columns: set[str] = set()

    def has(self, column: str) -> bool:
        return column in self.columns

    def _problem(self, line, message) -> None:
        self.report.add(self.spec.name, line, message)

    def rows(self, *, check: bool) -> Iterator[Row]:
        """Each data row; with ``check`` the header and encoding problems are reported."""
        name = self.spec.name
        raw = self.bundle.open(name)
        bad_line: list[int] = []
        reader = csv.reader(_decoded_lines(raw, bad_line))
        line = 0
        try:
            header = self._next(reader, 1, check=check, bad_line=bad_line)
            if header is _END or header is _STOP:
                if header is _END and check:
                    self._problem(1, _("the file is empty; it needs a header row."))
                return
            if not any(h.strip() for h in header):
                if check:
                    self._problem(1, _("the file is empty; it needs a header row."))
                return
            index = self._header(header, check=check)
            if index is None:
                return
            width = len(header)
            line = reader.line_num
            while True:
                start = line + 1
                values = self._next(reader, start, check=check, bad_line=bad_line)
                if values is _END or values is _STOP:
                    break
                line = reader.line_num
                if not values or (len(values) == 1 and not values[0].strip()):
                    continue  # a blank line
                if len(values) != width:
                    if check:
                        self._problem(
                            start,
                            _("expected %(w)s values as in the header, found %(n)s.")
                            % {"w": width, "n": len(values)},
                        )
                    continue
                yield Row(index, values, start)
        finally:
            raw.close()

    def _next(self, reader, start: int, *, check: bool, bad_line: list[int]):
        try:
            return next(reader)
        except StopIteration:
            return _END
        except UnicodeDecodeError:
            if check:
                self._problem(
                    bad_line[0] if bad_line else start,
                    _("the file is not UTF-8 text; save it as “CSV UTF-8”."),
                )
            return _STOP
        except csv.Error as exc:
            if check:
                self._problem(start, _("cannot be read as CSV (%(e)s).") % {"e": exc})
            return _STOP

    def _header(self, header: list[str], *, check: bool) -> dict[str, int] | None:
        names = [h.strip().lower() for h in header]
        ok = True
        seen: set[str] = set()
        for name in names:
            if name in seen:
                ok = False
                if check:
                    self._problem(1, _("column %(c)s appears twice.") % {"c": repr(name)})
            seen.add(name)
            if name not in self.spec.columns:
                ok = False
                if check:
                    self._problem(
                        1,
                        _("unknown column %(c)s; this file has the columns %(cols)s.")
                        % {"c": repr(name), "cols": ", ".join(self.spec.columns)},
                    )
        for required in self.spec.required:
            if required not in seen:
                ok = False
                if check:
                    self._problem(1, _("missing required column %(c)s.") % {"c": repr(required)})
        if not ok:
            return None
        self.columns = seen
        return {name: i for i, name in enumerate(names)}
