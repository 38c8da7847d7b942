"""The program page's instruments panel (registered in ``SurveysConfig.ready``)."""

from __future__ import annotations

from peersupport.permissions import COORDINATOR
from programs.models import Program
from programs.pages import Panel

from .instruments import program_instrument_links


def instruments_panel(program: Program, role: str) -> Panel:
    """The instruments the program asks, with their targets; coordinators get the link
    to the page that attaches instruments and sets targets. One query."""
    return Panel(
        "surveys/_program_instruments.html",
        {
            "program": program,
            "links": list(program_instrument_links(program=program)),
            "can_manage": role == COORDINATOR,
        },
    )
