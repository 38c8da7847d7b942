"""The schedule generator, by hand-computed dates (no database)."""

from datetime import date, time

import pytest

from sessions.schedule import ScheduleError, build_schedule, first_meeting_day

TUESDAY = 1
MODULES = [("voices", 2), ("circle", 3)]
TOPICS = {1: "Welcome", 2: "Strengths", 3: "Boundaries", 5: "Celebration"}


def _build(**overrides):
    args = {
        "start": date(2025, 9, 2),  # a Tuesday
        "weekday": TUESDAY,
        "modules": MODULES,
        "topics": TOPICS,
        "closures": [],
        "start_time": time(18, 30),
        "session_minutes": 180,
        "program_end": None,
    }
    return build_schedule(**{**args, **overrides})


def test_sessions_are_weekly_from_the_start_date_one_per_week_of_the_modules():
    planned = _build()
    assert [p.date for p in planned] == [
        date(2025, 9, 2),
        date(2025, 9, 9),
        date(2025, 9, 16),
        date(2025, 9, 23),
        date(2025, 9, 30),
    ]
    assert [p.number for p in planned] == [1, 2, 3, 4, 5]


def test_each_session_gets_the_module_and_topic_of_its_week():
    planned = _build()
    assert [p.module for p in planned] == ["voices", "voices", "circle", "circle", "circle"]
    assert [p.topic for p in planned] == ["Welcome", "Strengths", "Boundaries", "", "Celebration"]


def test_sessions_start_at_the_cohort_time_and_last_the_session_length():
    first = _build()[0]
    assert (first.start_time, first.end_time) == (time(18, 30), time(21, 30))


def test_without_a_start_time_sessions_have_no_times():
    first = _build(start_time=None)[0]
    assert (first.start_time, first.end_time) == (None, None)


def test_a_start_date_on_another_weekday_meets_on_the_next_such_day():
    assert first_meeting_day(date(2025, 9, 1), TUESDAY) == date(2025, 9, 2)  # Monday
    assert first_meeting_day(date(2025, 9, 3), TUESDAY) == date(2025, 9, 9)  # Wednesday
    assert _build(start=date(2025, 9, 1))[0].date == date(2025, 9, 2)


def test_closure_dates_push_that_session_and_all_later_ones_a_week_each():
    # 16 and 23 September are closed (two weeks in a row); 18 September is not a Tuesday.
    planned = _build(closures=[date(2025, 9, 16), date(2025, 9, 23), date(2025, 9, 18)])
    assert [p.date for p in planned] == [
        date(2025, 9, 2),
        date(2025, 9, 9),
        date(2025, 9, 30),
        date(2025, 10, 7),
        date(2025, 10, 14),
    ]
    # Week 3 is still week 3: topics and modules follow the session, not the calendar.
    assert (planned[2].topic, planned[2].module) == ("Boundaries", "circle")


def test_a_closure_on_the_first_day_moves_the_whole_program():
    planned = _build(closures=[date(2025, 9, 2)])
    assert planned[0].date == date(2025, 9, 9)
    assert planned[-1].date == date(2025, 10, 7)


def test_closures_pushing_a_session_past_the_program_end_are_refused():
    with pytest.raises(ScheduleError) as error:
        _build(closures=[date(2025, 9, 16)], program_end=date(2025, 10, 6))
    assert error.value.field == "start_date"
    assert "Session 5" in str(error.value.message)
    assert "2025-10-07" in str(error.value.message)


def test_the_last_session_may_fall_on_the_program_end_date():
    assert _build(program_end=date(2025, 9, 30))[-1].date == date(2025, 9, 30)


def test_a_session_running_past_midnight_is_refused():
    with pytest.raises(ScheduleError) as error:
        _build(start_time=time(22, 0))
    assert error.value.field == "start_time"


def test_a_program_without_modules_has_no_sessions():
    assert _build(modules=[]) == []
