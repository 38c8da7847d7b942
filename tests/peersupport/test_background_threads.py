"""Without Redis, background work runs in threads of the web process, never in a request.

Each job here waits on an ``Event`` that the test sets only after the web request has
answered: the request cannot have waited for the job, and the job's state then moves
on to done on its own. Transactional tests: a thread sees only committed rows.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import transaction
from django.urls import reverse

from evaluation import figures, runs
from evaluation.models import EvaluationRun
from exports import services as export_services
from importer import jobs as import_jobs
from importer import services as import_services
from importer import views as import_views
from peersupport import tasking
from peersupport.models import Job
from sessions.models import Attendance
from tests.evaluation.figures_data import build as build_evaluation
from tests.exports.test_export_data import build as build_export
from tests.importer.import_bundles import VALID
from tests.importer.test_import_views import token_of, upload

pytestmark = pytest.mark.django_db(transaction=True)

#: Long enough for any job here on a loaded machine; the test fails if it is reached.
PATIENCE = 60


@pytest.fixture(autouse=True)
def threads(settings):
    settings.BACKGROUND_THREADS = 1
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the embedded default: no broker
    settings.FOREGROUND_WAIT_SECONDS = 0.2
    settings.MIN_CELL = 3


class Gate:
    """Holds a job at its entry until the test opens it: while it waits, the job's thread
    touches nothing, so the test may read the database (SQLite's shared in-memory test
    database refuses two connections that write at once)."""

    def __init__(self):
        self.opened, self.started = threading.Event(), threading.Event()

    def release(self):
        """Let the job run and wait for every background job to end."""
        self.opened.set()
        assert tasking.wait_idle(PATIENCE), "a background job never ended"


@pytest.fixture
def hold(monkeypatch):
    """``hold(module, name)`` makes ``module.name`` wait for its gate before it runs."""
    gates = []

    def holding(module, name):
        original, gate = getattr(module, name), Gate()

        def held(*args, **kwargs):
            gate.started.set()
            assert gate.opened.wait(PATIENCE), "the test never opened the gate"
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, held)
        gates.append(gate)
        return gate

    yield holding
    for gate in gates:  # never leave a thread waiting
        gate.opened.set()
    tasking.wait_idle(PATIENCE)


def run_status(pk):
    return EvaluationRun.objects.get(pk=pk).status


def test_a_run_requested_without_a_broker_is_computed_after_the_request_returned(
    org, coordinator, client_for, hold
):
    world = build_evaluation(org)
    gate = hold(runs, "execute")
    response = client_for(coordinator).post(
        reverse("evaluation:run_request", args=[world.program.pk]), {"period": "all"}
    )
    assert response.status_code == 302
    assert gate.started.wait(PATIENCE)  # the job has begun, in a thread of its own …
    run = EvaluationRun.objects.get()
    assert run.status == "queued" and run.task_id  # … and the request did not wait for it
    gate.release()
    run.refresh_from_db()
    assert run.status == "done" and run.progress == 100
    assert run.result == figures.report_all_years(world.program, min_cell=3)


def test_compute_now_hands_the_run_to_a_thread_and_shows_its_progress(
    org, coordinator, client_for, hold, monkeypatch
):
    world = build_evaluation(org)
    monkeypatch.setattr(runs, "enqueue", lambda *a, **k: None)  # the broker is down
    asked = runs.request_run(program=world.program, period="all", by=coordinator)
    assert not asked.queued
    gate = hold(runs, "execute")
    client = client_for(coordinator)
    began = time.monotonic()
    response = client.post(reverse("evaluation:run_now", args=[asked.run.pk]), follow=True)
    assert time.monotonic() - began < 10
    assert response.status_code == 200
    assert "being computed here" in response.content.decode()
    assert run_status(asked.run.pk) == "queued"
    # The page follows the run instead of offering to compute it a second time.
    assert "compute-now" not in response.content.decode()
    gate.release()
    assert run_status(asked.run.pk) == "done"


def test_an_export_built_here_is_built_by_a_thread_and_its_page_gives_the_link(
    org, coordinator, evaluator, client_for, hold, monkeypatch
):
    from exports import views as export_views

    w = build_export(org, coordinator)
    monkeypatch.setattr(export_views, "enqueue", lambda *a, **k: None)  # the broker is down
    gate = hold(export_services, "run_job")
    client = client_for(evaluator)
    form = {
        "kind": "dataset", "format": "xlsx", "part": "data", "values": "coded",
        "dates": "none", "period": "all", "audience": "external", "foreground": "1",
    }  # fmt: skip
    response = client.post(reverse("exports:download", args=[w.program.pk]), form)
    assert response.status_code == 302 and "/exports/jobs/" in response.url
    assert gate.started.wait(PATIENCE)
    job = Job.objects.get(kind="export")
    assert job.state == "queued"
    assert client.get(response.url).context["link"] is None
    gate.release()
    assert Job.objects.get(pk=job.pk).state == "done"
    page = client.get(response.url)
    assert client.get(page.context["link"]).status_code == 200


def test_a_large_import_is_checked_and_saved_by_a_thread(
    coordinator, client_for, hold, monkeypatch
):
    monkeypatch.setattr(import_jobs, "FOREGROUND_MAX_BYTES", 0)  # every bundle is "large"
    client = client_for(coordinator)
    check = hold(import_services, "check_stored_upload")
    token = token_of(upload(client, VALID))  # queued to the thread (the embedded default)
    assert import_jobs.get_job(token).state == "uploaded"
    check.release()
    assert import_jobs.get_job(token).state == "checked"
    save = hold(import_services, "run_stored_import")
    response = client.post(reverse("importer:confirm", args=[token]))
    assert response.status_code == 302
    assert save.started.wait(PATIENCE)
    assert import_jobs.get_job(token).state == "queued"
    assert Attendance.objects.count() == 0
    save.release()
    assert import_jobs.get_job(token).state == "done"
    assert Attendance.objects.count() == 3


def test_an_import_with_the_broker_down_runs_in_a_thread_not_the_request(
    coordinator, client_for, hold, monkeypatch
):
    monkeypatch.setattr(import_jobs, "FOREGROUND_MAX_BYTES", 0)
    monkeypatch.setattr(import_views, "enqueue", lambda *a, **k: None)
    client = client_for(coordinator)
    check = hold(import_services, "check_stored_upload")
    token = token_of(upload(client, VALID))  # checked here: the worker could not be reached
    check.release()
    assert import_jobs.get_job(token).state == "checked"
    save = hold(import_services, "run_stored_import")
    response = client.post(reverse("importer:confirm", args=[token]), follow=True)
    assert "background worker could not be reached" in response.content.decode()
    assert Attendance.objects.count() == 0
    save.release()
    assert import_jobs.get_job(token).state == "done"
    assert Attendance.objects.count() == 3


def test_run_in_background_waits_no_longer_than_asked_and_survives_a_failing_job():
    gate = threading.Event()
    began = time.monotonic()
    held = tasking.run_in_background(gate.wait, PATIENCE, wait=0.2)
    assert time.monotonic() - began < 5 and not held.done()
    gate.set()
    assert held.result(PATIENCE) is True

    def fails():
        raise RuntimeError("boom")

    failed = tasking.run_in_background(fails, wait=PATIENCE)
    assert isinstance(failed.exception(PATIENCE), RuntimeError)
    # The thread lives on: the next job runs.
    assert tasking.run_in_background(lambda: 42, wait=PATIENCE).result(PATIENCE) == 42


def test_a_job_waits_for_the_transaction_that_queued_it(org):
    seen = []
    with transaction.atomic():
        future = tasking.run_in_background(lambda: seen.append(True), wait=0.3)
        assert not future.done() and seen == []  # not started before the commit
    future.result(PATIENCE)
    assert seen == [True]


def test_foreground_waits_are_capped_whatever_the_setting(settings, monkeypatch):
    assert tasking.MAX_WAIT_SECONDS == 10
    monkeypatch.setattr(tasking, "MAX_WAIT_SECONDS", 0.5)
    settings.FOREGROUND_WAIT_SECONDS = 3600
    gate = threading.Event()
    began = time.monotonic()
    held = tasking.run_in_background(gate.wait, PATIENCE, wait=3600)
    waited = time.monotonic() - began
    gate.set()
    held.result(PATIENCE)
    assert 0.4 < waited < 5


def test_a_process_that_ends_finishes_its_jobs_first(tmp_path):
    """A management command (or a stopping web worker) that queued a job without a broker
    does not take it down with it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    done = tmp_path / "done"
    script = (
        "import django, os, time\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'peersupport.settings_test'\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        "settings.BACKGROUND_THREADS = 1\n"
        "from peersupport import tasking\n"
        "def job():\n"
        "    time.sleep(1)\n"
        f"    open({str(done)!r}, 'w').write('yes')\n"
        "tasking.run_in_background(job)\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DATABASE_URL": "sqlite://:memory:"}  # whatever the suite runs on
    subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], cwd=root, env=env, check=True, timeout=PATIENCE
    )
    assert done.read_text() == "yes"
