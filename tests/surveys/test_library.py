"""The published instruments: scoring checked against the cited sources.

Every expected value below is copied from the source named beside it, never computed by
the code under test.
"""

import pytest
from django.core.exceptions import ValidationError

from surveys.instruments import ItemData, instrument_create, validate_definition
from surveys.library import LIBRARY
from surveys.models import Instrument
from surveys.scoring import AnswerOutOfRange, ItemSpec, score


def _specs(code):
    entry = LIBRARY[code]
    return [
        ItemSpec(n, entry.min_value, entry.max_value, n in entry.reverse)
        for n in range(1, entry.n_items + 1)
    ]


def _score(code, answers):
    entry = LIBRARY[code]
    return score(
        _specs(code),
        answers,
        max_missing=entry.max_missing,
        conversion_table=entry.conversion_table or None,
    )


def _answers_adding_up_to(raw, n_items, low, high):
    """Item answers (each within low..high) whose sum is ``raw``."""
    answers, left = {}, raw
    for n in range(1, n_items + 1):
        rest = n_items - n
        value = min(high, left - rest * low)
        answers[n] = value
        left -= value
    assert sum(answers.values()) == raw
    return answers


# Stewart-Brown S, Tennant A, Tennant R, Platt S, Parkinson J, Weich S (2009). Internal
# construct validity of the Warwick-Edinburgh Mental Well-being Scale (WEMWBS): a Rasch
# analysis using data from the Scottish Health Education Population Survey. Health and
# Quality of Life Outcomes 7:15 — SWEMWBS raw score to metric score conversion table.
SWEMWBS_PUBLISHED = {
    7: 7.00, 8: 9.51, 9: 11.25, 10: 12.40, 11: 13.33, 12: 14.08, 13: 14.75, 14: 15.32,
    15: 15.84, 16: 16.36, 17: 16.88, 18: 17.43, 19: 17.98, 20: 18.59, 21: 19.25,
    22: 19.98, 23: 20.73, 24: 21.54, 25: 22.35, 26: 23.21, 27: 24.11, 28: 25.03,
    29: 26.02, 30: 27.03, 31: 28.13, 32: 29.31, 33: 30.70, 34: 32.55, 35: 35.00,
}  # fmt: skip


@pytest.mark.parametrize("raw,metric", sorted(SWEMWBS_PUBLISHED.items()))
def test_swemwbs_converts_every_raw_total_by_the_published_table(raw, metric):
    result = _score("SWEMWBS", _answers_adding_up_to(raw, 7, 1, 5))
    assert result.value == metric


def test_swemwbs_table_is_exactly_the_published_one():
    # Stewart-Brown et al. 2009 (above): 29 entries, raw 7-35, metric 7.00-35.00.
    entry = LIBRARY["SWEMWBS"]
    assert {int(k): v for k, v in entry.conversion_table.items()} == SWEMWBS_PUBLISHED
    assert entry.raw_range == (7, 35) and entry.score_range == (7.0, 35.0)
    assert entry.score_label == "metric score"


def test_swemwbs_gives_no_metric_score_unless_all_seven_are_answered():
    # The published table converts the integer raw total of all 7 items (Stewart-Brown
    # et al. 2009); no pro-rating, so one missing item leaves no score.
    result = _score("SWEMWBS", {1: 5, 2: 5, 3: 5, 4: 5, 5: 5, 6: 5, 7: None})
    assert result.value is None and result.missing_n == 1


def test_wemwbs_is_the_sum_of_14_items_from_14_to_70():
    # Tennant et al. 2007, Health and Quality of Life Outcomes 5:63: 14 items scored 1-5,
    # total 14-70.
    entry = LIBRARY["WEMWBS"]
    assert (entry.n_items, entry.min_value, entry.max_value, entry.reverse) == (14, 1, 5, ())
    assert _score("WEMWBS", dict.fromkeys(range(1, 15), 1)).value == 14
    assert _score("WEMWBS", dict.fromkeys(range(1, 15), 5)).value == 70
    assert _score("WEMWBS", {**dict.fromkeys(range(1, 14), 3), 14: None}).value is None


def test_gse_sums_10_items_1_to_4_and_pro_rates_at_most_three_missing():
    # Schwarzer & Jerusalem 1995: 10 items, 1 ("not at all true") to 4 ("exactly true"),
    # total 10-40; with up to 3 missing, the mean of the answered items times 10.
    assert _score("GSE", dict.fromkeys(range(1, 11), 1)).value == 10
    assert _score("GSE", dict.fromkeys(range(1, 11), 4)).value == 40
    three_missing = {**dict.fromkeys(range(1, 8), 3), 8: None, 9: None, 10: None}
    assert _score("GSE", three_missing).value == 30  # mean 3 x 10
    six = {1: 4, 2: 4, 3: 3, 4: 3, 5: 3, 6: 2, 7: 2}  # 21 over 7 answered
    assert _score("GSE", six).value == pytest.approx(30.0)
    four_missing = {**dict.fromkeys(range(1, 7), 3), 7: None, 8: None, 9: None, 10: None}
    assert _score("GSE", four_missing).value is None
    entry = LIBRARY["GSE"]
    assert not entry.has_published_cutoff and entry.bands == ()


