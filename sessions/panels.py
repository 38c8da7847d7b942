"""The program page's cohorts panel (registered in ``GroupSessionsConfig.ready``)."""

from __future__ import annotations

from peersupport.permissions import COORDINATOR
from programs.models import Program
from programs.pages import Panel

from . import selectors


def cohorts_panel(program: Program, role: str) -> Panel:
    """The program's cohorts, newest first, with their fill; links for coordinators."""
    cohorts = list(
        selectors.with_fill(program.cohorts.select_related("program")).order_by("-start_date")
    )
    for cohort in cohorts:
        cohort.fill = selectors.fill_percent(cohort)
    return Panel(
        "sessions/_program_cohorts.html",
        {"program": program, "cohorts": cohorts, "can_manage": role == COORDINATOR},
    )
