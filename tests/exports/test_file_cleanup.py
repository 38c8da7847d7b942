"""Files that hold participants' data do not outlive their use: the hourly clean-up jobs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from exports import files as export_files
from exports import tasks as export_tasks
from importer import jobs
from importer import tasks as import_tasks
from peersupport.jobs import job_create
from peersupport.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def lifetimes(settings):
    settings.IMPORT_UPLOAD_HOURS = 24
    settings.EXPORT_LINK_HOURS = 24


def an_upload(org, *, hours_ago: float, state: str) -> Job:
    when = timezone.now() - timedelta(hours=hours_ago)
    job = job_create(kind=Job.Kind.IMPORT, organisation_id=org.pk, user_id=None, state=state)
    Job.objects.filter(pk=job.pk).update(created_at=when, updated_at=when)
    default_storage.save(jobs.zip_name(job), ContentFile(b"PK names and birth years"))
    return job


def an_export(org, *, hours_ago: float) -> Job:
    when = timezone.now() - timedelta(hours=hours_ago)
    job = job_create(
        kind=Job.Kind.EXPORT,
        organisation_id=org.pk,
        user_id=None,
        state="done",
        params={"format": "csv"},
    )
    Job.objects.filter(pk=job.pk).update(created_at=when, updated_at=when)
    default_storage.save(export_files.file_name(job), ContentFile(b"pseudonym,cohort\n"))
    return job


def gone(job: Job, name: str) -> bool:
    return not Job.objects.filter(pk=job.pk).exists() and not default_storage.exists(name)


def test_the_hourly_jobs_remove_old_uploads_and_expired_exports_only(org):
    old_checked = an_upload(org, hours_ago=25, state="checked")
    old_failed = an_upload(org, hours_ago=30, state="failed")
    running = an_upload(org, hours_ago=25, state="running")
    Job.objects.filter(pk=running.pk).update(updated_at=timezone.now())  # still alive
    recent = an_upload(org, hours_ago=2, state="checked")
    old_export = an_export(org, hours_ago=25)
    recent_export = an_export(org, hours_ago=1)

    assert import_tasks.remove_stale_uploads.delay().get() == 2
    assert export_tasks.remove_expired_files.delay().get() == 1

    assert gone(old_checked, jobs.zip_name(old_checked))
    assert gone(old_failed, jobs.zip_name(old_failed))
    assert default_storage.exists(jobs.zip_name(running))
    assert jobs.get_job(recent.token).state == "checked"
    assert default_storage.exists(jobs.zip_name(recent))
    assert gone(old_export, export_files.file_name(old_export))
    assert default_storage.exists(export_files.file_name(recent_export))


def test_a_running_upload_whose_worker_died_is_cleaned_up_too(org, settings):
    settings.JOB_STALE_MINUTES = 10
    dead = an_upload(org, hours_ago=25, state="running")  # no progress for 25 hours

    assert import_tasks.remove_stale_uploads.delay().get() == 1
    assert gone(dead, jobs.zip_name(dead))


def test_a_new_upload_clears_stale_ones_first(org, coordinator):
    old = an_upload(org, hours_ago=25, state="checked")

    job = jobs.store_upload(
        SimpleUploadedFile("bundle.zip", b"PK"), organisation=org, user=coordinator
    )

    assert gone(old, jobs.zip_name(old))
    assert jobs.get_job(job.token).state == "uploaded"
    assert default_storage.open(jobs.zip_name(job)).read() == b"PK"


def test_the_clean_up_jobs_are_in_the_beat_schedule():
    from peersupport.celery import app

    app.loader.import_default_modules()  # what a worker does at start: every app's tasks
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"exports.tasks.remove_expired_files", "importer.tasks.remove_stale_uploads"} <= tasks
    assert set(app.tasks) >= tasks
