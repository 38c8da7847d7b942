"""Warwick–Edinburgh Mental Wellbeing Scale (WEMWBS), 14 items, total 14–70."""

from .base import OFTEN_5, WARWICK_LICENCE, WARWICK_NOTE, LibraryEntry, blank_items

ENTRY = LibraryEntry(
    code="WEMWBS",
    name="Warwick–Edinburgh Mental Wellbeing Scale (WEMWBS)",
    version="14 items (2007)",
    citation=(
        "Tennant R, Hiller L, Fishwick R, Platt S, Joseph S, Weich S, Parkinson J, Secker J, "
        "Stewart-Brown S (2007). The Warwick-Edinburgh Mental Well-being Scale (WEMWBS): "
        "development and UK validation. Health and Quality of Life Outcomes 5:63."
    ),
    licence=WARWICK_LICENCE,
    wording_shipped=False,
    staff_note=WARWICK_NOTE,
    min_value=1,
    max_value=5,
    texts=blank_items(14),
    labels=OFTEN_5,
    max_missing=0,
    missing_rule=(
        "All 14 items must be answered: the published score is the total of the 14 items "
        "and the source gives no rule for missing items."
    ),
    scoring="Sum of the 14 answers (14–70); no item is reverse-scored.",
    score_label="raw total",
    notice=(
        "Warwick Edinburgh Mental Wellbeing Scale (WEMWBS) © NHS Health Scotland, "
        "University of Warwick and University of Edinburgh, 2006, all rights reserved."
    ),
)
