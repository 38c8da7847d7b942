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
#: post from this many days before the last; a follow-up is due once the last session
#: is past.
DUE_WINDOW_DAYS = 7
TIMEPOINTS = ("pre", "post", "followup")


@dataclass
class TodoRow:
    enrollment: Enrollment
    #: ``{(instrument_code, timepoint): Administration or None}``
    done: dict = field(default_factory=dict)
    #: One per column (instrument × timepoint the program asks it at), in column order:
    #: code, timepoint, administration, due (True when missing and due by now).
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
    #: ``(code, timepoint)`` for each column: only the timepoints each instrument is
    #: asked at (an exit item asked at post only has no pre column).
    columns: list[tuple[str, str]] = field(default_factory=list)
    followup_due: bool = False


def due_timepoints(*, first: date | None, last: date | None, on: date) -> dict[str, bool]:
    """Which timepoints are due on ``on`` for a cohort whose held (or planned) sessions run
    from ``first`` to ``last``: pre from a week before the first session, post from a week
    before the last, follow-up once the last session is past. No session yet: nothing due
    but pre (from a week before the start date, given as ``first``)."""
    window = timedelta(days=DUE_WINDOW_DAYS)
    return {
        "pre": first is not None and on >= first - window,
        "post": last is not None and on >= last - window,
        "followup": last is not None and on > last,
    }


def _asked(program_ids) -> dict[int, list[tuple[str, tuple[str, ...]]]]:
    """Per program: ``(code, timepoints asked)`` by code."""
    asked: dict[int, list[tuple[str, tuple[str, ...]]]] = {}
    for link in ProgramInstrument.objects.filter(program_id__in=program_ids).order_by(
        "instrument_code"
    ):
        asked.setdefault(link.program_id, []).append((link.instrument_code, link.timepoints))
    return asked


def cohort_survey_todo(*, cohort: Cohort, on: date) -> CohortTodo:
    """Who still needs a survey, per instrument of the cohort's program and per timepoint
    the program asks it at; a missing survey is "due" by ``due_timepoints``.

    Queries: program instruments, session dates, enrollments with participants,
    administrations.
    """
    asked = _asked([cohort.program_id]).get(cohort.program_id, [])
    codes = [code for code, _tps in asked]
    columns = [(code, tp) for code, tps in asked for tp in tps]
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
    due = due_timepoints(first=first, last=last, on=on)
    for row in rows.values():
        for code, timepoint in columns:
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
        columns=columns,
        followup_due=due["followup"],
    )


def survey_overview(*, cohorts, on: date) -> list[dict]:
    """Per cohort: who is missing a pre or post survey that is due on ``on``, counting
    each instrument of the program only at the timepoints it is asked at (for the list of
    cohorts; one query per kind of data, not per cohort).

    ``pre_missing`` / ``post_missing`` is the number of people missing at least one
    survey of that timepoint (never more than are enrolled), or None while that timepoint
    is not due yet; ``pre_by_instrument`` / ``post_by_instrument`` lists ``(code,
    missing)`` per instrument asked then, each at most the number enrolled.

    Queries: cohorts with programs, program instruments, session dates, enrollments,
    administrations.
    """
    cohorts = list(cohorts.select_related("program").order_by("-start_date", "code"))
    asked = _asked({c.program_id for c in cohorts})
    codes_at: dict[tuple[int, str], list[str]] = {}
    for pid, links in asked.items():
        for code, tps in links:
            for tp in tps:
                codes_at.setdefault((pid, tp), []).append(code)
    bounds = {
        row["cohort_id"]: (row["first"], row["last"])
        for row in Session.objects.filter(cohort__in=cohorts)
        .exclude(status=Session.Status.CANCELLED)
        .values("cohort_id")
        .annotate(first=Min("date"), last=Max("date"))
    }
    enrolled: dict[int, list[int]] = {}
    for pk, cid in Enrollment.objects.filter(
        cohort__in=cohorts, status__in=SURVEY_STATUSES
    ).values_list("pk", "cohort_id"):
        enrolled.setdefault(cid, []).append(pk)
    # (enrollment, timepoint) -> the codes answered then (one administration each at most).
    done: dict[tuple[int, str], set[str]] = {}
    for eid, code, tp in Administration.objects.filter(
        enrollment__cohort__in=cohorts, enrollment__status__in=SURVEY_STATUSES
    ).values_list("enrollment_id", "instrument_code", "timepoint"):
        done.setdefault((eid, tp), set()).add(code)
    out = []
    for cohort in cohorts:
        first, last = bounds.get(cohort.pk, (None, None))
        due = due_timepoints(first=first or cohort.start_date, last=last, on=on)
        people = enrolled.get(cohort.pk, [])
        row: dict = {
            "cohort": cohort,
            "enrolled": len(people),
            "instruments": len(asked.get(cohort.program_id, ())),
        }
        for tp in ("pre", "post"):
            codes = codes_at.get((cohort.program_id, tp), [])
            if not due[tp]:
                row[f"{tp}_missing"], row[f"{tp}_by_instrument"] = None, []
                continue
            missing = [set(codes) - done.get((pk, tp), set()) for pk in people]
            row[f"{tp}_missing"] = sum(1 for gaps in missing if gaps)
            row[f"{tp}_by_instrument"] = [
                (code, sum(1 for gaps in missing if code in gaps)) for code in codes
            ]
        out.append(row)
    return out


def next_without_survey(
    *, cohort: Cohort, code: str, timepoint: str, after: Enrollment | None = None
) -> Enrollment | None:
    """The next person enrolled in ``cohort`` (by code, after ``after``, then from the
    top) who has no ``code`` survey at ``timepoint`` yet: "save and enter the next one"
    moves there. None when everyone has one. One query."""
    waiting = list(
        Enrollment.objects.filter(cohort=cohort, status__in=SURVEY_STATUSES)
        .exclude(administrations__instrument_code=code, administrations__timepoint=timepoint)
        .select_related("participant")
        .order_by("participant__code")
    )
    if after is not None:
        later = [e for e in waiting if e.participant.code > after.participant.code]
        waiting = later or [e for e in waiting if e.pk != after.pk]
    return waiting[0] if waiting else None


def instrument_for_entry(*, cohort: Cohort, code: str) -> Instrument | None:
    """The current version of an instrument the cohort's program uses."""
    if not ProgramInstrument.objects.filter(
        program_id=cohort.program_id, instrument_code=code
    ).exists():
        return None
    return current_instrument(organisation=cohort.organisation_id, code=code)
