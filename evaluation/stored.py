"""A finished run's stored figures, read the same way by the report page and every
download.

``evaluation.runs.execute`` stores a run in three parts, in one transaction:

- ``EvaluationRun.result`` (the spec's JSON) and ``details`` (the breakdowns by module
  and group, intervals, versions; **not** the breakdown by cohort): what the
  organisation sees;
- ``external_objects`` and ``external_details``: the same as readers outside the
  organisation see them, worked out once here (``disclosure.protect``: small numbers and
  whatever would give them away by subtraction suppressed), so no page view suppresses
  again;
- ``RunCohortRow``: the breakdown by cohort (thousands of cohorts in a large program),
  one row per cohort and audience, numbered from 0 in the breakdown's order, so the
  report page reads only the 50 it shows and the downloads read them all in order.

Every reader goes through the functions here. A run stored before this layout (its
cohorts inside ``details``, nothing for outside readers) is moved to it by migration
0003; one stored that way afterwards (by a worker still running the earlier code during
an upgrade, or written directly) is split here in memory when it is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from peersupport.bulk import insert_rows

from . import disclosure
from .models import EvaluationRun, RunCohortRow

INTERNAL = RunCohortRow.Audience.INTERNAL.value
EXTERNAL = RunCohortRow.Audience.EXTERNAL.value

#: The run's fields only one audience reads (``latest_done`` leaves out the other's).
AUDIENCE_FIELDS = {
    INTERNAL: ("result", "details"),
    EXTERNAL: ("external_objects", "external_details"),
}


def audience(external: bool) -> str:
    return EXTERNAL if external else INTERNAL


def fields_not_read(*, external: bool) -> tuple[str, ...]:
    """The run's big fields a reader of this audience does not need."""
    return AUDIENCE_FIELDS[INTERNAL if external else EXTERNAL]


def min_cell_of(run: EvaluationRun) -> int:
    return (run.parameters or {}).get("min_cell", settings.MIN_CELL)


def period_objects(result: dict | None) -> list[dict]:
    """Each year then the total, or the one period."""
    result = result or {}
    if "years" in result:
        return [*result["years"], result["total"]]
    return [result] if result else []


@dataclass(frozen=True)
class Split:
    """What ``compute`` returns, as it is stored."""

    #: The organisation's details without the breakdown by cohort, and its cohort rows.
    details: dict
    rows: list[dict]
    #: The same for readers outside the organisation, and their period objects.
    external_objects: list[dict]
    external_details: dict
    external_rows: list[dict]

    def run_fields(self) -> dict[str, Any]:
        """The run's fields to store (beside ``result``, which is stored as computed)."""
        return {
            "details": self.details,
            "external_objects": self.external_objects,
            "external_details": self.external_details,
        }


def split(result: dict | None, details: dict | None, *, min_cell: int) -> Split:
    """A run's ``(result, details)`` as ``evaluation.runs.compute`` returns them (the
    cohorts in ``details["by_cohort"]``), split for storing: the cohorts apart, and the
    copy for readers outside the organisation suppressed once, here."""
    details = dict(details or {})
    rows = list(details.pop("by_cohort", []))
    objects, shown = disclosure.protect(
        period_objects(result), {**details, "by_cohort": rows}, min_cell=min_cell
    )
    shown = dict(shown)
    external_rows = list(shown.pop("by_cohort", []))
    return Split(details, rows, objects, shown, external_rows)


def save_rows(run_id: int, parts: Split, *, row_model: Any = RunCohortRow) -> None:
    """Write the cohort rows of both audiences of a run that has none yet (a run is
    stored once), in the caller's transaction. ``row_model``: the migration passes its
    historical model."""
    insert_rows(
        row_model,
        ("run_id", "audience", "position", "data"),
        (
            (run_id, who, position, row)
            for who, rows in ((INTERNAL, parts.rows), (EXTERNAL, parts.external_rows))
            for position, row in enumerate(rows)
        ),
    )


# --- reading ---------------------------------------------------------------------------


def _stored_details(run: EvaluationRun) -> dict:
    # Runs older still kept their details inside the result.
    return run.details or (run.result or {}).get("details") or {}


def _unsplit_internal(run: EvaluationRun) -> tuple[dict, list[dict]] | None:
    """The organisation's details and cohorts of a run whose cohorts are still inside
    ``details`` (see the module's note); None for a run stored split."""
    details = _stored_details(run)
    if "by_cohort" not in details:
        return None
    return {k: v for k, v in details.items() if k != "by_cohort"}, details["by_cohort"]


def _unsplit_external(run: EvaluationRun) -> Split | None:
    """The outside readers' part of a run stored without it (see the module's note),
    worked out once per run object; None for a run stored split."""
    if run.external_objects is not None:
        return None
    cached = run.__dict__.get("_unsplit")
    if cached is None:
        cached = split(run.result, _stored_details(run), min_cell=min_cell_of(run))
        run.__dict__["_unsplit"] = cached
    return cached


def figures(run: EvaluationRun, *, external: bool) -> tuple[list[dict], dict]:
    """The period objects (each year then the total, or the one period) and the details
    without the breakdown by cohort, as ``external`` (or internal) readers see them."""
    if external:
        parts = _unsplit_external(run)
        if parts is not None:
            return parts.external_objects, parts.external_details
        return run.external_objects or [], run.external_details or {}
    unsplit = _unsplit_internal(run)
    return period_objects(run.result), _stored_details(run) if unsplit is None else unsplit[0]


def _unsplit_rows(run: EvaluationRun, *, external: bool) -> list[dict] | None:
    if external:
        parts = _unsplit_external(run)
        return None if parts is None else parts.external_rows
    unsplit = _unsplit_internal(run)
    return None if unsplit is None else unsplit[1]


def cohort_count(run: EvaluationRun, *, external: bool) -> int:
    """How many cohorts the breakdown by cohort has (one indexed read of the last)."""
    unsplit = _unsplit_rows(run, external=external)
    if unsplit is not None:
        return len(unsplit)
    last = (
        RunCohortRow.objects.filter(run_id=run.pk, audience=audience(external))
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    return 0 if last is None else last + 1


def cohort_rows(
    run: EvaluationRun, *, external: bool, start: int = 0, stop: int | None = None
) -> list[dict]:
    """The cohorts from position ``start`` up to ``stop`` (every one by default), in the
    breakdown's order, as ``external`` (or internal) readers see them."""
    unsplit = _unsplit_rows(run, external=external)
    if unsplit is not None:
        return unsplit[start:stop]
    rows = RunCohortRow.objects.filter(
        run_id=run.pk, audience=audience(external), position__gte=start
    )
    if stop is not None:
        rows = rows.filter(position__lt=stop)
    return list(rows.order_by("position").values_list("data", flat=True))


def shown(run: EvaluationRun, *, external: bool) -> tuple[list[dict], dict]:
    """Everything a download holds: the period objects and the details with every cohort
    (``details["by_cohort"]``, in order), as ``external`` (or internal) readers see them."""
    objects, details = figures(run, external=external)
    return objects, {**details, "by_cohort": cohort_rows(run, external=external)}
