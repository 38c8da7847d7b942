"""The evaluation report as a PDF a funder can read.

The same content as the report page and its print layout (``evaluation.presenting``:
the same tables, sentences, headline figures, SVG charts and methods, every figure
formatted by ``evaluation.display``), from the objects the audience may see
(``exports.report.shown``). WeasyPrint lays out the HTML template and draws the inline
SVG charts; it numbers the pages.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from evaluation import presenting
from evaluation.models import EvaluationRun

from . import report


def context(run: EvaluationRun, *, external: bool) -> dict:
    objects, details = report.shown(run, external=external)
    whole = objects[-1] if objects else {}
    return {
        **presenting.present(run, objects=objects, details=details, external=external),
        "run": run,
        "program": run.program,
        "period_start": whole.get("period_start"),
        "period_end": whole.get("period_end"),
        "computed": report._when(run),
        "consent_note": report.consent_note(
            report.details_of(run), min_cell=report.min_cell_of(run), external=external
        ).strip(),
        "LANGUAGE_CODE": translation.get_language(),
    }


def render_html(run: EvaluationRun, *, external: bool) -> str:
    return render_to_string("exports/report_pdf.html", context(run, external=external))


def render_pdf(run: EvaluationRun, *, external: bool) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_html(run, external=external)).write_pdf()
