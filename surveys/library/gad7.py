"""Generalized Anxiety Disorder scale (GAD-7), 7 items scored 0–3, total 0–21, with the
published severity bands. Lower is better."""

from .base import Band, LibraryEntry
from .phq9 import FREQUENCY_LABELS, PFIZER_LICENCE

ENTRY = LibraryEntry(
    code="GAD7",
    name="Generalized Anxiety Disorder scale (GAD-7)",
    version="7 items (2006)",
    citation=(
        "Spitzer RL, Kroenke K, Williams JBW, Löwe B (2006). A brief measure for assessing "
        "generalized anxiety disorder: the GAD-7. Archives of Internal Medicine "
        "166(10):1092-1097."
    ),
    licence=PFIZER_LICENCE,
    wording_shipped=True,
    staff_note=(
        "Published French versions exist (phqscreeners.com); paste one into the French "
        "column if you use it."
    ),
    min_value=0,
    max_value=3,
    texts=(
        ("Feeling nervous, anxious, or on edge", ""),
        ("Not being able to stop or control worrying", ""),
        ("Worrying too much about different things", ""),
        ("Trouble relaxing", ""),
        ("Being so restless that it is hard to sit still", ""),
        ("Becoming easily annoyed or irritable", ""),
        ("Feeling afraid, as if something awful might happen", ""),
    ),
    labels=FREQUENCY_LABELS,
    max_missing=0,
    missing_rule="All 7 items must be answered; the source defines the total of seven items.",
    scoring="Sum of the 7 answers (0–21); lower is better.",
    score_label="total",
    higher_is_better=False,
    bands=(
        Band(0, 4, "minimal", "minimale"),
        Band(5, 9, "mild", "légère"),
        Band(10, 14, "moderate", "modérée"),
        Band(15, 21, "severe", "sévère"),
    ),
)
