"""A run is stored split: its cohorts one row each, and what readers outside the
organisation see worked out once, when it is stored. The report page reads one page of
cohorts and never suppresses again; the downloads read every cohort; runs stored before
the split are moved to it by a migration."""

from __future__ import annotations

import importlib
import json
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evaluation import disclosure, presenting, runs, stored
from evaluation.models import EvaluationRun, RunCohortRow
from exports import report
from tests.evaluation.figures_data import build

pytestmark = pytest.mark.django_db

MIN_CELL = 3
split_migration = importlib.import_module("evaluation.migrations.0003_split_stored_runs")


@pytest.fixture
def world(org, settings):
    settings.MIN_CELL = MIN_CELL
    return build(org)


def report_url(world, **query) -> str:
    url = reverse("evaluation:report", args=[world.program.pk])
    return url + "?" + "&".join(f"{k}={v}" for k, v in {"period": "all", **query}.items())


def _new_run(world, key: str | None = None) -> EvaluationRun:
    return EvaluationRun.objects.create(
        program=world.program,
        period=EvaluationRun.Period.ALL,
        request_key=key or runs.make_request_key(program=world.program, period="all"),
        parameters={"min_cell": MIN_CELL},
    )


def _computed(world, cohorts: int | None = None) -> tuple[EvaluationRun, dict, dict]:
    """A run computed (not stored) from the world's records; with ``cohorts``, its
    breakdown by cohort repeated under new codes (K000, K001, …) up to that many, as a
    program with that many cohorts would have."""
    run = _new_run(world)
    result, details = runs.compute(run)
    if cohorts is not None:
        real = details["by_cohort"]
        details["by_cohort"] = [
            {**real[i % len(real)], "group": f"K{i:03d}"} for i in range(cohorts)
        ]
    return run, result, details


def _stored(world, cohorts: int | None = None) -> EvaluationRun:
    """A run stored as the evaluation job stores it (``runs.store``)."""
    run, result, details = _computed(world, cohorts)
    runs.store(run_id=run.pk, result=result, parts=stored.split(result, details, min_cell=MIN_CELL))
    return EvaluationRun.objects.get(pk=run.pk)


def _stored_the_old_way(world) -> EvaluationRun:
    """A run as the job stored it before the split: every cohort inside ``details``,
    nothing for readers outside the organisation, no cohort rows."""
    run, result, details = _computed(world, cohorts=120)
    EvaluationRun.objects.filter(pk=run.pk).update(
        status=EvaluationRun.Status.DONE,
        result=result,
        details=details,
        progress=100,
        finished_at=timezone.now(),
    )
    return EvaluationRun.objects.get(pk=run.pk)


def _json(value):
    """As stored (JSON has lists, not tuples)."""
    return json.loads(json.dumps(value))


def _codes(response) -> list[str]:
    return [row["label"] for row in response.context["cohort_rows"]]


def test_the_job_stores_the_cohorts_apart_and_the_outside_copy_protect_gives(world):
    run = _new_run(world)
    result, details = _json(runs.compute(run))  # what the job computes, from the same records
    runs.execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.result == result
    assert "by_cohort" not in run.details
    assert run.details == {k: v for k, v in details.items() if k != "by_cohort"}
    internal = RunCohortRow.objects.filter(run=run, audience="internal").order_by("position")
    assert [r.data for r in internal] == details["by_cohort"]
    assert [r.position for r in internal] == [0, 1, 2]
    objects, shown = disclosure.protect(stored.period_objects(result), details, min_cell=MIN_CELL)
    assert run.external_objects == objects
    external_details = {k: v for k, v in shown.items() if k != "by_cohort"}
    assert run.external_details == external_details
    external = RunCohortRow.objects.filter(run=run, audience="external").order_by("position")
    assert [r.data for r in external] == shown["by_cohort"]
    # Something is hidden from outside readers, so the two copies differ.
    assert run.external_objects != stored.period_objects(result)
    # The downloads read exactly that, every cohort in order.
    assert report.shown(run, external=True) == (objects, shown)
    assert report.shown(run, external=False) == (stored.period_objects(result), details)


def test_a_page_of_cohorts_is_a_range_of_positions(world):
    run = _stored(world, cohorts=120)
    assert stored.cohort_count(run, external=False) == 120
    assert stored.cohort_count(run, external=True) == 120
    rows = stored.cohort_rows(run, external=False, start=50, stop=100)
    assert [r["group"] for r in rows] == [f"K{i:03d}" for i in range(50, 100)]
    assert len(stored.cohort_rows(run, external=True)) == 120


@pytest.mark.parametrize("role", ["coordinator", "evaluator"])
def test_the_report_pages_queries_do_not_grow_with_the_cohorts(
    world, role, request, client, django_assert_num_queries
):
    client.force_login(request.getfixturevalue(role))
    _stored(world)  # 3 cohorts
    # session, user, memberships; program; its last cohort (program years); active run;
    # latest done run (without the other audience's figures); cohort count (the last
    # position); the page's cohort rows; instrument names; savepoint, session update and
    # release (the idle timeout).
    with django_assert_num_queries(13):
        assert len(_codes(client.get(report_url(world)))) == 3
    _stored(world, cohorts=3000)  # finished later: the page shows it
    with django_assert_num_queries(13) as page:
        assert _codes(client.get(report_url(world, cohorts=2))) == [
            f"K{i:03d}" for i in range(50, 100)
        ]
    # Only the page's 50 cohorts are read, by their positions.
    (rows,) = [q["sql"] for q in page.captured_queries if 'runcohortrow"."data' in q["sql"]]
    assert re.search(r'"position" >= 50\b', rows) and re.search(r'"position" < 100\b', rows)


