"""The figure cells of a report table, written in one pass.

A report page of the largest program draws about 1,400 cells (``evaluation.display.cell``:
its text, and whether it is suppressed); a template loop over them took more time than
everything else on the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def figure_cells(cells: Iterable[Mapping]) -> SafeString:
    """``<td>`` per cell, right-aligned, with the class ``suppressed`` where it is."""
    return mark_safe(  # noqa: S308 - every text is escaped here
        "".join(
            f'<td class="text-end{" suppressed" if cell["suppressed"] else ""}">'
            f"{conditional_escape(cell['text'])}</td>"
            for cell in cells
        )
    )
