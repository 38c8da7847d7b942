"""Panels of the program page, contributed by the apps above ``programs``.

``programs`` neither imports nor reads the tables of the apps built on it, yet its program
page shows their figures about a program (cohorts and their fill, referrals). Each of those
apps registers a panel in its ``AppConfig.ready()``::

    register_program_panel(cohorts_panel, order=10)

A panel is a function of ``(program, role)`` (the role being the user's in the program's
organisation) answering a ``Panel`` (a template name and its context), or None to show
nothing. Panels are rendered by ``order``, then in the order they were registered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from .models import Program


class Panel(NamedTuple):
    template: str
    context: dict


PanelFunction = Callable[[Program, str], Panel | None]

_panels: list[tuple[int, int, PanelFunction]] = []


def register_program_panel(fn: PanelFunction, *, order: int = 100) -> PanelFunction:
    """Add ``fn`` to the program page (once, however often it is registered)."""
    if all(registered is not fn for _order, _n, registered in _panels):
        _panels.append((order, len(_panels), fn))
        _panels.sort(key=lambda entry: entry[:2])
    return fn


def program_panels(*, program: Program, role: str) -> list[Panel]:
    """The panels to show on ``program``'s page to a member with ``role``."""
    panels = (fn(program, role) for _order, _n, fn in _panels)
    return [panel for panel in panels if panel is not None]


def render_program_panels(request, *, program: Program, role: str) -> list[SafeString]:
    return [
        render_to_string(panel.template, panel.context, request=request)
        for panel in program_panels(program=program, role=role)
    ]
