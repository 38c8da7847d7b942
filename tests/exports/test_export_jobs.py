"""Export jobs live in the database and their files in storage, so the web host that
queues a job and the worker that builds it need share neither a disk nor a process."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
from django.urls import reverse
from django.utils import timezone
from moto import mock_aws

from exports import files, services, tasks
from exports import views as export_views
from peersupport.models import AuditEntry, Job
from tests.exports.test_export_data import build

FORM = {
    "kind": "dataset",
    "format": "xlsx",
    "part": "data",
    "values": "coded",
    "dates": "none",
    "period": "all",
    "audience": "external",
}
BUCKET = "peersupport-test"

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(org, coordinator, settings):
    settings.MIN_CELL = 5
    return build(org, coordinator)


@pytest.fixture
def queued(w, evaluator, client_for, monkeypatch):
    """An export the web host queued while no worker took it (the task is not run)."""
    monkeypatch.setattr(export_views, "enqueue", lambda *a, **k: "task-id")
    client = client_for(evaluator)
    response = client.post(reverse("exports:download", args=[w.program.pk]), FORM)
    assert response.status_code == 302
    return client, Job.objects.get(kind="export")


@pytest.fixture
def object_store(settings):
    """An S3-compatible store (moto) as the default storage."""
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": BUCKET,
                    "region_name": "us-east-1",
                    "access_key": "testing",
                    "secret_key": "testing",
                    "default_acl": "private",
                    "location": "peersupport",
                },
            },
        }
        yield boto3.client("s3", region_name="us-east-1")


def test_a_worker_builds_the_job_into_an_object_store_and_the_web_serves_it(
    queued, object_store, settings, tmp_path
):
    client, job = queued
    settings.MEDIA_ROOT = str(tmp_path / "worker-disk")  # nothing may land on a disk

    assert tasks.build_export.delay(job.token).get() == "done"

    keys = [o["Key"] for o in object_store.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == [f"peersupport/exports/{job.token}.xlsx"]
    assert not (tmp_path / "worker-disk").exists()
    page = client.get(reverse("exports:status", args=[job.token]))
    download = client.get(page.context["link"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content)[:2] == b"PK"


def test_the_job_and_its_progress_are_rows_every_host_reads(queued):
    client, job = queued
    assert (job.state, job.progress) == ("queued", 0)
    assert "pseudonym_key" in job.params["options"]

    services.run_job(job.token)

    job.refresh_from_db()
    assert (job.state, job.progress, job.result["filename"]) == ("done", 100, "exp_dataset.xlsx")
    assert job.params["options"]["pseudonym_key"] == "", "the key is forgotten once used"


def test_running_a_finished_job_again_builds_nothing(queued, monkeypatch):
    _client, job = queued
    services.run_job(job.token)
    monkeypatch.setattr(services, "build_file", lambda *a, **k: pytest.fail("built twice"))

    assert services.run_job(job.token).state == "done"


def test_downloading_the_file_is_audited(queued):
    client, job = queued
    services.run_job(job.token)
    page = client.get(reverse("exports:status", args=[job.token]))
    before = AuditEntry.objects.filter(action="export.download").count()

    client.get(page.context["link"])

    entry = AuditEntry.objects.filter(action="export.download").latest("created_at")
    assert AuditEntry.objects.filter(action="export.download").count() == before + 1
    assert entry.detail["export"]["job"] == job.token


def test_a_job_no_worker_took_up_is_offered_and_built_in_the_foreground(queued, settings):
    client, job = queued
    settings.JOB_STALE_MINUTES = 10
    status_url = reverse("exports:status", args=[job.token])
    assert b"Build it here now" not in client.get(status_url).content

    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=11))
    assert b"Build it here now" in client.get(status_url).content
    response = client.post(reverse("exports:build_here", args=[job.token]))

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == "done"


def test_a_job_still_waiting_its_turn_is_not_built_here(queued):
    client, job = queued

    client.post(reverse("exports:build_here", args=[job.token]))

    job.refresh_from_db()
    assert job.state == "queued"


def test_a_running_job_whose_worker_died_can_be_claimed_again(queued, settings):
    _client, job = queued
    settings.JOB_STALE_MINUTES = 10
    Job.objects.filter(pk=job.pk).update(
        state="running", updated_at=timezone.now() - timedelta(minutes=30)
    )

    assert services.run_job(job.token).state == "done"


def test_a_link_to_a_job_whose_file_is_gone_says_expired(queued):
    client, job = queued
    services.run_job(job.token)
    link = client.get(reverse("exports:status", args=[job.token])).context["link"]
    files.remove_expired(now=timezone.now() + timedelta(hours=48))

    assert client.get(link).status_code in (404, 410)


@pytest.fixture
def dead_broker():
    """Celery sending for real (not in-process) to a port where nothing listens."""
    from peersupport.celery import app
    from tests.netfixtures import dead_url

    keys = ("broker_url", "task_always_eager", "broker_connection_timeout")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(broker_url=dead_url(), task_always_eager=False, broker_connection_timeout=1)
    app._pool = None
    app.amqp._producer_pool = None
    yield
    app.conf.update(saved)
    app._pool = None
    app.amqp._producer_pool = None


def test_a_job_the_broker_refused_fails_fast_and_can_be_built_here(
    w, evaluator, client_for, dead_broker
):
    import time

    client = client_for(evaluator)
    started = time.monotonic()
    response = client.post(reverse("exports:download", args=[w.program.pk]), FORM)
    assert time.monotonic() - started < 10
    assert response.status_code == 503
    job = Job.objects.get(kind="export")
    assert job.state == "failed" and job.error == "queue"
    assert AuditEntry.objects.filter(action="job.queue_failed").exists()

    client.post(reverse("exports:build_here", args=[job.token]))

    job.refresh_from_db()
    assert job.state == "done"
    link = client.get(reverse("exports:status", args=[job.token])).context["link"]
    assert client.get(link).status_code == 200


def test_a_job_lost_in_a_broker_restart_is_offered_here_once_stale(queued, settings):
    """The message was queued, then the broker restarted without it: the job row still
    says queued, and after JOB_STALE_MINUTES the page offers to build it here."""
    client, job = queued
    settings.JOB_STALE_MINUTES = 10
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=11))
    page = client.get(reverse("exports:status", args=[job.token]))
    assert page.context["stale"] and b"Build it here now" in page.content
    client.post(reverse("exports:build_here", args=[job.token]))
    job.refresh_from_db()
    assert job.state == "done"
    # The lost message turning up after all builds nothing twice.
    assert tasks.build_export(job.token) == "done"
