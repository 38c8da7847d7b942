"""Rosenberg Self-Esteem Scale (RSES), 10 items.

Scored 0–3 per item (strongly disagree 0 … strongly agree 3), items 2, 5, 6, 8 and 9
reverse-scored, total 0–30: the Likert scoring the Morris Rosenberg Foundation publishes.
Rosenberg's original Guttman scoring is not used. No cut-off is stored.
"""

from .base import LibraryEntry

LABELS = {
    "0": "Strongly disagree",
    "1": "Disagree",
    "2": "Agree",
    "3": "Strongly agree",
    "fr": {
        "0": "Tout à fait en désaccord",
        "1": "Plutôt en désaccord",
        "2": "Plutôt en accord",
        "3": "Tout à fait en accord",
    },
}

ENTRY = LibraryEntry(
    code="RSES",
    name="Rosenberg Self-Esteem Scale (RSES)",
    version="10 items, scored 0–30",
    citation=(
        "Rosenberg M (1965). Society and the adolescent self-image. Princeton, NJ: "
        "Princeton University Press."
    ),
    licence=(
        "May be used without explicit permission for education and research (Morris "
        "Rosenberg Foundation); the Foundation asks to be told of its use. English wording "
        "shipped."
    ),
    wording_shipped=True,
    staff_note=(
        "A published French version exists (Vallières & Vallerand 1990); paste its wording "
        "into the French column if you use the survey in French."
    ),
    min_value=0,
    max_value=3,
    texts=(
        ("On the whole, I am satisfied with myself.", ""),
        ("At times I think I am no good at all.", ""),
        ("I feel that I have a number of good qualities.", ""),
        ("I am able to do things as well as most other people.", ""),
        ("I feel I do not have much to be proud of.", ""),
        ("I certainly feel useless at times.", ""),
        ("I feel that I'm a person of worth, at least on an equal plane with others.", ""),
        ("I wish I could have more respect for myself.", ""),
        ("All in all, I am inclined to feel that I am a failure.", ""),
        ("I take a positive attitude toward myself.", ""),
    ),
    labels=LABELS,
    reverse=(2, 5, 6, 8, 9),
    max_missing=0,
    missing_rule="All 10 items must be answered; the source gives no rule for missing items.",
    scoring=(
        "Each answer 0–3; items 2, 5, 6, 8 and 9 reverse-scored (3 − answer); sum 0–30 "
        "(not the 10–40 variant)."
    ),
    score_label="total (0–30)",
)
