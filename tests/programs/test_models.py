from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from programs.models import Program


def test_a_program_starting_on_29_february_starts_its_later_years_on_1_march():
    program = Program(start_date=date(2020, 2, 29))
    assert program.year_bounds(1) == (date(2020, 2, 29), date(2021, 2, 28))
    assert program.year_bounds(2) == (date(2021, 3, 1), date(2022, 2, 28))
    assert program.year_bounds(4) == (date(2023, 3, 1), date(2024, 2, 28))
    assert program.year_bounds(5) == (date(2024, 2, 29), date(2025, 2, 28))
    assert program.year_of(date(2021, 2, 28)) == 1
    assert program.year_of(date(2021, 3, 1)) == 2
    assert program.year_of(date(2024, 2, 29)) == 5


def test_every_day_from_start_to_end_falls_in_exactly_one_program_year():
    for start in (date(2020, 2, 29), date(2020, 2, 28), date(2020, 3, 1), date(2019, 12, 31)):
        program = Program(start_date=start, end_date=start + timedelta(days=9 * 366))
        bounds = [program.year_bounds(n) for n in range(1, 12)]
        day = program.start_date
        while day <= program.end_date:
            holding = [n for n, (first, last) in enumerate(bounds, 1) if first <= day <= last]
            assert holding == [program.year_of(day)], (start, day)
            day += timedelta(days=1)


@given(
    start=st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31)),
    offset=st.integers(min_value=-800, max_value=40 * 366),
)
def test_year_of_a_day_is_the_year_whose_bounds_hold_it(start, offset):
    program = Program(start_date=start)
    day = start + timedelta(days=offset)
    n = program.year_of(day)
    first, last = program.year_bounds(n)
    assert first <= day <= last
    assert program.year_bounds(n + 1)[0] == last + timedelta(days=1)
    assert (n >= 1) == (day >= start)
