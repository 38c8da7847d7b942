"""Work that takes more than a moment shows that it is under way: the button that starts
it is in a form marked ``data-busy`` (static/js/app.js spins it and announces the text)."""

import re

import pytest
from django.urls import reverse

from tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db


def _busy_forms(html: str) -> dict[str, str]:
    """``{form action: busy text}`` of the forms marked data-busy whose button spins."""
    found = {}
    for form in re.findall(r"<form\b[^>]*>.*?</form>", html, re.S):
        busy = re.search(r'data-busy="([^"]+)"', form)
        action = re.search(r'action="([^"]+)"', form)
        if busy and action and "busy-spinner" in form and "data-busy-status" in form:
            found[action.group(1)] = busy.group(1)
    return found


def test_computing_figures_checking_a_bundle_and_exporting_show_progress(
    client_for, coordinator, org
):
    program = ProgramFactory(organisation=org, code="voices")
    client = client_for(coordinator)
    report = client.get(reverse("evaluation:report", args=[program.pk]), {"period": "all"})
    assert _busy_forms(report.content.decode()) == {
        reverse("evaluation:run_request", args=[program.pk]): "Computing the figures…"
    }
    upload = client.get(reverse("importer:upload")).content.decode()
    assert _busy_forms(upload)[reverse("importer:upload")] == "Checking the bundle…"
    exports = client.get(reverse("exports:index")).content.decode()
    assert _busy_forms(exports)[reverse("exports:download", args=[program.pk])] == (
        "Preparing the file…"
    )
