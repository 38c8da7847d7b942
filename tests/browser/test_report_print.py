"""The report page printed from the browser holds what the PDF holds: the first page
with the summary and headline figures, the tables and charts, and the methods."""

import shutil
import subprocess

import pytest
from django.urls import reverse

from evaluation import runs
from tests.availability import require
from tests.evaluation.figures_data import build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_printed_report_page_has_the_pdfs_sections(
    page, sign_in, shot, org, evaluator, settings, tmp_path
):
    settings.MIN_CELL = 3
    world = build(org)
    runs.request_run(program=world.program, period="all")
    sign_in(page, evaluator)
    page.goto(reverse("evaluation:report", args=[world.program.pk]) + "?period=all")
    shot(page, "screen")
    page.emulate_media(media="print")
    shot(page, "print")
    assert not page.locator("nav.navbar, nav[aria-label]").first.is_visible()
    assert page.locator(".report-period").is_visible()  # print-only heading
    assert page.locator(".headline-table").is_visible()
    assert page.locator(".methods").is_visible()
    path = shot.__self__ if False else tmp_path / "printed.pdf"
    page.pdf(path=str(path), format="A4")
    tool = shutil.which("pdftotext")
    require(tool is not None, "pdftotext (poppler-utils) is missing")
    text = subprocess.run(  # noqa: S603 - a fixed tool, no shell
        [str(tool), str(path), "-"], capture_output=True, check=True
    ).stdout.decode()
    pages = text.split("\f")
    assert "Headline figures" in pages[0] and "Summary" in pages[0]
    assert "Methods" not in pages[0]
    assert any("Wilcoxon signed-rank p-value computed by" in p for p in pages[1:])
