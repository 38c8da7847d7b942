"""Evaluation runs: asking for figures, computing them (in a worker or right now), progress.

A run is saved (committed) before its job is queued, so a dead broker loses nothing: the
run waits, the page says so and offers to compute it in the foreground. Asking again for
the same figures while a run is queued or running joins that run instead of starting
another (``EvaluationRun.request_key``, unique among active runs).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from peersupport.audit import log_action
from peersupport.tasking import enqueue, run_in_background
from programs.models import Program

from . import figures, periods, stored
from .models import EvaluationRun

logger = logging.getLogger(__name__)

ACTIVE = (EvaluationRun.Status.QUEUED, EvaluationRun.Status.RUNNING)


def stale_after() -> timedelta:
    """A run queued, or running, for longer than this is presumed lost (its worker was
    killed, the broker restarted): the page offers to compute it now, and it no longer
    blocks a new request. Minutes (``EVALUATION_RUN_STALE_MINUTES``), not the hour a
    killed worker's job may take to come back."""
    return timedelta(minutes=getattr(settings, "EVALUATION_RUN_STALE_MINUTES", 15))


def _stale(now=None) -> Q:
    cutoff = (now or timezone.now()) - stale_after()
    return Q(status=EvaluationRun.Status.QUEUED, created_at__lt=cutoff) | Q(
        status=EvaluationRun.Status.RUNNING, started_at__lt=cutoff
    )


def is_stale(run: EvaluationRun, *, now=None) -> bool:
    cutoff = (now or timezone.now()) - stale_after()
    if run.status == EvaluationRun.Status.QUEUED:
        return run.created_at < cutoff
    if run.status == EvaluationRun.Status.RUNNING:
        return (run.started_at or run.created_at) < cutoff
    return False


@dataclass(frozen=True)
class RunRequest:
    run: EvaluationRun
    #: False when an equal run was already queued or running and this request joined it.
    created: bool
    #: False when the broker could not be reached: the run waits for "compute now".
    queued: bool


def period_of(run: EvaluationRun) -> periods.Period | None:
    """The period a year or range run covers (None for all years)."""
    if run.period == EvaluationRun.Period.YEAR:
        assert run.year is not None  # a year run always has its year
        return periods.year_period(run.program, run.year)
    if run.period == EvaluationRun.Period.RANGE:
        assert run.date_from is not None and run.date_to is not None
        return periods.range_period(run.date_from, run.date_to)
    return None


def make_request_key(
    *,
    program: Program,
    period: str,
    year=None,
    date_from=None,
    date_to=None,
    pool_versions: bool = False,
) -> str:
    parts = [
        f"p{program.pk}",
        period,
        str(year or ""),
        date_from.isoformat() if date_from else "",
        date_to.isoformat() if date_to else "",
        f"min{settings.MIN_CELL}",
    ]
    if pool_versions:
        parts.append("pool")
    return ":".join(parts)


def validate(
    *, program: Program, period: str, year=None, date_from=None, date_to=None
) -> periods.Period | None:
    """Raise ``periods.ReportError`` for a request that cannot be computed."""
    if period == EvaluationRun.Period.YEAR:
        if year is None:
            raise periods.ReportError("Choose a program year.")
        return periods.year_period(program, year)
    if period == EvaluationRun.Period.RANGE:
        if date_from is None or date_to is None:
            raise periods.ReportError("Give both the first and the last cohort start date.")
        return periods.range_period(date_from, date_to)
    if period != EvaluationRun.Period.ALL:
        raise periods.ReportError(f"Unknown period {period!r}.")
    return None


def active_run(request_key: str) -> EvaluationRun | None:
    return (
        EvaluationRun.objects.filter(request_key=request_key, status__in=ACTIVE)
        .select_related("program")
        .first()
    )


def latest_done(request_key: str, *, external: bool | None = None) -> EvaluationRun | None:
    """The latest finished run of the request; for a reader of one audience
    (``external`` True or False), without the fields only the other audience reads."""
    done = EvaluationRun.objects.filter(request_key=request_key, status=EvaluationRun.Status.DONE)
    if external is not None:
        done = done.defer(*stored.fields_not_read(external=external))
    return done.order_by("-finished_at", "-pk").first()


def latest_done_per_request(*, organisation) -> QuerySet[EvaluationRun]:
    """The finished runs of ``organisation``'s programs, only the latest of each request
    (the same period and options computed twice is listed once), newest first."""
    later = EvaluationRun.objects.filter(
        request_key=OuterRef("request_key"),
        status=EvaluationRun.Status.DONE,
    ).filter(
        Q(finished_at__gt=OuterRef("finished_at"))
        | Q(finished_at=OuterRef("finished_at"), pk__gt=OuterRef("pk"))
    )
    return (
        EvaluationRun.objects.filter(
            program__organisation=organisation, status=EvaluationRun.Status.DONE
        )
        .exclude(Exists(later))
        .order_by("program_id", "-finished_at", "-pk")
    )


