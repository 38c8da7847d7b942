"""Short Warwick–Edinburgh Mental Wellbeing Scale (SWEMWBS), 7 items.

The raw total (7–35) is converted to the metric score by the published Rasch conversion
table (Stewart-Brown et al. 2009, Table 3). The table is defined for the integer raw total
of all seven items and the paper gives no rule for missing items, so no metric score is
given unless all seven are answered (``max_missing`` 0).
"""

from .base import OFTEN_5, WARWICK_LICENCE, WARWICK_NOTE, LibraryEntry, blank_items

#: Raw total → metric score, Stewart-Brown S, Tennant A, Tennant R, Platt S, Parkinson J,
#: Weich S (2009) Health and Quality of Life Outcomes 7:15.
CONVERSION_TABLE = {
    "7": 7.00, "8": 9.51, "9": 11.25, "10": 12.40, "11": 13.33, "12": 14.08, "13": 14.75,
    "14": 15.32, "15": 15.84, "16": 16.36, "17": 16.88, "18": 17.43, "19": 17.98,
    "20": 18.59, "21": 19.25, "22": 19.98, "23": 20.73, "24": 21.54, "25": 22.35,
    "26": 23.21, "27": 24.11, "28": 25.03, "29": 26.02, "30": 27.03, "31": 28.13,
    "32": 29.31, "33": 30.70, "34": 32.55, "35": 35.00,
}  # fmt: skip

ENTRY = LibraryEntry(
    code="SWEMWBS",
    name="Short Warwick–Edinburgh Mental Wellbeing Scale (SWEMWBS)",
    version="7 items, metric score (2009)",
    citation=(
        "Stewart-Brown S, Tennant A, Tennant R, Platt S, Parkinson J, Weich S (2009). "
        "Internal construct validity of the Warwick-Edinburgh Mental Well-being Scale "
        "(WEMWBS): a Rasch analysis using data from the Scottish Health Education Population "
        "Survey. Health and Quality of Life Outcomes 7:15."
    ),
    licence=WARWICK_LICENCE,
    wording_shipped=False,
    staff_note=WARWICK_NOTE,
    min_value=1,
    max_value=5,
    texts=blank_items(7),
    labels=OFTEN_5,
    max_missing=0,
    missing_rule=(
        "All 7 items must be answered: the published table converts the integer raw total "
        "of the seven items, and the source gives no rule for missing items."
    ),
    scoring="Sum of the 7 answers (raw 7–35), converted to the metric score by the table.",
    conversion_table=CONVERSION_TABLE,
    score_label="metric score",
    notice=(
        "Short Warwick Edinburgh Mental Wellbeing Scale (SWEMWBS) © NHS Health Scotland, "
        "University of Warwick and University of Edinburgh, 2008, all rights reserved."
    ),
)
