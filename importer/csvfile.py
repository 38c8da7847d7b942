"""Streaming one CSV file of a bundle: header checks, then ``(line, values)`` per row.

Line numbers are those a text editor shows (the header is line 1; a quoted value that
spans lines moves the next row down accordingly). Rows are never kept: each file is read
once to check it and once more to save it.
"""

from __future__ import annotations

import csv
import zipfile
import zlib
from collections.abc import Callable, Iterator
from operator import itemgetter

from django.utils.translation import gettext as _

from .report import ImportReport
from .spec import FileSpec

#: The longest line read; a longer one is refused before it is read whole.
MAX_LINE_BYTES = 1024 * 1024
#: A header naming more columns than any file of the format has is refused.
MAX_COLUMNS = 100
csv.field_size_limit(MAX_LINE_BYTES)


_END = object()
_STOP = object()


class Unreadable(Exception):
    """A line that cannot become CSV text; ``message`` says why, for ``line``."""

    def __init__(self, line: int, message: str):
        self.line = line
        self.message = message
        super().__init__(message)


#: What a damaged zip entry raises while it is read (bad CRC, corrupt deflate data).
DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError)


def _decoded_lines(raw, bad_line: list[int]) -> Iterator[str]:
    """Lines of ``raw`` as text, each read at most ``MAX_LINE_BYTES`` at a time: a line
    that is longer, holds a NUL byte or is not UTF-8 stops with its line number."""
    number = 0
    while True:
        number += 1
        try:
            chunk = raw.readline(MAX_LINE_BYTES + 1)
        except DAMAGED:
            raise Unreadable(
                number, _("the .zip file is damaged and cannot be read; nothing was saved.")
            ) from None
        if not chunk:
            return
        if len(chunk) > MAX_LINE_BYTES:
            raise Unreadable(
                number,
                _("the line is longer than %(mb)s MB; refused.")
                % {"mb": MAX_LINE_BYTES // 1024**2},
            )
        if number == 1 and chunk.startswith(b"\xef\xbb\xbf"):
            chunk = chunk[3:]
        if b"\x00" in chunk:
            raise Unreadable(
                number, _("the line holds a NUL byte (a control character); remove it.")
            )
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

    def picker(self, columns: tuple[str, ...]) -> Callable[[Row], tuple[str, ...]] | None:
        """A function giving the raw values (not stripped) of ``columns`` of a row of this
        file, or None when the header lacks one of them."""
        indexes = [self._index.get(column) for column in columns]
        if None in indexes:
            return None
        pick = itemgetter(*indexes)
        return lambda row: pick(row._values)


class CsvFile:
    """Opens one file of the bundle; ``columns`` is the set of columns its header names."""

    def __init__(self, bundle, spec: FileSpec, report: ImportReport):
        self.bundle = bundle
        self.spec = spec
        self.report = report
        self.columns: set[str] = set()
        self._header_read = False

    def has(self, column: str) -> bool:
        """Whether the header names ``column`` (read now if no row has been read yet)."""
        if not self._header_read:
            rows = self.rows(check=False)
            next(rows, None)
            rows.close()
        return column in self.columns

    def _problem(self, line, message) -> None:
        self.report.add(self.spec.name, line, message)

    def rows(self, *, check: bool) -> Iterator[Row]:
        """Each data row; with ``check`` the header and encoding problems are reported."""
        name = self.spec.name
        try:
            raw = self.bundle.open(name)
        except DAMAGED:
            if check:
                self._problem(
                    None, _("the .zip file is damaged and cannot be read; nothing was saved.")
                )
            return
        self._header_read = True
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
                try:
                    values = next(reader)
                except StopIteration:
                    break
                except (UnicodeDecodeError, csv.Error, Unreadable) as exc:
                    if check:
                        self._unreadable(exc, start, bad_line)
                    break
                line = reader.line_num
                if len(values) == width and (width > 1 or values[0].strip()):
                    yield Row(index, values, start)  # the usual row, with fewest tests
                    continue
                if not values or (len(values) == 1 and not values[0].strip()):
                    continue  # a blank line
                if check:
                    self._problem(
                        start,
                        _("expected %(w)s values as in the header, found %(n)s.")
                        % {"w": width, "n": len(values)},
                    )
        finally:
            raw.close()

    def _next(self, reader, start: int, *, check: bool, bad_line: list[int]):
        try:
            return next(reader)
        except StopIteration:
            return _END
        except (UnicodeDecodeError, csv.Error, Unreadable) as exc:
            if check:
                self._unreadable(exc, start, bad_line)
            return _STOP

    def _unreadable(self, exc: Exception, start: int, bad_line: list[int]) -> None:
        """Report why reading stopped at the row starting on line ``start``."""
        if isinstance(exc, UnicodeDecodeError):
            self._problem(
                bad_line[0] if bad_line else start,
                _("the file is not UTF-8 text; save it as “CSV UTF-8”."),
            )
        elif isinstance(exc, Unreadable):
            self._problem(exc.line, exc.message)
        else:
            self._problem(start, _("cannot be read as CSV (%(e)s).") % {"e": exc})

    def _header(self, header: list[str], *, check: bool) -> dict[str, int] | None:
        if len(header) > MAX_COLUMNS:
            if check:
                self._problem(
                    1,
                    _("the header names %(n)s columns; this file has at most %(max)s.")
                    % {"n": len(header), "max": len(self.spec.columns)},
                )
            return None
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
