"""The shape of a library entry (see ``surveys.library``)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Band:
    """A published score band, both ends inclusive."""

    low: float
    high: float
    label: str
    label_fr: str = ""


@dataclass(frozen=True)
class LibraryEntry:
    code: str
    name: str
    version: str
    citation: str
    #: What the licence allows, in a sentence staff can act on.
    licence: str
    #: True when the licence lets this project ship the item wording.
    wording_shipped: bool
    #: What the organisation must do before participants answer it on their own.
    staff_note: str
    min_value: int
    max_value: int
    #: (English, French) wording per item; empty strings when the wording is not shipped.
    texts: tuple[tuple[str, str], ...]
    labels: dict
    reverse: tuple[int, ...] = ()
    max_missing: int = 0
    missing_rule: str = ""
    scoring: str = ""
    conversion_table: dict[str, float] = field(default_factory=dict)
    #: e.g. "metric score" (converted by the published table) or "raw total".
    score_label: str = "raw total"
    higher_is_better: bool = True
    bands: tuple[Band, ...] = ()
    #: True only when the published scale defines a cut-off (a threshold score).
    has_published_cutoff: bool = False
    #: A default target score the catalog suggests; always the organisation's choice
    #: unless ``has_published_cutoff``.
    target_score: float | None = None
    suggested_target_pct: float | None = None
    #: Timepoints a program asks it at by default.
    timepoints: tuple[str, ...] = ("pre", "post")
    #: Shown with the questionnaire to participants (a copyright line the licence asks for).
    notice: str = ""

    @property
    def key(self) -> str:
        """The catalog key (in URLs): the code in lower case."""
        return self.code.lower()

    @property
    def n_items(self) -> int:
        return len(self.texts)

    @property
    def raw_range(self) -> tuple[int, int]:
        return self.min_value * self.n_items, self.max_value * self.n_items

    @property
    def score_range(self) -> tuple[float, float]:
        if self.conversion_table:
            values = [float(v) for v in self.conversion_table.values()]
            return min(values), max(values)
        low, high = self.raw_range
        return float(low), float(high)


#: WEMWBS and SWEMWBS response labels (1–5).
OFTEN_5 = {
    "1": "None of the time",
    "2": "Rarely",
    "3": "Some of the time",
    "4": "Often",
    "5": "All of the time",
    "fr": {
        "1": "Jamais",
        "2": "Rarement",
        "3": "Parfois",
        "4": "Souvent",
        "5": "Tout le temps",
    },
}

WARWICK_LICENCE = (
    "Free to use, but each organisation must register with the University of Warwick "
    "before using it (warwick.ac.uk/wemwbs). The wording is copyright and may not be "
    "redistributed, so it is not shipped here: structure and scoring only."
)
WARWICK_NOTE = (
    "Register with the University of Warwick, then paste the wording your organisation "
    "received (English, and French if you use it) into each item. Until every item has "
    "wording, staff can enter paper answers but participants cannot answer on their own."
)


def blank_items(n: int) -> tuple[tuple[str, str], ...]:
    return tuple(("", "") for _ in range(n))
