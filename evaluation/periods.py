"""The periods a report covers: one program year, every year of a program, or a custom
range of cohort start dates. Program years are ``Program.year_bounds`` (docs/definitions.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from programs.models import Program


class ReportError(ValueError):
    """A report that cannot be made (a year before the program started, dates reversed)."""


@dataclass(frozen=True)
class Period:
    """Cohort start dates from ``start`` to ``end`` (both inclusive)."""

    kind: str  # "year", "all" or "range" (EvaluationRun.Period)
    start: date
    end: date
    year: int | None = None


def year_period(program: Program, year: int) -> Period:
    """Program year ``year`` (``Program.year_bounds``)."""
    if year < 1:
        raise ReportError(f"Year {year} is before the program started (years count from 1).")
    return Period("year", *program.year_bounds(year), year)


def range_period(date_from: date, date_to: date) -> Period:
    if date_from > date_to:
        raise ReportError(f"The range starts ({date_from}) after it ends ({date_to}).")
    return Period("range", date_from, date_to)


def program_years(program: Program, *, today: date | None = None) -> list[int]:
    """Year 1 up to the year containing today or the last cohort, whichever is later.

    A program that has ended stops at the year containing its end date (unless a cohort
    starts later); a program that has not started yet has its cohorts' years or Year 1.
    """
    today = today or timezone.localdate()
    if program.end_date and program.end_date < today:
        today = program.end_date
    last_start = (
        program.cohorts.order_by("-start_date").values_list("start_date", flat=True).first()
    )
    last = max(program.year_of(today), program.year_of(last_start) if last_start else 1, 1)
    return list(range(1, last + 1))


def all_years_period(program: Program, years: list[int]) -> Period:
    return Period("all", program.start_date, program.year_bounds(years[-1])[1])
