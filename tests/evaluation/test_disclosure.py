"""Complementary suppression on plain cells (no database)."""

from evaluation.disclosure import Relation, complementary, protect, protect_row

YEARS = Relation("all", ("y1", "y2", "y3"))


def test_one_hidden_part_takes_the_next_smallest_with_it():
    weights = {"all": 30, "y1": 3, "y2": 12, "y3": 15}
    assert complementary([YEARS], weights, {"y1"}, min_cell=5) == {"y1", "y2"}


def test_hidden_parts_that_add_up_to_a_small_number_take_another():
    weights = {"all": 33, "y1": 1, "y2": 2, "y3": 30}
    # y1 + y2 = 3 would be all minus y3: y3 (the only shown part) goes too.
    assert complementary([YEARS], weights, {"y1", "y2"}, min_cell=5) == {"y1", "y2", "y3"}


def test_a_part_alone_with_its_total_takes_the_total():
    weights = {"year": 3, "cohort": 3}
    relation = Relation("year", ("cohort",))
    assert complementary([relation], weights, {"cohort"}, min_cell=5) == {"cohort", "year"}


def test_zeros_are_never_chosen_and_a_hidden_total_hides_a_part():
    weights = {"all": 20, "y1": 20, "y2": 0, "y3": 0}
    assert complementary([YEARS], weights, {"all"}, min_cell=5) == {"all", "y1"}


def test_hiding_cascades_down_the_levels():
    weights = {"all": 30, "y1": 3, "y2": 27, "a": 12, "b": 15}
    relations = [Relation("all", ("y1", "y2")), Relation("y2", ("a", "b"))]
    # y1 is small, y2 goes with it, and then cohort a of y2 goes too.
    assert complementary(relations, weights, {"y1"}, min_cell=5) == {"y1", "y2", "a"}


def test_nothing_hidden_stays_nothing_hidden():
    weights = {"all": 30, "y1": 10, "y2": 20, "y3": 0}
    assert complementary([YEARS], weights, set(), min_cell=5) == set()


def test_a_late_count_is_never_alone_in_attended():
    relation = (Relation("attended", ("present", "late")),)
    row = {"present": 12, "late": 2, "absent": 0, "excused": 1, "attended": 14}
    assert protect_row(row, relation, min_cell=5) == {"late", "present", "excused"}


def _period(year, enrollments, attended_mean):
    return {
        "year": year,
        "participants": enrollments,
        "enrollments": enrollments,
        "sessions_offered_mean": 10.0,
        "sessions_attended_mean": attended_mean,
        "attendance_rate": attended_mean / 10,
        "completion_rate": 0.5,
        "instruments": {},
        "suppressed": [],
    }


def test_protect_hides_the_small_year_and_the_one_that_would_give_it_away():
    years = [_period(1, 12, 8.0), _period(2, 3, 6.0), _period(3, 20, 9.0)]
    total = _period(None, 35, 8.4)
    original = [*years, total]
    objects, _details = protect(original, {}, min_cell=5)
    assert [o["enrollments"] for o in objects] == [None, None, 20, 35]
    assert [o["sessions_attended_mean"] for o in objects[:2]] == [None, None]
    assert "sessions_attended_mean" in objects[0]["suppressed"]
    assert original[1]["enrollments"] == 3  # the organisation's own copy is untouched