def _expire_stale(request_key: str) -> None:
    EvaluationRun.objects.filter(_stale(), request_key=request_key).update(
        status=EvaluationRun.Status.FAILED,
        finished_at=timezone.now(),
        error="No worker finished this run in time; it was given up.",
    )


def request_run(
    *,
    program: Program,
    period: str,
    year: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    pool_versions: bool = False,
    by=None,
    queue_job: bool = True,
) -> RunRequest:
    """Save a run (or join the equal one already queued or running), then queue its job.

    ``pool_versions``: the pages show the figures of an instrument whose administrations
    were answered on versions that score differently (withheld otherwise).

    Not to be called inside an outer transaction: the run must be committed before a
    worker looks for it. ``queue_job=False`` saves the run without queueing it, for a
    caller that computes it at once (``run_now``), e.g. ``manage.py export``.
    """
    validate(program=program, period=period, year=year, date_from=date_from, date_to=date_to)
    key = make_request_key(
        program=program,
        period=period,
        year=year,
        date_from=date_from,
        date_to=date_to,
        pool_versions=pool_versions,
    )
    _expire_stale(key)
    run, created = active_run(key), False
    if run is None:
        try:
            with transaction.atomic():
                run = EvaluationRun.objects.create(
                    program=program,
                    period=period,
                    year=year,
                    date_from=date_from,
                    date_to=date_to,
                    parameters={"min_cell": settings.MIN_CELL}
                    | ({"pool_versions": True} if pool_versions else {}),
                    request_key=key,
                    requested_by=by if getattr(by, "is_authenticated", False) else None,
                )
            created = True
        except IntegrityError:  # someone else saved the same request a moment ago
            run = active_run(key)
            if run is None:
                raise
    if not created and run.task_id:
        return RunRequest(run, created=False, queued=True)
    if not queue_job:
        return RunRequest(run, created=created, queued=False)
    queued = queue(run=run, by=by)
    run.refresh_from_db()
    return RunRequest(run, created=created, queued=queued)


def queue(*, run: EvaluationRun, by=None) -> bool:
    """Queue the job of a saved run; False when the broker is unreachable (recorded)."""
    from .tasks import compute_evaluation_run

    task_id = enqueue(
        compute_evaluation_run, run.pk, actor=by, organisation=run.program.organisation
    )
    if task_id is None:
        return False
    # An eager (in-process) job has already finished: only the task id is written here.
    EvaluationRun.objects.filter(pk=run.pk).update(task_id=task_id)
    return True


def set_progress(run_id: int, percent: int) -> None:
    EvaluationRun.objects.filter(pk=run_id).update(progress=max(0, min(100, percent)))


def compute(
    run: EvaluationRun, *, progress=None, statistics: bool = True, surveys: bool = True
) -> tuple[dict, dict]:
    """The spec's JSON for the run's period, and the ``details`` (breakdowns and intervals
    the pages draw; docs/definitions.md). ``progress(percent)`` is called along the way.

    Without ``statistics`` the matched pairs are counted, not tested, and there are no
    intervals, versions or surveys left out for consent: what suppression reads (counts)
    and nothing else, for ``shown_figures``.
    Without ``surveys`` there are no instruments at all (participation and attendance).
    """
    progress = progress or (lambda percent: None)
    min_cell = run.parameters.get("min_cell", settings.MIN_CELL)
    program = run.program
    # Counted once, enrollment by enrollment; the report and every breakdown add it up.
    counted = figures.count(program, period_of(run), surveys=surveys)
    result = figures.counted_report(counted, min_cell=min_cell, statistics=statistics)
    whole = counted.period
    progress(50)
    by_cohort = figures.counted_breakdown(
        counted, "cohort", min_cell=min_cell, statistics=statistics
    )
    # Each cohort's program year: cohorts add up to their year (evaluation.disclosure).
    starts = dict(counted.cohorts.values())
    for group in by_cohort:
        start = starts.get(group["group"])
        group["year"] = program.year_of(start) if start else None
    details = {
        "by_cohort": by_cohort,
        "by_module": figures.counted_modules(counted, min_cell=min_cell),
        "by_group": {
            # Small self-identified groups can point at a person: counts are suppressed too.
            field: figures.counted_breakdown(
                counted, field, min_cell=min_cell, external=True, statistics=statistics
            )
            for field in figures.DEMOGRAPHIC_FIELDS
        },
        "intervals": (figures.counted_intervals(counted, min_cell=min_cell) if statistics else {}),
        # The versions each instrument's scored administrations were answered on.
        "versions": figures.version_use(program, whole) if surveys and statistics else {},
        # Surveys left out because the evaluation consent was withdrawn or has expired.
        "consent_left_out": (
            figures.consent_left_out(program, whole) if surveys and statistics else {}
        ),
    }
    progress(90)
    return result, details


