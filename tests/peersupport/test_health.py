"""/healthz: no sign-in, no session, no data; says what is degraded; 503 only without
the database."""

from __future__ import annotations

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.db.utils import OperationalError
from django.utils import timezone

from peersupport import health
from peersupport.celery import _first_heartbeat
from peersupport.models import WorkerHeartbeat
from peersupport.tasks import heartbeat
from tests.netfixtures import dead_url, hanging_server

pytestmark = pytest.mark.django_db


def test_without_redis_everything_is_in_process_and_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["status"] == "ok" and body["degraded"] == []
    assert body["database"] == "ok" and body["broker"] == "in-process"
    assert "Set-Cookie" not in response.headers and not response.cookies


def test_it_answers_any_host_and_plain_http(client, settings):
    """The container's own check calls http://127.0.0.1:8000/healthz, whatever the
    public host name and even though the site redirects to HTTPS."""
    settings.ALLOWED_HOSTS = ["peers.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz", HTTP_HOST="127.0.0.1:8000").status_code == 200
    assert client.get("/accounts/login/", HTTP_HOST="127.0.0.1:8000").status_code == 400


def test_only_reads(client):
    assert client.post("/healthz").status_code == 405


def test_a_dead_broker_is_degraded_not_down(client, settings):
    settings.REDIS_URL = dead_url()
    started = time.monotonic()
    response = client.get("/healthz/")
    assert time.monotonic() - started < 3
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "degraded" and body["broker"] == "down"
    assert set(body["degraded"]) == {"broker", "worker"}
    assert body["worker"] == {"status": "none", "heartbeat_age_seconds": None}


def test_a_hanging_broker_answers_within_seconds(client, settings):
    with hanging_server() as url:
        settings.REDIS_URL = url
        started = time.monotonic()
        body = client.get("/healthz").json()
        assert time.monotonic() - started < 3
    assert body["broker"] == "down"


def test_the_heartbeat_age_is_reported_and_old_ones_are_degraded(client, settings):
    settings.REDIS_URL = dead_url()
    settings.HEARTBEAT_MAX_AGE_SECONDS = 300
    heartbeat.apply()  # the beat job, as a worker runs it
    worker = client.get("/healthz").json()["worker"]
    assert worker["status"] == "ok" and worker["heartbeat_age_seconds"] <= 2

    WorkerHeartbeat.objects.update(at=timezone.now() - timedelta(minutes=6))
    body = client.get("/healthz").json()
    assert body["worker"]["status"] == "stale"
    assert 355 <= body["worker"]["heartbeat_age_seconds"] <= 365
    assert "worker" in body["degraded"]


def test_a_starting_worker_writes_its_first_heartbeat_at_once():
    _first_heartbeat(sender=mock.Mock(hostname="celery@host-a"))
    _first_heartbeat(sender=mock.Mock(hostname="celery@host-a"))
    assert list(WorkerHeartbeat.objects.values_list("hostname", flat=True)) == ["celery@host-a"]
    with mock.patch.object(health, "beat", side_effect=OperationalError("no table")):
        _first_heartbeat(sender=None)  # logged, not raised: the worker still starts


def test_the_heartbeat_runs_every_minute_in_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["peersupport-worker-heartbeat"]
    assert entry["task"] == heartbeat.name and entry["schedule"] == 60.0


def test_without_the_database_the_answer_is_503(client):
    with mock.patch.object(health, "check_database", return_value="down"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "down", "database": "down"}


def test_a_database_error_is_reported_as_down():
    with mock.patch.object(health.connection, "cursor", side_effect=OperationalError("gone")):
        assert health.check_database() == "down"


@pytest.mark.services
def test_a_live_broker_is_ok(client, settings):
    import os

    import redis

    from tests.availability import require

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        up = bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.exceptions.RedisError:
        up = False
    require(up, f"Redis is not reachable at {url}")
    settings.REDIS_URL = url
    heartbeat.apply()
    body = client.get("/healthz").json()
    assert body["broker"] == "ok" and body["status"] == "ok", body
