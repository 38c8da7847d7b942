"""Server-side SVG charts: the geometry is computed here, templates draw it.

One implementation for the report pages and the PDF (WeasyPrint draws the same inline
SVG). Pure Python, no ORM and no plotting library: bars with an optional target line,
and pre/post means with 95% confidence-interval whiskers. Axes start at 0. Value labels
sit above their bar or beside their point; the target's label sits in a margin right of
the plot, so it never covers a bar or a value. Every text is formatted by
``evaluation.display``. A suppressed or empty value is drawn as nothing, with its label
kept, so a missing bar is visibly missing; a chart with nothing to draw is ``empty`` and
the pages say so in words instead of drawing it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from . import display

WIDTH, HEIGHT = 480, 230
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 20, 40
#: Room right of the plot for the target's label.
TARGET_MARGIN = 84


@dataclass
class Bar:
    label: str
    value: float | None
    x: float
    width: float
    y: float = 0.0
    height: float = 0.0
    text: str = ""

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


@dataclass
class Tick:
    value: float
    y: float
    text: str


@dataclass
class Chart:
    title: str
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[Bar] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    target_y: float | None = None
    target_text: str = ""
    points: list[dict] = field(default_factory=list)
    baseline_y: float = HEIGHT - BOTTOM
    left: int = LEFT
    right_x: int = WIDTH - RIGHT
    #: True when a 95% confidence interval is drawn (the caption then says so).
    ci_drawn: bool = False
    #: Font size of the bars' labels and values: smaller when many bars share the width,
    #: so that neighbouring labels never overlap.
    font_size: float = 11.0

    @property
    def empty(self) -> bool:
        return not any(b.value is not None for b in self.bars) and not any(
            p["mean"] is not None for p in self.points
        )


def _scale(value: float, top: float) -> float:
    plot = HEIGHT - TOP - BOTTOM
    return HEIGHT - BOTTOM - (value / top) * plot if top else HEIGHT - BOTTOM


def _nice_top(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _ticks(top: float, decimals: int) -> list[Tick]:
    return [
        Tick(top * i / 4, _scale(top * i / 4, top), display.number(top * i / 4, decimals))
        for i in range(5)
    ]


def _decimals(top: float) -> int:
    return 0 if float(top / 4).is_integer() else 1


#: The width of a character, as a share of the font size (generous for sans-serif).
CHAR_WIDTH = 0.62


def fitting_font_size(slot: float, texts: Sequence[str], largest: float = 11.0) -> float:
    """The font size at which the longest of ``texts`` fits in ``slot`` pixels."""
    longest = max((len(t) for t in texts), default=0)
    if not longest:
        return largest
    return round(min(largest, 0.9 * slot / (CHAR_WIDTH * longest)), 1)


def bar_chart(
    title: str,
    bars: Sequence[tuple[str, float | None]],
    *,
    top: float | None = None,
    target: float | None = None,
    target_text: str = "",
    text: Callable[[float], str] = lambda v: display.value(v, display.PCT100),
) -> Chart:
    """Vertical bars for ``(label, value)`` from 0; ``target`` draws a horizontal line
    labelled ``target_text`` in the right margin; ``text`` formats the value labels."""
    values = [v for _, v in bars if v is not None] + ([target] if target is not None else [])
    top = top or _nice_top(max(values, default=0))
    chart = Chart(title=title, ticks=_ticks(top, _decimals(top)))
    if target is not None:
        chart.right_x = WIDTH - TARGET_MARGIN
    slot = (chart.right_x - LEFT) / max(len(bars), 1)
    for i, (label, value) in enumerate(bars):
        bar = Bar(label, value, x=LEFT + i * slot + slot * 0.15, width=slot * 0.7)
        if value is not None:
            bar.y = _scale(value, top)
            bar.height = HEIGHT - BOTTOM - bar.y
            bar.text = text(value)
        chart.bars.append(bar)
    chart.font_size = fitting_font_size(slot, [t for b in chart.bars for t in (b.label, b.text)])
    if target is not None:
        chart.target_y = _scale(target, top)
        chart.target_text = target_text
    return chart


def interval_chart(
    title: str,
    groups: Sequence[tuple[str, float | None, Sequence[float] | None]],
    *,
    text: Callable[[float], str] = display.number,
) -> Chart:
    """A point per ``(label, mean, (low, high))`` with a whisker for the interval; the
    axis starts at 0."""
    highs = [ci[1] for _, m, ci in groups if m is not None and ci] + [
        m for _, m, _ in groups if m is not None
    ]
    top = _nice_top(max(highs, default=0))
    chart = Chart(title=title, ticks=_ticks(top, _decimals(top)))
    slot = (WIDTH - LEFT - RIGHT) / max(len(groups), 1)
    for i, (label, mean, ci) in enumerate(groups):
        x = LEFT + i * slot + slot / 2
        point = {"label": label, "x": x, "mean": mean, "text": "", "low_y": None}
        if mean is not None:
            point.update(y=_scale(mean, top), text=text(mean))
            if ci:
                point.update(low_y=_scale(max(ci[0], 0), top), high_y=_scale(ci[1], top))
                chart.ci_drawn = True
        chart.points.append(point)
    return chart
