"""An object store that refuses connections: every page says so in words, never a 500,
and nothing is half-kept."""

from __future__ import annotations

import io
import socket
import zipfile

import pytest
from botocore.config import Config
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from exports import services
from exports import views as export_views
from peersupport.models import Job
from tests.exports.test_export_data import build
from tests.exports.test_export_jobs import FORM
from tests.importer.import_bundles import VALID

pytestmark = pytest.mark.django_db


def _dead_port() -> int:
    """A local port nothing listens on (connections are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def take_the_store_down(settings) -> None:
    """From now on the default storage is an S3 endpoint that refuses connections."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "peersupport",
                "endpoint_url": f"http://127.0.0.1:{_dead_port()}",
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "client_config": Config(
                    connect_timeout=1, read_timeout=1, retries={"max_attempts": 1}
                ),
            },
        },
    }


@pytest.fixture
def store_down(settings):
    take_the_store_down(settings)


@pytest.fixture
def queued_export(org, coordinator, evaluator, client_for, monkeypatch, settings):
    settings.MIN_CELL = 5
    w = build(org, coordinator)
    monkeypatch.setattr(export_views, "enqueue", lambda *a, **k: "task-id")
    client = client_for(evaluator)
    client.post(reverse("exports:download", args=[w.program.pk]), FORM)
    return client, Job.objects.get(kind="export")


def test_an_upload_while_the_store_is_down_says_so_and_keeps_nothing(
    client_for, coordinator, store_down
):
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for name, content in VALID.items():
            archive.writestr(name, content)
    bundle = SimpleUploadedFile("bundle.zip", data.getvalue(), content_type="application/zip")

    response = client_for(coordinator).post(reverse("importer:upload"), {"bundle": bundle})

    assert response.status_code == 200
    assert b"The file store cannot be reached right now" in response.content
    assert not Job.objects.exists()


def test_an_export_built_while_the_store_is_down_fails_in_words(queued_export, settings):
    client, job = queued_export
    take_the_store_down(settings)

    assert services.run_job(job.token).state == "failed"
    page = client.get(reverse("exports:status", args=[job.token]))
    assert page.status_code == 200 and b"could not be built" in page.content


def test_a_download_while_the_store_is_down_answers_503_in_words(queued_export, settings):
    client, job = queued_export
    services.run_job(job.token)  # built into the working store
    link = client.get(reverse("exports:status", args=[job.token])).context["link"]
    take_the_store_down(settings)

    response = client.get(link)

    assert response.status_code == 503
    assert b"The file store cannot be reached right now" in response.content
