"""Scoring by the spec, with expectations computed by hand."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveys.scoring import AnswerOutOfRange, ItemSpec, check_instrument, score, score_range

FOUR = [ItemSpec(n, 1, 4) for n in range(1, 5)]


def test_complete_answers_sum():
    assert score(FOUR, {1: 1, 2: 2, 3: 3, 4: 4}, max_missing=0).value == 10.0


def test_reverse_scored_item_counts_as_min_plus_max_minus_answer():
    items = [ItemSpec(1, 1, 4), ItemSpec(2, 1, 4, reverse=True)]
    # item 2 answered 1 counts as 1 + 4 - 1 = 4
    assert score(items, {1: 2, 2: 1}, max_missing=0).value == 6.0


def test_missing_items_up_to_max_missing_are_pro_rated_unrounded():
    # answered 1, 2, 2 -> mean 5/3, times 4 items = 6.666...
    result = score(FOUR, {1: 1, 2: 2, 3: 2, 4: None}, max_missing=1)
    assert result.value == pytest.approx(20 / 3)
    assert (result.answered_n, result.missing_n) == (3, 1)


def test_more_missing_than_allowed_leaves_no_score():
    result = score(FOUR, {1: 1, 2: 2}, max_missing=1)
    assert result.value is None
    assert not result.is_complete
    assert result.missing_n == 2


def test_answer_out_of_range_is_refused():
    with pytest.raises(AnswerOutOfRange, match="item 2: 5 is outside 1..4"):
        score(FOUR, {1: 1, 2: 5, 3: 1, 4: 1}, max_missing=0)


def test_conversion_table_maps_raw_total_to_published_score():
    items = [ItemSpec(n, 1, 5) for n in range(1, 3)]
    table = {str(raw): raw * 1.5 for raw in range(2, 11)}
    assert score(items, {1: 3, 2: 4}, max_missing=0, conversion_table=table).value == 10.5


@given(
    st.lists(
        st.tuples(st.integers(-3, 3), st.integers(1, 6), st.booleans()), min_size=1, max_size=12
    ).flatmap(
        lambda specs: st.tuples(
            st.just(specs),
            st.lists(
                st.one_of(st.none(), st.integers(0, 10)), min_size=len(specs), max_size=len(specs)
            ),
            st.integers(0, len(specs)),
        )
    )
)
def test_a_score_always_lies_within_its_instruments_range(case):
    specs, raw_answers, max_missing = case
    if max_missing:  # pro-rating needs one shared range (check_instrument)
        specs = [(specs[0][0], specs[0][1], rev) for _lo, _width, rev in specs]
    max_missing = min(max_missing, len(specs) - 1)
    items = [ItemSpec(n, lo, lo + width, rev) for n, (lo, width, rev) in enumerate(specs, 1)]
    check_instrument(items, max_missing)
    answers = {}
    for item, value in zip(items, raw_answers, strict=True):
        answers[item.number] = (
            None
            if value is None
            else item.min_value + value % (item.max_value - item.min_value + 1)
        )
    result = score(items, answers, max_missing=max_missing)
    low, high = score_range(items)
    if result.value is not None:
        assert low - 1e-9 <= result.value <= high + 1e-9


def test_pro_rating_is_refused_for_items_on_different_ranges():
    items = [ItemSpec(1, 0, 1), ItemSpec(2, 1, 2)]
    with pytest.raises(ValueError, match="same range"):
        check_instrument(items, max_missing=1)
    check_instrument(items, max_missing=0)
