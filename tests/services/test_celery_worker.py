"""A real Celery worker on Redis computes an evaluation run; a dead broker fails fast.

Skipped when Redis is unreachable, unless REQUIRE_SERVICES=1 (then it fails).
"""

import os
import time
from contextlib import contextmanager
from unittest import mock

import pytest
from django.urls import reverse

from evaluation import runs
from evaluation.models import EvaluationRun
from peersupport.celery import app
from peersupport.tasking import enqueue
from tests.availability import require
from tests.evaluation.figures_data import build

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DEAD_BROKER = "redis://127.0.0.1:1/0"
SHORT = {"socket_timeout": 1, "socket_connect_timeout": 1, "max_retries": 0}

pytestmark = pytest.mark.services


def redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.exceptions.RedisError:
        return False


def _reset_pools():
    """Forget connection and producer pools made for the previous broker URL."""
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker(url: str):
    """The Celery app on ``url`` with real (not eager) task sending; restored afterwards."""
    keys = (
        "broker_url",
        "task_always_eager",
        "broker_transport_options",
        "broker_connection_timeout",
        "broker_connection_max_retries",
    )
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(
        broker_url=url,
        task_always_eager=False,
        broker_transport_options=SHORT,
        broker_connection_timeout=1,
        broker_connection_max_retries=0,
    )
    _reset_pools()
    try:
        yield
    finally:
        app.conf.update(saved)
        _reset_pools()


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_computes_a_requested_run(org, settings):
    require(redis_available(), f"Redis is not reachable at {REDIS_URL}")
    import redis
    from celery.contrib.testing.worker import start_worker

    redis.Redis.from_url(REDIS_URL).delete("celery")  # no leftovers from earlier runs
    settings.MIN_CELL = 3
    world = build(org)
    with broker(REDIS_URL), start_worker(app, perform_ping_check=False, shutdown_timeout=10):
        asked = runs.request_run(program=world.program, period="year", year=1)
        assert asked.queued
        deadline = time.monotonic() + 30
        run = asked.run
        while run.status in runs.ACTIVE and time.monotonic() < deadline:
            time.sleep(0.2)
            run.refresh_from_db()
    assert run.status == EvaluationRun.Status.DONE, run.error
    assert run.task_id
    assert run.result["enrollments"] == 6
    assert run.result["attendance_rate"] == pytest.approx(8 / 17)
    assert run.result["instruments"]["GSE"]["matched_n"] == 4


@pytest.mark.django_db
def test_an_unreachable_broker_returns_none_within_seconds(org):
    from evaluation.tasks import compute_evaluation_run

    with broker(DEAD_BROKER):
        started = time.monotonic()
        assert enqueue(compute_evaluation_run, 0, organisation=org) is None
        assert time.monotonic() - started < 5


@pytest.mark.django_db
def test_with_an_unreachable_broker_the_page_offers_foreground_computation(
    org, coordinator, client, settings
):
    settings.MIN_CELL = 3
    world = build(org)
    client.force_login(coordinator)
    with broker(DEAD_BROKER), mock.patch("evaluation.views.WAITING_TOO_LONG"):
        started = time.monotonic()
        response = client.post(
            reverse("evaluation:run_request", args=[world.program.pk]),
            {"period": "all"},
            follow=True,
        )
        assert time.monotonic() - started < 10
    page = response.content.decode()
    assert "cannot be reached" in page and "Compute now" in page
    run = EvaluationRun.objects.get()
    assert run.status == "queued" and not run.task_id
    client.post(reverse("evaluation:run_now", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == "done"
