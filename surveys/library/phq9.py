"""Patient Health Questionnaire (PHQ-9), 9 items scored 0–3, total 0–27, with the
published severity bands. Lower is better."""

from .base import Band, LibraryEntry

FREQUENCY_LABELS = {
    "0": "Not at all",
    "1": "Several days",
    "2": "More than half the days",
    "3": "Nearly every day",
    "fr": {
        "0": "Jamais",
        "1": "Plusieurs jours",
        "2": "Plus de la moitié du temps",
        "3": "Presque tous les jours",
    },
}
PFIZER_LICENCE = (
    "Developed by Drs Robert L. Spitzer, Janet B. W. Williams, Kurt Kroenke and colleagues, "
    "with an educational grant from Pfizer Inc. No permission required to reproduce, "
    "translate, display or distribute. English wording shipped."
)

ENTRY = LibraryEntry(
    code="PHQ9",
    name="Patient Health Questionnaire (PHQ-9)",
    version="9 items (2001)",
    citation=(
        "Kroenke K, Spitzer RL, Williams JBW (2001). The PHQ-9: validity of a brief "
        "depression severity measure. Journal of General Internal Medicine 16(9):606-613."
    ),
    licence=PFIZER_LICENCE,
    wording_shipped=True,
    staff_note=(
        "Item 9 asks about thoughts of self-harm: agree who reads the answers and how a "
        "positive answer is followed up before using it. Published French versions exist "
        "(phqscreeners.com); paste one into the French column if you use it."
    ),
    min_value=0,
    max_value=3,
    texts=(
        ("Little interest or pleasure in doing things", ""),
        ("Feeling down, depressed, or hopeless", ""),
        ("Trouble falling or staying asleep, or sleeping too much", ""),
        ("Feeling tired or having little energy", ""),
        ("Poor appetite or overeating", ""),
        (
            "Feeling bad about yourself — or that you are a failure or have let yourself or "
            "your family down",
            "",
        ),
        (
            "Trouble concentrating on things, such as reading the newspaper or watching television",
            "",
        ),
        (
            "Moving or speaking so slowly that other people could have noticed? Or the "
            "opposite — being so fidgety or restless that you have been moving around a lot "
            "more than usual",
            "",
        ),
        ("Thoughts that you would be better off dead or of hurting yourself in some way", ""),
    ),
    labels=FREQUENCY_LABELS,
    max_missing=0,
    missing_rule="All 9 items must be answered; the source defines the total of nine items.",
    scoring="Sum of the 9 answers (0–27); lower is better.",
    score_label="total",
    higher_is_better=False,
    bands=(
        Band(0, 4, "minimal", "minimale"),
        Band(5, 9, "mild", "légère"),
        Band(10, 14, "moderate", "modérée"),
        Band(15, 19, "moderately severe", "modérément sévère"),
        Band(20, 27, "severe", "sévère"),
    ),
)
