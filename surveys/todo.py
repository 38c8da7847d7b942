"""The survey to-do list: for each cohort, who still has a pre or post survey due."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Max, Min

from participants.models import Enrollment
from programs.models import Cohort
from sessions.models import Session

from .instruments import current_instrument
from .models import (
    Administration,
    Instrument,
    ProgramInstrument,
)
from .services import SURVEY_STATUSES, used_in_evaluation

#: The to-do list shows a pre as due from this many days before the first session and a
#: post from this many days before the last.
DUE_WINDOW_DAYS = 7


@dataclass
class TodoRow:
    enrollment: Enrollment
    #: ``{(instrument_code, timepoint): Administration or None}``
    done: dict = field(default_factory=dict)
    #: One per instrument × (pre, post), in column order: code, timepoint, administration,
    #: due (True when missing and due by now).
    cells: list = field(default_factory=list)

    @property
    def used_in_evaluation(self) -> bool:
        return used_in_evaluation(self.enrollment.participant)


@dataclass
class CohortTodo:
    cohort: Cohort
    codes: list[str]
    first_session: date | None
    last_session: date | None
    pre_due: bool
    post_due: bool
    rows: list[TodoRow]


def cohort_survey_todo(*, cohort: Cohort, on: date) -> CohortTodo:
    """Who still needs a pre (due from a week before the first session) or a post (due from
    a week before the last), per instrument of the cohort's program.

    Queries: program instruments, session dates, enrollments with participants,
    administrations.
    """
    codes = list(
        ProgramInstrument.objects.filter(program_id=cohort.program_id)
        .order_by("instrument_code")
        .values_list("instrument_code", flat=True)
    )
    held = Session.objects.filter(cohort=cohort).exclude(status=Session.Status.CANCELLED)
    bounds = held.aggregate(first=Min("date"), last=Max("date"))
    first = bounds["first"] or cohort.start_date
    last = bounds["last"]
    enrollments = list(
        Enrollment.objects.filter(cohort=cohort, status__in=SURVEY_STATUSES)
        .select_related("participant")
        .order_by("participant__code")
    )
    rows = {e.pk: TodoRow(enrollment=e) for e in enrollments}
    for adm in Administration.objects.filter(enrollment__in=enrollments, instrument_code__in=codes):
        rows[adm.enrollment_id].done[(adm.instrument_code, adm.timepoint)] = adm
    window = timedelta(days=DUE_WINDOW_DAYS)
    due = {"pre": on >= first - window, "post": last is not None and on >= last - window}
    for row in rows.values():
        for code in codes:
            for timepoint in ("pre", "post"):
                found = row.done.get((code, timepoint))
                row.cells.append(
                    {
                        "code": code,
                        "timepoint": timepoint,
                        "administration": found,
                        "due": found is None and due[timepoint],
                    }
                )
    return CohortTodo(
        cohort=cohort,
        codes=codes,
        first_session=first,
        last_session=last,
        pre_due=due["pre"],
        post_due=due["post"],
        rows=list(rows.values()),
    )


def survey_overview(*, cohorts) -> list[dict]:
    """Per cohort: how many enrollments lack a pre / a post, across the program's
    instruments (for the list of cohorts; one query per kind of data, not per cohort).

    Queries: cohorts with programs, program instruments, enrollment counts,
    administration counts.
    """
    cohorts = list(cohorts.select_related("program").order_by("-start_date", "code"))
    program_ids = {c.program_id for c in cohorts}
    codes: dict[int, set[str]] = {}
    for pid, code in ProgramInstrument.objects.filter(program_id__in=program_ids).values_list(
        "program_id", "instrument_code"
    ):
        codes.setdefault(pid, set()).add(code)
    enrolled: dict[int, int] = {}
    for cid in Enrollment.objects.filter(
        cohort__in=cohorts, status__in=SURVEY_STATUSES
    ).values_list("cohort_id", flat=True):
        enrolled[cid] = enrolled.get(cid, 0) + 1
    done: dict[tuple[int, str], int] = {}
    for cid, pid, code, tp in Administration.objects.filter(
        enrollment__cohort__in=cohorts, enrollment__status__in=SURVEY_STATUSES
    ).values_list(
        "enrollment__cohort_id", "enrollment__cohort__program_id", "instrument_code", "timepoint"
    ):
        if code in codes.get(pid, ()):
            done[(cid, tp)] = done.get((cid, tp), 0) + 1
    out = []
    for cohort in cohorts:
        n_codes = len(codes.get(cohort.program_id, ()))
        expected = enrolled.get(cohort.pk, 0) * n_codes
        out.append(
            {
                "cohort": cohort,
                "enrolled": enrolled.get(cohort.pk, 0),
                "instruments": n_codes,
                "pre_missing": expected - done.get((cohort.pk, "pre"), 0),
                "post_missing": expected - done.get((cohort.pk, "post"), 0),
            }
        )
    return out


def instrument_for_entry(*, cohort: Cohort, code: str) -> Instrument | None:
    """The current version of an instrument the cohort's program uses."""
    if not ProgramInstrument.objects.filter(
        program_id=cohort.program_id, instrument_code=code
    ).exists():
        return None
    return current_instrument(organisation=cohort.organisation_id, code=code)
