"""Evaluation runs: requesting (idempotent), computing, failing, retrying, the nightly job."""

from datetime import date, timedelta
from unittest import mock

import pytest
from django.db import OperationalError
from django.utils import timezone

from evaluation import runs, tasks
from evaluation.models import EvaluationRun
from peersupport.models import AuditEntry
from tests.evaluation.figures_data import build
from tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org, settings):
    settings.MIN_CELL = 3
    return build(org)


def test_a_requested_run_is_computed_and_stores_the_spec_json(world, coordinator):
    asked = runs.request_run(program=world.program, period="year", year=1, by=coordinator)
    run = asked.run
    assert asked.created and asked.queued
    assert run.status == "done" and run.progress == 100
    assert run.requested_by == coordinator and run.task_id
    assert run.started_at and run.finished_at
    assert run.result["enrollments"] == 6 and run.result["year"] == 1
    assert set(run.details) == {
        "by_module", "by_group", "intervals", "versions", "consent_left_out"
    }  # fmt: skip
    # The breakdown by cohort is stored apart, a row per cohort and audience.
    assert [(r.audience, r.position, r.data["group"]) for r in run.cohort_rows.all()] == [
        ("external", 0, "C1"), ("external", 1, "C2"),
        ("internal", 0, "C1"), ("internal", 1, "C2"),
    ]  # fmt: skip
    assert run.external_objects and run.external_details is not None


def test_the_stored_result_is_exactly_the_command_json(world):
    from evaluation import figures

    run = runs.request_run(program=world.program, period="all").run
    assert run.result == figures.report_all_years(world.program)


def test_the_same_request_while_one_is_queued_joins_it(world, coordinator):
    with mock.patch("evaluation.runs.enqueue", return_value="task-1") as enqueue:
        first = runs.request_run(program=world.program, period="year", year=1, by=coordinator)
        second = runs.request_run(program=world.program, period="year", year=1, by=coordinator)
    assert first.created and not second.created
    assert second.run.pk == first.run.pk
    assert enqueue.call_count == 1
    assert EvaluationRun.objects.count() == 1


def test_a_different_period_is_a_different_run(world):
    with mock.patch("evaluation.runs.enqueue", return_value="t"):
        a = runs.request_run(program=world.program, period="year", year=1)
        b = runs.request_run(program=world.program, period="year", year=2)
    assert a.run.pk != b.run.pk


def test_broker_down_keeps_the_run_queued_and_compute_now_finishes_it(world, coordinator):
    with mock.patch("evaluation.runs.enqueue", return_value=None):
        asked = runs.request_run(program=world.program, period="all", by=coordinator)
    assert not asked.queued
    assert asked.run.status == "queued" and asked.run.task_id == ""
    run = runs.run_now(run=asked.run, by=coordinator)
    assert run.status == "done"
    assert run.result["total"]["enrollments"] == 8


def test_asking_again_after_the_broker_was_down_queues_the_waiting_run(world):
    with mock.patch("evaluation.runs.enqueue", return_value=None):
        first = runs.request_run(program=world.program, period="all")
    again = runs.request_run(program=world.program, period="all")
    assert again.run.pk == first.run.pk and again.queued
    assert again.run.status == "done"


def test_a_finished_run_is_left_alone_when_its_job_is_delivered_again(world):
    run = runs.request_run(program=world.program, period="year", year=1).run
    finished = run.finished_at
    assert runs.execute(run_id=run.pk) is None
    run.refresh_from_db()
    assert run.finished_at == finished


def test_a_transient_database_error_is_retried_and_the_run_waits(world):
    run = EvaluationRun.objects.create(program=world.program, period="all", request_key="k")
    with (
        mock.patch("evaluation.runs.compute", side_effect=OperationalError("gone")),
        pytest.raises(OperationalError),
    ):
        runs.execute(run_id=run.pk, final_attempt=False)
    run.refresh_from_db()
    assert run.status == "queued"
    assert runs.execute(run_id=run.pk).status == "done"


def test_the_task_retries_on_transient_database_errors():
    assert OperationalError in tasks.compute_evaluation_run.autoretry_for
    assert tasks.compute_evaluation_run.acks_late


def test_an_error_marks_the_run_failed_with_the_error(world):
    run = EvaluationRun.objects.create(program=world.program, period="all", request_key="k")
    with mock.patch("evaluation.runs.compute", side_effect=ValueError("broken")):
        result = runs.execute(run_id=run.pk)
    assert result.status == "failed"
    assert "ValueError: broken" in result.error and result.finished_at


def test_a_stale_run_no_longer_blocks_a_new_request(world):
    with mock.patch("evaluation.runs.enqueue", return_value="t"):
        old = runs.request_run(program=world.program, period="all").run
        EvaluationRun.objects.filter(pk=old.pk).update(
            created_at=timezone.now() - timedelta(days=1)
        )
        new = runs.request_run(program=world.program, period="all").run
    old.refresh_from_db()
    assert old.status == "failed" and new.pk != old.pk


def test_foreground_computation_is_audited(world, coordinator):
    with mock.patch("evaluation.runs.enqueue", return_value=None):
        run = runs.request_run(program=world.program, period="all").run
    runs.run_now(run=run, by=coordinator)
    assert AuditEntry.objects.filter(object_type="evaluation.EvaluationRun", actor=coordinator)


def test_nightly_job_requests_the_current_year_of_every_active_program(org):
    ProgramFactory(organisation=org, code="A", start_date=date(2020, 4, 1))
    ProgramFactory(organisation=org, code="B", start_date=date(2030, 1, 1))  # not started
    ProgramFactory(organisation=org, code="C", status="completed", start_date=date(2020, 1, 1))
    with mock.patch("evaluation.runs.enqueue", return_value="t"):
        asked = runs.recompute_current_years(today=date(2022, 5, 1))
    assert [(r.run.program.code, r.run.year) for r in asked] == [("A", 3)]


def test_the_nightly_job_is_in_the_beat_schedule():
    from peersupport.celery import app

    entry = app.conf.beat_schedule["evaluation-nightly-recompute"]
    assert entry["task"] == "evaluation.tasks.recompute_current_years"


def test_a_run_running_for_minutes_past_the_threshold_no_longer_blocks_a_request(world, settings):
    settings.EVALUATION_RUN_STALE_MINUTES = 15
    with mock.patch("evaluation.runs.enqueue", return_value="t"):
        old = runs.request_run(program=world.program, period="all").run
        EvaluationRun.objects.filter(pk=old.pk).update(
            status="running", started_at=timezone.now() - timedelta(minutes=10)
        )
        assert runs.request_run(program=world.program, period="all").run.pk == old.pk
        EvaluationRun.objects.filter(pk=old.pk).update(
            started_at=timezone.now() - timedelta(minutes=16)
        )
        new = runs.request_run(program=world.program, period="all").run
    old.refresh_from_db()
    assert old.status == "failed" and "given up" in old.error
    assert new.pk != old.pk and new.status == "queued"


def test_is_stale_counts_from_the_start_of_a_running_run(world, settings):
    settings.EVALUATION_RUN_STALE_MINUTES = 15
    now = timezone.now()
    run = EvaluationRun(status="queued", created_at=now - timedelta(minutes=16))
    assert runs.is_stale(run, now=now)
    run.status, run.started_at = "running", now - timedelta(minutes=1)
    assert not runs.is_stale(run, now=now)
    run.status = "done"
    assert not runs.is_stale(run, now=now)


def test_the_broker_gives_a_dead_workers_job_back_within_minutes(settings):
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert 60 <= options["visibility_timeout"] <= 15 * 60
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
