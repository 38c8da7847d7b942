"""The schedule generator: a cohort's weekly sessions from its program's modules.

Plain Python, no ORM: ``sessions.services.cohort_schedule_create`` loads the program,
its modules, curriculum and the organisation's closure dates and saves what this returns.

Rules (issue 3, item 2):

- The program runs ``sum(module weeks)`` weeks; week *k* is session *k*.
- The first session is on the first day on or after the cohort's start date that falls
  on the cohort's weekday (a start date on another weekday is not an error: the group
  simply meets on the next such day).
- Sessions are one week apart. A session whose day is a closure date moves one week
  later, and every later session moves with it (the program keeps all its weeks).
- Session *k* belongs to the module whose weeks contain *k* and gets the curriculum
  topic of week *k* (blank when the curriculum has none for that week).
- Each session starts at the cohort's start time and lasts ``session_minutes``; it may
  not run past midnight. Without a start time, sessions have no times.
- When the program has an end date, no session may fall after it.

Rescheduling (``sessions.services.cohort_reschedule``) uses the same rules for the
sessions still to come: they continue weekly after the last session that is already
settled, from ``first_week`` on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

WEEK = timedelta(days=7)


class ScheduleError(ValueError):
    """The schedule cannot be generated; ``field`` names the form field to blame."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class PlannedSession:
    number: int
    date: date
    start_time: time | None
    end_time: time | None
    module: Any
    topic: str


def first_meeting_day(start: date, weekday: int) -> date:
    """The first day on or after ``start`` that is ``weekday`` (0 = Monday)."""
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def end_time_of(day: date, start_time: time | None, minutes: int) -> time | None:
    """When a session starting at ``start_time`` ends; ScheduleError past midnight."""
    if start_time is None:
        return None
    end = datetime.combine(day, start_time) + timedelta(minutes=minutes)
    if end.date() != day or end.time() == time(0, 0):
        raise ScheduleError(
            _("A session starting at this time would run past midnight."), field="start_time"
        )
    return end.time()


def module_for_week(modules: Sequence[tuple[Any, int]], week: int) -> Any:
    """The module (first element of each ``(module, weeks)`` pair) that contains ``week``."""
    last = 0
    for module, weeks in modules:
        last += weeks
        if week <= last:
            return module
    return None


def build_schedule(
    *,
    start: date,
    weekday: int,
    modules: Sequence[tuple[Any, int]],
    topics: Mapping[int, str],
    closures: Iterable[date],
    start_time: time | None,
    session_minutes: int,
    program_end: date | None = None,
    first_week: int = 1,
) -> list[PlannedSession]:
    """The sessions of a cohort, numbered from ``first_week`` (1 for a new cohort), the
    first on or after ``start``; see the module docstring for the rules.

    ``modules`` is the ordered list of ``(module, weeks)``; ``topics`` maps a week to its
    curriculum topic. Raises ``ScheduleError`` when a session would fall after
    ``program_end`` or run past midnight.
    """
    closed = set(closures)
    total_weeks = sum(weeks for _module, weeks in modules)
    day = first_meeting_day(start, weekday)
    planned = []
    for week in range(first_week, total_weeks + 1):
        while day in closed:
            day += WEEK
        if program_end is not None and day > program_end:
            raise ScheduleError(
                _(
                    "Session %(number)s would fall on %(day)s, after the program ends "
                    "(%(end)s). Start the cohort earlier or remove closure dates."
                )
                % {"number": week, "day": day.isoformat(), "end": program_end.isoformat()},
                field="start_date",
            )
        planned.append(
            PlannedSession(
                number=week,
                date=day,
                start_time=start_time,
                end_time=end_time_of(day, start_time, session_minutes),
                module=module_for_week(modules, week),
                topic=topics.get(week, ""),
            )
        )
        day += WEEK
    return planned
