"""The evaluation report as a PDF: a cover, the tables and server-drawn charts.

Charts are matplotlib SVG (Agg backend, the object API: no global pyplot state, safe
in threads), embedded as images; WeasyPrint lays out the HTML template.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")

from django.template.loader import render_to_string  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from evaluation.models import EvaluationRun  # noqa: E402

from . import report  # noqa: E402

PARTICIPATION_COLUMNS = (
    ("participants", "int"),
    ("enrollments", "int"),
    ("sessions_offered_mean", "num"),
    ("sessions_attended_mean", "num"),
    ("attendance_rate", "pct"),
    ("completion_rate", "pct"),
)
INSTRUMENT_COLUMNS = (
    ("pre_n", "int"),
    ("post_n", "int"),
    ("matched_n", "int"),
    ("pre_mean", "num"),
    ("post_mean", "num"),
    ("mean_change", "num"),
    ("p_value", "p"),
    ("effect_size_dz", "num2"),
    ("post_meeting_target_pct", "pct100"),
    ("target_pct", "pct100"),
)


def _text(obj: dict, key: str, kind: str, min_cell: int, prefix: str = "") -> str:
    if prefix + key in obj.get("suppressed", []):
        return f"n<{min_cell}"
    value = obj["instruments"][prefix.split(".")[1]].get(key) if prefix else obj.get(key)
    if value is None:
        return "—"
    if kind == "int":
        return f"{value:.0f}"
    if kind == "pct":
        return f"{100 * value:.0f}%"
    if kind == "pct100":
        return f"{value:.0f}%"
    if kind == "p":
        return "<0.001" if value < 0.001 else f"{value:.3f}"
    if kind == "num2":
        return f"{value:.2f}"
    return f"{value:.1f}"


def svg_data_uri(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def bar_chart(title: str, labels, values, *, target=None, top=100.0) -> str:
    figure = Figure(figsize=(6, 2.6))
    axes = figure.add_subplot()
    shown = [0 if v is None else v for v in values]
    bars = axes.bar(range(len(labels)), shown, color="#3b6ea5")
    for bar, value in zip(bars, values, strict=True):
        text = "—" if value is None else f"{value:.0f}"
        axes.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                      ha="center", va="bottom", fontsize=8)  # fmt: skip
    if target is not None:
        axes.axhline(target, color="#b03030", linestyle="--", linewidth=1)
        text = _("target %(t)s%%") % {"t": f"{target:.0f}"}
        axes.annotate(text, (0, target), xytext=(2, 2), textcoords="offset points",
                      fontsize=8, color="#b03030")  # fmt: skip
    axes.set_xticks(range(len(labels)), labels, fontsize=8)
    axes.set_ylim(0, top)
    axes.set_title(title, fontsize=10)
    axes.spines[["top", "right"]].set_visible(False)
    return svg_data_uri(figure)


def means_chart(title: str, pre, post, pre_ci=None, post_ci=None) -> str:
    figure = Figure(figsize=(4, 2.6))
    axes = figure.add_subplot()
    for x, mean, ci in ((0, pre, pre_ci), (1, post, post_ci)):
        if mean is None:
            continue
        err = [[mean - ci[0]], [ci[1] - mean]] if ci else None
        axes.errorbar([x], [mean], yerr=err, fmt="o", color="#3b6ea5", capsize=4)
        axes.annotate(
            f"{mean:.1f}", (x, mean), xytext=(6, 0), textcoords="offset points", fontsize=8
        )
    axes.set_xticks([0, 1], [_("Pre"), _("Post")], fontsize=8)
    axes.set_xlim(-0.5, 1.5)
    axes.set_title(title, fontsize=10)
    axes.spines[["top", "right"]].set_visible(False)
    return svg_data_uri(figure)


def context(run: EvaluationRun, *, external: bool) -> dict:
    cell = report.min_cell_of(run)
    objects, details = report.figures_for(run, external=external)
    names = report.instrument_names(run)
    years = [o for o in objects if o.get("year")] or objects
    codes = list(objects[0].get("instruments", {})) if objects else []
    participation = [
        {
            "label": report.period_name(o),
            "cells": [_text(o, k, kind, cell) for k, kind in PARTICIPATION_COLUMNS],
        }
        for o in objects
    ]
    instruments = []
    charts = [
        bar_chart(
            _("Attendance rate (%)"),
            [report.period_name(o) for o in years],
            [
                None if o.get("attendance_rate") is None else 100 * o["attendance_rate"]
                for o in years
            ],
        )
    ]
    intervals = details.get("intervals", {})
    for code in codes:
        prefix = f"instruments.{code}."
        instruments.append(
            {
                "code": code,
                "name": names.get(code, code),
                "rows": [
                    {"label": report.period_name(o),
                     "cells": [_text(o, k, kind, cell, prefix) for k, kind in INSTRUMENT_COLUMNS]}
                    for o in objects
                ],
            }
        )  # fmt: skip
        target = objects[0]["instruments"][code].get("target_pct")
        charts.append(
            bar_chart(
                _("%(name)s: %% meeting the target at post-test") % {"name": names.get(code, code)},
                [report.period_name(o) for o in years],
                [o["instruments"][code].get("post_meeting_target_pct") for o in years],
                target=target,
            )
        )
        last = objects[-1]["instruments"][code]
        ci = intervals.get(code, {})
        charts.append(
            means_chart(
                _("%(name)s: mean before and after") % {"name": names.get(code, code)},
                last.get("pre_mean"), last.get("post_mean"), ci.get("pre_ci"), ci.get("post_ci"),
            )
        )  # fmt: skip
    whole = objects[-1] if objects else {}
    return {
        "run": run,
        "program": run.program,
        "period_start": whole.get("period_start"),
        "period_end": whole.get("period_end"),
        "computed": report._when(run),
        "participation_headers": [
            _("Participants"), _("Enrollments"), _("Sessions offered (mean)"),
            _("Sessions attended (mean)"), _("Attendance"), _("Completion"),
        ],
        "instrument_headers": [
            _("Pre n"), _("Post n"), _("Matched n"), _("Pre mean"), _("Post mean"), _("Change"),
            _("p (t-test)"), _("Effect size d"), _("% meeting target"), _("Program target"),
        ],
        "participation": participation,
        "instruments": instruments,
        "charts": charts,
        "notes": report.notes(run, external=external),
        "min_cell": cell,
    }  # fmt: skip


def render_pdf(run: EvaluationRun, *, external: bool) -> bytes:
    from weasyprint import HTML

    html = render_to_string("exports/report_pdf.html", context(run, external=external))
    return HTML(string=html).write_pdf()
