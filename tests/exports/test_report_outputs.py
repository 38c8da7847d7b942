"""The same stored figures read the same in every output: the report page, the summary
sentence, the PDF (as ``pdftotext`` reads it) and the report XLSX; and outputs of
awkward periods say in words what they cannot show."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from evaluation import presenting, runs
from evaluation.models import EvaluationRun
from exports import report, services
from surveys.models import Instrument
from tests.availability import require
from tests.evaluation.figures_data import build

pytestmark = pytest.mark.django_db

#: Stored figures exactly at a half, with what half up on the decimal value shows and
#: what binary half-to-even (an f-string) would have shown instead.
AT_HALF = {
    "sessions_attended_mean": (16.45, "16.5", "16.4"),
    "attendance_rate": (0.825, "83%", "82%"),
    "completion_rate": (0.125, "13%", "12%"),
    "instruments.GSE.pre_mean": (7.25, "7.3", "7.2"),
    "instruments.GSE.post_mean": (12.45, "12.5", "12.4"),
    "instruments.GSE.effect_size_dz": (1.125, "1.13", "1.12"),
    "instruments.GSE.p_value": (0.0445, "0.045", "0.044"),
    "instruments.GSE.post_meeting_target_pct": (82.5, "83%", "82%"),
}


def _pdf_text(pdf: bytes) -> str:
    tool = shutil.which("pdftotext")
    require(tool is not None, "pdftotext (poppler-utils) is missing")
    done = subprocess.run(  # noqa: S603 - a fixed tool, no shell
        [str(tool), "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return re.sub(r"\s+", " ", done.stdout.decode().replace("\xa0", " "))


def _render_pdf(run, *, external: bool) -> bytes:
    try:
        from exports.pdf import render_pdf
    except OSError as exc:  # WeasyPrint's system libraries are missing
        require(False, f"WeasyPrint cannot load: {exc}")
    return render_pdf(run, external=external)


def _xlsx_shown(run, *, external: bool) -> dict[tuple[str, str], str]:
    buffer = io.BytesIO()
    report.write_xlsx(run, buffer, external=external)
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).worksheets[0]
    rows = list(sheet.values)
    names = rows[1]
    out = {}
    for row in rows[2:]:
        r = dict(zip(names, row, strict=True))
        out[(r["instrument"] or "", r["measure"])] = r["value_shown"]
    return out


@pytest.fixture
def world(org, settings):
    settings.MIN_CELL = 3
    return build(org)


def _range_run(world, start=date(2020, 4, 1), end=date(2021, 3, 31)) -> EvaluationRun:
    asked = runs.request_run(program=world.program, period="range", date_from=start, date_to=end)
    return EvaluationRun.objects.get(pk=asked.run.pk)


def _page(client, world, start="2020-04-01", end="2021-03-31") -> str:
    url = reverse("evaluation:report", args=[world.program.pk])
    response = client.get(url, {"period": "range", "date_from": start, "date_to": end})
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode().replace("&nbsp;", " "))


def _set(obj: dict, dotted: str, value) -> None:
    if dotted.startswith("instruments."):
        _i, code, key = dotted.split(".", 2)
        obj["instruments"][code][key] = value
    else:
        obj[dotted] = value


def test_every_output_shows_a_stored_figure_at_a_half_the_same_way(world, coordinator, client):
    run = _range_run(world)
    result = run.result
    for dotted, (stored, _shown, _even) in AT_HALF.items():
        _set(result, dotted, stored)
    run.result = result
    run.details = {}  # no breakdowns: every number on the page is one of the figures
    run.save(update_fields=["result", "details"])
    client.force_login(coordinator)
    page = _page(client, world)
    pdf = _pdf_text(_render_pdf(run, external=False))
    sentence = presenting.summary(run.result, {"GSE": "Self-efficacy"})
    xlsx = _xlsx_shown(run, external=False)
    for dotted, (_stored, shown, even) in AT_HALF.items():
        code, key = ("GSE", dotted.rsplit(".", 1)[1]) if "." in dotted else ("", dotted)
        assert xlsx[(code, key)] == shown, dotted
        assert f">{shown}<" in page, dotted
        assert f" {shown} " in f" {pdf} ", dotted
        assert f">{even}<" not in page and f" {even} " not in f" {pdf} ", dotted
    assert "attending 16.5 (83%) of" in sentence
    assert "83% met the Self-efficacy target" in sentence
    assert "rose from 7.3 to 12.5" in sentence
    assert sentence in page
    assert sentence in pdf
    # Every figure the XLSX shows for the period is on the page and in the PDF too.
    for (code, key), shown in xlsx.items():
        if key in presenting.PARTICIPATION_COLUMNS or (
            code and key in presenting.INSTRUMENT_COLUMNS
        ):
            assert f">{shown}<" in page, (code, key, shown)
            assert f" {shown} " in f" {pdf} ", (code, key, shown)


def test_french_outputs_use_french_separators_and_the_same_rounding(world, coordinator):
    run = _range_run(world)
    result = run.result
    for dotted, (stored, _shown, _even) in AT_HALF.items():
        _set(result, dotted, stored)
    EvaluationRun.objects.filter(pk=run.pk).update(result=result)
    run.refresh_from_db()
    with translation.override("fr"):
        xlsx = _xlsx_shown(run, external=False)
        pdf = _pdf_text(_render_pdf(run, external=False))
        sentence = presenting.summary(run.result, {"GSE": "auto-efficacité"})
    assert xlsx[("", "sessions_attended_mean")] == "16,5"
    assert xlsx[("", "attendance_rate")].replace("\xa0", " ") == "83 %"
    assert xlsx[("GSE", "effect_size_dz")] == "1,13"
    assert " 16,5 " in pdf and " 83 % " in pdf and " 1,13 " in pdf
    assert "16,5" in sentence and "16.5" not in sentence


def test_a_period_with_no_records_says_so_everywhere_and_draws_nothing(world, coordinator, client):
    run = _range_run(world, date(2030, 1, 1), date(2030, 12, 31))
    assert run.status == EvaluationRun.Status.DONE and run.result["enrollments"] == 0
    client.force_login(coordinator)
    page = _page(client, world, "2030-01-01", "2030-12-31")
    assert "No one was enrolled in a cohort that started in this period" in page
    assert "<svg" not in page
    assert "No attendance chart" in page
    assert "No before-and-after chart" in page
    pdf = _pdf_text(_render_pdf(run, external=True))
    assert "No one was enrolled in a cohort that started in this period" in pdf
    assert "No one took part in 2030-01-01 to 2030-12-31." in pdf
    for fmt in ("csv", "xlsx"):
        out = io.BytesIO()
        services.write_report(run, fmt, out, external=True)
        assert out.getvalue()


def test_an_instrument_without_a_target_gets_no_target_chart_but_words(world, coordinator, client):
    Instrument.objects.filter(code="GSE").update(target_score=None)
    run = _range_run(world)
    assert run.result["instruments"]["GSE"]["post_meeting_target_pct"] is None
    client.force_login(coordinator)
    page = _page(client, world)
    message = "No chart of the share meeting a target: Self-efficacy has no target score."
    assert message in page
    assert page.count("<svg") == 2  # attendance, and before-and-after
    assert "chart-target" not in page
    pdf = _pdf_text(_render_pdf(run, external=True))
    assert message in pdf
    assert "meeting the target at post-test" not in pdf


def test_a_suppressed_year_and_a_small_group_are_said_in_words(world, coordinator, client):
    asked = runs.request_run(program=world.program, period="all")
    run = EvaluationRun.objects.get(pk=asked.run.pk)
    pdf = _pdf_text(_render_pdf(run, external=True))
    # Year 2 has 2 participants: for readers outside, the count itself is hidden.
    assert "Year 2 is not shown, to protect small numbers" in " ".join(pdf.split())
    assert "Some groups have fewer than 3 people: their figures are not shown." in pdf
    client.force_login(coordinator)
    url = reverse("evaluation:report", args=[world.program.pk])
    page = client.get(url, {"period": "all"}).content.decode()
    assert "Some groups have fewer than 3 people" in page
    assert "n/a" in page  # Year 2's bar is missing, visibly, in a chart that has Year 1's