def execute(*, run_id: int, final_attempt: bool = True) -> EvaluationRun | None:
    """Compute a run and store its result; safe to call twice (a redelivered job).

    A run that is already done or failed is left alone. Errors a retry may cure
    (database connection trouble) propagate when it is not the ``final_attempt``, so the
    task retries; any other error marks the run failed with the error's class and text.
    """
    claimed = EvaluationRun.objects.filter(pk=run_id, status__in=ACTIVE).update(
        status=EvaluationRun.Status.RUNNING, started_at=timezone.now(), progress=5
    )
    if not claimed:
        return None
    run = EvaluationRun.objects.select_related("program__organisation").get(pk=run_id)
    try:
        result, details = compute(run, progress=lambda percent: set_progress(run_id, percent))
        # The cohorts apart, and what outside readers see suppressed once, here.
        parts = stored.split(result, details, min_cell=stored.min_cell_of(run))
    except Exception as exc:
        from .tasks import TRANSIENT_ERRORS

        if isinstance(exc, TRANSIENT_ERRORS) and not final_attempt:
            EvaluationRun.objects.filter(pk=run_id).update(status=EvaluationRun.Status.QUEUED)
            raise
        logger.exception("Evaluation run %s failed", run_id)
        EvaluationRun.objects.filter(pk=run_id).update(
            status=EvaluationRun.Status.FAILED,
            finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        if isinstance(exc, TRANSIENT_ERRORS):
            raise
        return EvaluationRun.objects.get(pk=run_id)
    store(run_id=run_id, result=result, parts=parts)
    return EvaluationRun.objects.get(pk=run_id)


def store(*, run_id: int, result: dict, parts: stored.Split) -> None:
    """Store a computed run as done: its result, its details split for storing
    (``stored.split``) and its cohort rows, in one transaction."""
    with transaction.atomic():
        stored.save_rows(run_id, parts)
        EvaluationRun.objects.filter(pk=run_id).update(
            status=EvaluationRun.Status.DONE,
            result=result,
            **parts.run_fields(),
            progress=100,
            finished_at=timezone.now(),
            error="",
        )


def run_now(*, run: EvaluationRun, by=None, request=None) -> EvaluationRun:
    """Compute a queued run without the broker (it or the worker is down): in a background
    thread of this process, so the request that asks waits a few seconds at most
    (``FOREGROUND_WAIT_SECONDS``), then the page shows the run's progress."""
    log_action(
        actor=by,
        action="run.compute",
        obj=run,
        detail={"evaluation_run": "computed in the foreground"},
        request=request,
    )
    # Marked as taken up, so the page stops offering to compute it while it waits here.
    EvaluationRun.objects.filter(pk=run.pk).update(task_id=f"local-{uuid.uuid4()}")
    run_in_background(execute, run_id=run.pk, wait=settings.FOREGROUND_WAIT_SECONDS)
    run.refresh_from_db()
    return run


def recompute_current_years(*, today: date | None = None) -> list[RunRequest]:
    """Queue the current program year of every active program (the nightly job)."""
    today = today or timezone.localdate()
    requests = []
    for program in Program.objects.filter(status=Program.Status.ACTIVE).select_related(
        "organisation"
    ):
        year = program.year_of(today)
        if year < 1:
            continue
        requests.append(request_run(program=program, period=EvaluationRun.Period.YEAR, year=year))
    return requests


def shown_figures(
    program: Program,
    *,
    year: int | None = None,
    start: date | None = None,
    end: date | None = None,
    min_cell: int | None = None,
    surveys: bool = True,
) -> tuple[list[dict], dict]:
    """Which figures a report of this period hides from an audience outside the
    organisation, computed now (nothing stored): the period objects (each year then the
    total, or the one period) and the breakdowns, suppressed by ``evaluation.disclosure``,
    with every statistic None (``compute`` without ``statistics``): what is hidden
    depends on counts only. The exporters of participant-level rows read it to leave
    out what the report hides. Each family of figures is suppressed on its own, so
    without ``surveys`` (no instrument) the rest is hidden exactly as in the report."""
    cell = settings.MIN_CELL if min_cell is None else min_cell
    run = EvaluationRun(program=program, parameters={"min_cell": cell})
    if year is not None:
        run.period, run.year = EvaluationRun.Period.YEAR, year
    elif start is not None and end is not None:
        run.period, run.date_from, run.date_to = EvaluationRun.Period.RANGE, start, end
    else:
        run.period = EvaluationRun.Period.ALL
    # Which figures are hidden depends on counts only: no statistics computed.
    parts = stored.split(*compute(run, statistics=False, surveys=surveys), min_cell=cell)
    return parts.external_objects, {**parts.external_details, "by_cohort": parts.external_rows}