def test_rosenberg_reverses_items_2_5_6_8_9_on_the_0_to_30_scoring():
    # Rosenberg 1965, Likert scoring 0-3 (strongly disagree 0 … strongly agree 3), items
    # 2, 5, 6, 8, 9 reverse-scored, total 0-30.
    entry = LIBRARY["RSES"]
    assert entry.reverse == (2, 5, 6, 8, 9) and entry.raw_range == (0, 30)
    high_self_esteem = {n: (0 if n in (2, 5, 6, 8, 9) else 3) for n in range(1, 11)}
    assert _score("RSES", high_self_esteem).value == 30
    low_self_esteem = {n: (3 if n in (2, 5, 6, 8, 9) else 0) for n in range(1, 11)}
    assert _score("RSES", low_self_esteem).value == 0
    # "Agree" (2) to everything: 5 x 2 + 5 x (3 - 2) = 15.
    assert _score("RSES", dict.fromkeys(range(1, 11), 2)).value == 15


def test_phq9_bands_are_the_published_ones():
    # Kroenke, Spitzer & Williams 2001, J Gen Intern Med 16:606-613: 0-4 minimal, 5-9 mild,
    # 10-14 moderate, 15-19 moderately severe, 20-27 severe.
    entry = LIBRARY["PHQ9"]
    assert [(b.low, b.high, b.label) for b in entry.bands] == [
        (0, 4, "minimal"),
        (5, 9, "mild"),
        (10, 14, "moderate"),
        (15, 19, "moderately severe"),
        (20, 27, "severe"),
    ]
    assert entry.raw_range == (0, 27) and not entry.higher_is_better
    assert _score("PHQ9", dict.fromkeys(range(1, 10), 3)).value == 27


def test_gad7_bands_are_the_published_ones():
    # Spitzer, Kroenke, Williams & Löwe 2006, Arch Intern Med 166:1092-1097: 0-4 minimal,
    # 5-9 mild, 10-14 moderate, 15-21 severe.
    entry = LIBRARY["GAD7"]
    assert [(b.low, b.high, b.label) for b in entry.bands] == [
        (0, 4, "minimal"),
        (5, 9, "mild"),
        (10, 14, "moderate"),
        (15, 21, "severe"),
    ]
    assert entry.raw_range == (0, 21) and not entry.higher_is_better


def test_licensed_wording_is_not_shipped():
    for code in ("SWEMWBS", "WEMWBS"):
        entry = LIBRARY[code]
        assert not entry.wording_shipped
        assert all(en == "" and fr == "" for en, fr in entry.texts)
        assert "register" in entry.licence.lower() and "© NHS Health Scotland" in entry.notice
    for code in ("GSE", "RSES", "PHQ9", "GAD7"):
        assert all(en for en, _fr in LIBRARY[code].texts)


def test_an_answer_outside_the_range_is_refused():
    with pytest.raises(AnswerOutOfRange):
        _score("SWEMWBS", {**dict.fromkeys(range(1, 7), 3), 7: 6})
    with pytest.raises(AnswerOutOfRange):
        _score("PHQ9", {**dict.fromkeys(range(1, 9), 0), 9: -1})


# --- definitions refused in words --------------------------------------------------------


def _items(n=7, low=1, high=5):
    return [ItemData(number=i, min_value=low, max_value=high) for i in range(1, n + 1)]


def _table_errors(table, items=None):
    with pytest.raises(ValidationError) as exc:
        validate_definition(items=items or _items(), max_missing=0, conversion_table=table)
    return " ".join(exc.value.message_dict["conversion_table"])


def test_a_table_with_a_gap_is_refused_in_words():
    table = {str(k): v for k, v in SWEMWBS_PUBLISHED.items() if k != 20}
    assert "missing: 20" in _table_errors(table)


def test_a_table_that_turns_back_is_refused_in_words():
    table = {str(k): v for k, v in SWEMWBS_PUBLISHED.items()}
    table["21"] = 18.0  # below 18.59 for raw 20
    message = _table_errors(table)
    assert "must run one way" in message and "raw total 21 gives 18" in message


def test_a_table_whose_raw_range_does_not_match_the_items_is_refused():
    table = {str(k): v for k, v in SWEMWBS_PUBLISHED.items()}
    message = _table_errors(table, items=_items(7, 0, 4))  # raw 0-28, not 7-35
    assert "missing: 0, 1, 2, 3, 4, 5, 6" in message
    assert "cannot occur" in message and "29, 30" in message


def test_a_table_with_a_value_that_is_not_a_number_is_refused():
    table = {**{str(k): v for k, v in SWEMWBS_PUBLISHED.items()}, "8": "high"}
    assert "is not a number" in _table_errors(table)


@pytest.mark.django_db
def test_nothing_is_saved_when_the_definition_is_refused(org):
    table = {str(k): v for k, v in SWEMWBS_PUBLISHED.items() if k != 35}
    with pytest.raises(ValidationError):
        instrument_create(
            organisation=org,
            code="SWEMWBS",
            fields={"name": "Wellbeing", "conversion_table": table},
            items=_items(),
            by=None,
        )
    assert not Instrument.objects.exists()
