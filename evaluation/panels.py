"""The program page's reports panel (registered in ``EvaluationConfig.ready``)."""

from __future__ import annotations

from peersupport.permissions import REPORT_ROLES
from programs.models import Program
from programs.pages import Panel


def reports_panel(program: Program, role: str) -> Panel | None:
    """A link to the program's evaluation report, for coordinators and evaluators."""
    if role not in REPORT_ROLES:
        return None
    return Panel("evaluation/_program_reports.html", {"program": program})
