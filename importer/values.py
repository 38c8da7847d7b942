"""Reading one value of a row, with a message that says what is wrong and where.

Identifying values (a preferred name, a birth year) are never quoted back: their
messages say what was expected, not what was found.
"""

from __future__ import annotations

import re
from datetime import date

from django.utils.translation import gettext as _

from .csvfile import Row
from .report import ImportReport

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")


class Bad(ValueError):
    pass


class Invalid:
    """Marks a value that could not be read (its problem is already reported)."""

    def __bool__(self) -> bool:
        return False


INVALID = Invalid()


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "…")


def text(value: str, column: str, *, max_length: int | None = None, required=True) -> str:
    if required and not value:
        raise Bad(_("%(c)s is required.") % {"c": column})
    if max_length is not None and len(value) > max_length:
        raise Bad(_("%(c)s is longer than %(n)s characters.") % {"c": column, "n": max_length})
    return value


def code(value: str, column: str, *, max_length: int, slug=False) -> str:
    text(value, column, max_length=max_length)
    if slug and not _SLUG.match(value):
        raise Bad(
            _("%(c)s may hold only letters, digits, - and _, not %(v)s.")
            % {"c": column, "v": _shown(value)}
        )
    return value


#: A participant code: letters, digits, - and _, with at least one digit (P-001, BIY17),
#: so that a name typed into the code column is refused.
_PARTICIPANT_CODE = re.compile(r"^(?=.*[0-9])[-a-zA-Z0-9_]+$")


def looks_like_code(value: str) -> bool:
    return len(value) <= 32 and bool(_PARTICIPANT_CODE.match(value))


def participant_code(value: str, column: str) -> str:
    text(value, column, max_length=32)
    if not looks_like_code(value):
        raise Bad(
            _(
                "%(c)s must look like a participant code (letters, digits, - and _, with at "
                "least one digit, such as P-001); the value is not repeated here in case it "
                "is a name."
            )
            % {"c": column}
        )
    return value


def iso_date(value: str, column: str, *, required=True) -> date | None:
    if not value:
        if required:
            raise Bad(_("%(c)s is required.") % {"c": column})
        return None
    try:
        if not _ISO_DATE.match(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise Bad(
            _("%(c)s must be a date written YYYY-MM-DD, not %(v)s.")
            % {"c": column, "v": _shown(value)}
        ) from None


def integer(
    value: str, column: str, *, low: int, high: int, required=True, echo=True
) -> int | None:
    if not value:
        if required:
            raise Bad(_("%(c)s is required.") % {"c": column})
        return None
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        if echo:
            raise Bad(
                _("%(c)s must be a whole number from %(lo)s to %(hi)s, not %(v)s.")
                % {"c": column, "lo": low, "hi": high, "v": _shown(value)}
            )
        raise Bad(
            _("%(c)s must be a whole number from %(lo)s to %(hi)s.")
            % {"c": column, "lo": low, "hi": high}
        )
    return number


def decimal(value: str, column: str, *, low=None, high=None, required=True) -> float | None:
    if not value:
        if required:
            raise Bad(_("%(c)s is required.") % {"c": column})
        return None
    try:
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError
    except ValueError:
        raise Bad(
            _("%(c)s must be a number, not %(v)s.") % {"c": column, "v": _shown(value)}
        ) from None
    if (low is not None and number < low) or (high is not None and number > high):
        raise Bad(
            _("%(c)s must be from %(lo)s to %(hi)s, not %(v)s.")
            % {"c": column, "lo": low, "hi": high, "v": _shown(value)}
        )
    return number


def choice(value: str, column: str, *, choices: tuple[str, ...]) -> str:
    folded = value.lower()
    if folded not in choices:
        raise Bad(
            _("%(c)s must be one of %(choices)s, not %(v)s.")
            % {"c": column, "choices": ", ".join(choices), "v": _shown(value)}
        )
    return folded


def flag(value: str, column: str) -> bool:
    if value not in ("0", "1"):
        raise Bad(_("%(c)s must be 0 or 1, not %(v)s.") % {"c": column, "v": _shown(value)})
    return value == "1"


class RowCheck:
    """Reads the values of one row, reporting each bad one as ``file:line: message``.

    ``who`` (a participant code) prefixes the messages about a participant's rows.
    """

    __slots__ = ("file", "ok", "quiet", "report", "row", "who")

    def __init__(
        self, report: ImportReport | None, file: str, row: Row, who: str = "", quiet=False
    ):
        self.report = report
        self.file = file
        self.row = row
        self.who = who
        self.ok = True
        self.quiet = quiet

    def __call__(self, parse, column: str, **kwargs):
        try:
            return parse(self.row[column], column, **kwargs)
        except Bad as exc:
            self.fail(str(exc))
            return INVALID

    def fail(self, message: str) -> None:
        self.ok = False
        if self.quiet:
            return
        if self.report is None:  # the second pass reads rows the first pass accepted
            raise RuntimeError(f"{self.file}:{self.row.line}: {message}")
        if self.who:
            message = _("participant %(code)s: %(m)s") % {"code": self.who, "m": message}
        self.report.add(self.file, self.row.line, message)
