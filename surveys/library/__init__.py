"""Published instruments an organisation adds in one click, with their exact scoring.

One small module per instrument. Each records what an evaluator needs to trust a figure:
the citation, what the licence allows (and so whether the item wording ships here), the
items with their range, response labels and reverse flags, the missing-item rule, the
scoring (a sum, or a sum converted by the published table), the score's range and
direction, and whether the published scale defines a cut-off or severity bands.

Pure data: no database, no Django models. ``surveys.catalog`` turns an entry into an
organisation's instrument.
"""

from __future__ import annotations

from . import gad7, gse, phq9, rses, swemwbs, wemwbs
from .base import Band, LibraryEntry

__all__ = ["LIBRARY", "Band", "LibraryEntry", "library_entry"]

LIBRARY: dict[str, LibraryEntry] = {
    m.ENTRY.code: m.ENTRY for m in (swemwbs, wemwbs, gse, rses, phq9, gad7)
}


def library_entry(code: str) -> LibraryEntry | None:
    return LIBRARY.get(code)
