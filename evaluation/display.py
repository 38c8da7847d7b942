"""How every evaluation figure is shown: one module for the pages, the summary sentence,
the PDF and the display columns of the report CSV/XLSX.

Rounding is half up on the figure's decimal value (``repr`` of the stored float, so a
stored 16.45 shows 16.5, never the 16.4 of binary half-to-even), as docs/definitions.md
says: means to one decimal, percentages to whole numbers, p-values to three decimals
("<0.001" below that), effect sizes and t to two decimals. Separators follow the active
language (``16,5`` in French). A suppressed figure shows "n<5" (the run's ``min_cell``),
an empty one a dash.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils.formats import get_format, number_format
from django.utils.translation import gettext as _

DASH = "—"

INT, NUM, NUM2, PCT, PCT100, P, TEXT = "int", "num", "num2", "pct", "pct100", "p", "text"

#: How each figure of docs/figures.md is shown.
KINDS = {
    "participants": INT,
    "enrollments": INT,
    "sessions_offered": INT,
    "sessions_attended": INT,
    "sessions_offered_mean": NUM,
    "sessions_attended_mean": NUM,
    "attendance_rate": PCT,
    "completion_rate": PCT,
    "pre_n": INT,
    "post_n": INT,
    "matched_n": INT,
    "incomplete_n": INT,
    "pre_mean": NUM,
    "post_mean": NUM,
    "mean_change": NUM,
    "sd_change": NUM,
    "t": NUM2,
    "p_value": P,
    "wilcoxon_p": P,
    "wilcoxon_method": TEXT,
    "effect_size_dz": NUM2,
    "target_score": NUM,
    "post_meeting_target_n": INT,
    "post_meeting_target_pct": PCT100,
    "target_pct": PCT100,
}


def decimal(value) -> Decimal:
    """The decimal value of a stored figure: the shortest decimal that is the float."""
    return value if isinstance(value, Decimal) else Decimal(repr(float(value)))


def rounded(value, decimals: int = 1) -> Decimal:
    """``value`` rounded half up to ``decimals`` places, on its decimal value."""
    step = Decimal(1).scaleb(-decimals)
    return decimal(value).quantize(step, ROUND_HALF_UP)


def number(value, decimals: int = 1) -> str:
    """Rounded half up (16.45 -> 16.5), in the reader's number format."""
    shown = rounded(value, decimals)
    if settings.USE_THOUSAND_SEPARATOR:
        return number_format(shown, decimals)
    # What number_format gives without grouping, without its per-call set-up (a report
    # page shows a thousand figures): a zero loses its sign, the point is the language's.
    text = f"{shown if shown else shown.copy_abs():f}"
    return text.replace(".", get_format("DECIMAL_SEPARATOR")) if decimals > 0 else text


def percent(value, *, fraction: bool = False) -> str:
    """A whole percentage: ``fraction`` for a value from 0 to 1 (82.5 -> "83%")."""
    shown = decimal(value) * 100 if fraction else value  # 0.825 -> 82.5 exactly
    return _("%(v)s%%") % {"v": number(shown, 0)}


def p_value(value) -> str:
    if value < 0.001:
        return "<" + number(0.001, 3)
    return number(value, 3)


def method_name(method: str | None) -> str:
    """The Wilcoxon signed-rank method in words."""
    names = {
        "exact": _("exact distribution"),
        "permutation": _("exact permutation test (ties or zero changes)"),
        "normal": _("normal approximation"),
    }
    return names.get(method or "", DASH)


def suppressed_text(min_cell: int) -> str:
    return _("n<%(min)s") % {"min": min_cell}


def value(value, kind: str = NUM) -> str:
    """One figure as text (a dash when it is empty)."""
    if value is None:
        return DASH
    if kind == INT:
        return number(value, 0)
    if kind == PCT:
        return percent(value, fraction=True)
    if kind == PCT100:
        return percent(value)
    if kind == P:
        return p_value(value)
    if kind == NUM2:
        return number(value, 2)
    if kind == TEXT:
        return method_name(value)
    return number(value, 1)


def figure(key: str, raw, *, suppressed: bool, min_cell: int) -> str:
    """The figure ``key`` (e.g. ``attendance_rate``) as text: "n<5" when suppressed."""
    if suppressed:
        return suppressed_text(min_cell)
    return value(raw, KINDS.get(key, NUM))


def lookup(obj: dict, dotted: str):
    if dotted.startswith("instruments."):
        _i, code, key = dotted.split(".", 2)
        return obj.get("instruments", {}).get(code, {}).get(key)
    return obj.get(dotted)


def cell(obj: dict, key: str, *, kind: str | None = None, prefix: str = "", min_cell: int = 5):
    """One table cell of a period (or breakdown) object: ``{"text", "suppressed"}``."""
    if prefix + key in obj.get("suppressed", []):
        return {"text": suppressed_text(min_cell), "suppressed": True}
    return {
        "text": value(lookup(obj, prefix + key), kind or KINDS.get(key, NUM)),
        "suppressed": False,
    }