def test_page_two_shows_cohorts_51_to_100_and_the_last_page_the_rest(world, coordinator, client):
    _stored(world, cohorts=120)
    client.force_login(coordinator)
    second = client.get(report_url(world, cohorts=2))
    assert _codes(second) == [f"K{i:03d}" for i in range(50, 100)]
    assert "Cohorts 51–100 of 120" in second.content.decode()
    last = client.get(report_url(world, cohorts=3))
    assert _codes(last) == [f"K{i:03d}" for i in range(100, 120)]
    assert "Page 3 of 3" in last.content.decode()
    assert _codes(client.get(report_url(world, cohorts=99))) == _codes(last)


def test_the_evaluators_page_shows_the_cohorts_as_the_outside_downloads_do(
    world, evaluator, client
):
    run = _stored(world, cohorts=120)
    client.force_login(evaluator)
    response = client.get(report_url(world, cohorts=2))
    objects, details = report.shown(run, external=True)
    expected = [
        presenting._row(c, presenting.PARTICIPATION_COLUMNS, MIN_CELL, c["group"])
        for c in details["by_cohort"][50:100]
    ]
    assert response.context["cohort_rows"] == expected
    # Some of those cohorts are hidden from outside readers, not from the organisation.
    assert any(cell["suppressed"] for row in expected for cell in row["cells"])
    internal = report.shown(run, external=False)[1]["by_cohort"][50:100]
    assert expected != [
        presenting._row(c, presenting.PARTICIPATION_COLUMNS, MIN_CELL, c["group"]) for c in internal
    ]
    period_rows = [
        presenting._row(o, presenting.PARTICIPATION_COLUMNS, MIN_CELL, presenting.period_label(o))
        for o in objects
    ]
    assert [r["cells"] for r in response.context["participation_rows"]] == [
        r["cells"] for r in period_rows
    ]


def test_a_run_stored_the_old_way_is_split_by_the_migration_and_still_renders(
    world, coordinator, evaluator, client
):
    old = _stored_the_old_way(world)
    details = old.details
    client.force_login(evaluator)
    before = client.get(report_url(world, cohorts=2)).context["cohort_rows"]
    assert len(before) == 50  # read the old way: suppressed when asked

    split_migration.split_stored_runs(apps, None)

    run = EvaluationRun.objects.get(pk=old.pk)
    assert "by_cohort" not in run.details
    assert RunCohortRow.objects.filter(run=run, audience="internal").count() == 120
    parts = stored.split(old.result, details, min_cell=MIN_CELL)
    assert run.external_objects == parts.external_objects
    assert run.external_details == parts.external_details
    assert report.shown(run, external=False)[1]["by_cohort"] == details["by_cohort"]
    with CaptureQueriesContext(connection) as evaluator_page:
        response = client.get(report_url(world, cohorts=2))
    assert response.context["cohort_rows"] == before
    assert "RunCohortRow".lower() in " ".join(q["sql"].lower() for q in evaluator_page)
    client.force_login(coordinator)
    response = client.get(report_url(world, cohorts=2))
    assert _codes(response) == [f"K{i:03d}" for i in range(50, 100)]

    # And back: the earlier layout, exactly as it was.
    split_migration.join_stored_runs(apps, None)
    run = EvaluationRun.objects.get(pk=old.pk)
    assert run.details == details and run.external_objects is None
    assert not RunCohortRow.objects.filter(run=run).exists()


def test_a_run_stored_the_old_way_later_still_shows_evaluators_the_suppressed_copy(
    world, evaluator, client
):
    """A worker still running the earlier code during an upgrade stores a run the old
    way after the migration ran: it is split when read, never shown unsuppressed."""
    old = _stored_the_old_way(world)
    client.force_login(evaluator)
    response = client.get(report_url(world))
    objects, details = disclosure.protect(
        stored.period_objects(old.result), old.details, min_cell=MIN_CELL
    )
    assert response.context["cohort_rows"] == [
        presenting._row(c, presenting.PARTICIPATION_COLUMNS, MIN_CELL, c["group"])
        for c in details["by_cohort"][:50]
    ]
    assert report.shown(old, external=True) == (objects, details)


def test_the_migration_leaves_runs_that_are_not_done_alone(world):
    """Queued or failed runs have nothing to split."""
    queued = _new_run(world, key="queued")
    failed = _new_run(world, key="failed")
    EvaluationRun.objects.filter(pk=failed.pk).update(
        status=EvaluationRun.Status.FAILED, finished_at=timezone.now() - timedelta(minutes=1)
    )
    split_migration.split_stored_runs(apps, None)
    for run in (queued, failed):
        run.refresh_from_db()
        assert run.external_objects is None and run.details is None
