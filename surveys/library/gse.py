"""General Self-Efficacy Scale (GSE), 10 items scored 1–4, total 10–40.

The published scale defines no cut-off: the target score shipped here (29, a mean item
answer of 2.9) is a default the organisation may change, and reports say it is theirs.
"""

from .base import LibraryEntry

LABELS = {
    "1": "Not at all true",
    "2": "Hardly true",
    "3": "Moderately true",
    "4": "Exactly true",
    "fr": {
        "1": "Pas du tout vrai",
        "2": "À peine vrai",
        "3": "Moyennement vrai",
        "4": "Tout à fait vrai",
    },
}

ENTRY = LibraryEntry(
    code="GSE",
    name="General Self-Efficacy Scale (GSE)",
    version="10 items (1995)",
    citation=(
        "Schwarzer R, Jerusalem M (1995). Generalized Self-Efficacy scale. In J. Weinman, "
        "S. Wright, M. Johnston (eds.), Measures in health psychology: A user's portfolio. "
        "Causal and control beliefs (pp. 35-37). Windsor, UK: NFER-NELSON."
    ),
    licence=(
        "Free for non-commercial use without asking permission; cite the source. "
        "English wording shipped."
    ),
    wording_shipped=True,
    staff_note=(
        "A published French version exists (Dumont, Schwarzer & Jerusalem 2000); paste its "
        "wording into the French column if you use the survey in French."
    ),
    min_value=1,
    max_value=4,
    texts=(
        ("I can always manage to solve difficult problems if I try hard enough.", ""),
        ("If someone opposes me, I can find the means and ways to get what I want.", ""),
        ("It is easy for me to stick to my aims and accomplish my goals.", ""),
        ("I am confident that I could deal efficiently with unexpected events.", ""),
        ("Thanks to my resourcefulness, I know how to handle unforeseen situations.", ""),
        ("I can solve most problems if I invest the necessary effort.", ""),
        (
            "I can remain calm when facing difficulties because I can rely on my coping abilities.",
            "",
        ),
        ("When I am confronted with a problem, I can usually find several solutions.", ""),
        ("If I am in trouble, I can usually think of a solution.", ""),
        ("I can usually handle whatever comes my way.", ""),
    ),
    labels=LABELS,
    max_missing=3,
    missing_rule=(
        "Scored when at most 3 of the 10 items are missing: the mean of the answered items "
        "times 10 (pro-rated, not rounded)."
    ),
    scoring="Sum of the 10 answers (10–40).",
    score_label="total",
    target_score=29,
    suggested_target_pct=75,
)
