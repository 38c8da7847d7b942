"""Files that hold participants' data do not outlive their use: the hourly clean-up job."""

from __future__ import annotations

import time

import pytest

from exports import files as export_files
from exports import tasks as export_tasks
from importer import jobs
from importer import tasks as import_tasks

HOUR = 3600


@pytest.fixture(autouse=True)
def roots(settings, tmp_path):
    settings.IMPORT_ROOT = str(tmp_path / "imports")
    settings.EXPORT_ROOT = tmp_path / "exports"
    settings.IMPORT_UPLOAD_HOURS = 24
    settings.EXPORT_LINK_HOURS = 24


def an_upload(token: str, *, hours_ago: float, state: str) -> None:
    jobs.zip_path(token).write_bytes(b"PK names and birth years")
    jobs.write_status(token, state=state, created=time.time() - hours_ago * HOUR)


def an_export(token: str, *, hours_ago: float) -> None:
    export_files.file_path(token, "csv").write_text("pseudonym,cohort\n")
    export_files.write_status(token, state="done", created=time.time() - hours_ago * HOUR)


def test_the_hourly_job_removes_old_uploads_and_expired_exports_only():
    an_upload("old-checked-upload-000000", hours_ago=25, state="checked")
    an_upload("old-failed-upload-0000000", hours_ago=30, state="failed")
    an_upload("old-but-running-upload-00", hours_ago=25, state="running")
    an_upload("recent-checked-upload-000", hours_ago=2, state="checked")
    an_export("old-export-file-000000000", hours_ago=25)
    an_export("recent-export-file-000000", hours_ago=1)

    assert import_tasks.remove_stale_uploads.delay().get() == 2
    assert export_tasks.remove_expired_files.delay().get() == 1

    assert not jobs.zip_path("old-checked-upload-000000").exists()
    assert jobs.read_status("old-checked-upload-000000") is None
    assert jobs.read_status("old-failed-upload-0000000") is None
    assert jobs.zip_path("old-but-running-upload-00").exists()
    assert jobs.zip_path("recent-checked-upload-000").exists()
    assert jobs.read_status("recent-checked-upload-000")["state"] == "checked"
    assert not export_files.file_path("old-export-file-000000000", "csv").exists()
    assert export_files.file_path("recent-export-file-000000", "csv").exists()


def test_a_new_upload_clears_stale_ones_first(org, coordinator):
    from django.core.files.uploadedfile import SimpleUploadedFile

    an_upload("old-checked-upload-000000", hours_ago=25, state="checked")

    token = jobs.store_upload(
        SimpleUploadedFile("bundle.zip", b"PK"), organisation=org, user=coordinator
    )

    assert jobs.read_status("old-checked-upload-000000") is None
    assert jobs.read_status(token)["state"] == "uploaded"


def test_the_clean_up_jobs_are_in_the_beat_schedule():
    from peersupport.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"exports.tasks.remove_expired_files", "importer.tasks.remove_stale_uploads"} <= tasks
    assert set(app.tasks) >= tasks
