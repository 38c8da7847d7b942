"""Uploaded bundles waiting for confirmation: the job (a ``peersupport.Job`` row) and the
stored .zip.

An upload is stored as ``imports/<token>.zip`` (through the storage API, so the worker
that imports it need not share a disk with the web host that received it); its job holds
the organisation and user it belongs to, its state (``uploaded`` → ``checked`` →
``queued``/``confirmed`` → ``running`` → ``done``/``failed``, or ``rejected``), a
``progress`` percentage and the report. The token is random and is checked against the
organisation on every use.

An upload holds identifying values (preferred names, birth years): its .zip is deleted
as soon as it is imported or rejected, and an upload nobody confirms is deleted with its
job after ``IMPORT_UPLOAD_HOURS`` (by the hourly clean-up job, and before each new
upload).
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings

from peersupport import storage
from peersupport.jobs import job_create, job_get, job_progress, jobs_older_than
from peersupport.models import Job

from .spec import ORDER

#: Bundles up to this size are imported during the request; larger ones by a worker.
FOREGROUND_MAX_BYTES = getattr(settings, "IMPORT_FOREGROUND_MAX_BYTES", 2 * 1024 * 1024)
MAX_UPLOAD_BYTES = getattr(settings, "IMPORT_MAX_UPLOAD_BYTES", 500 * 1024 * 1024)


def upload_hours() -> int:
    return getattr(settings, "IMPORT_UPLOAD_HOURS", 24)


class UploadTooLarge(Exception):
    pass


def zip_name(job: Job) -> str:
    """Where the upload is stored."""
    return f"imports/{job.token}.zip"


def store_upload(uploaded, *, organisation, user) -> Job:
    """Save an uploaded .zip under a random name; its job. Raises ``UploadTooLarge`` or
    ``storage.StorageUnavailable`` (nothing is kept either way)."""
    remove_stale()
    job = job_create(
        kind=Job.Kind.IMPORT,
        organisation_id=organisation.pk,
        user_id=user.pk,
        state=Job.State.UPLOADED,
    )
    try:
        size = storage.save_upload(zip_name(job), uploaded.chunks(), max_bytes=MAX_UPLOAD_BYTES)
    except storage.StorageUnavailable:
        job.delete()
        raise
    if size is None:
        job.delete()
        raise UploadTooLarge
    job.params = {"size": size}
    job.save(update_fields=["params"])
    return job


def get_job(token: str) -> Job | None:
    return job_get(token, kind=Job.Kind.IMPORT)


def discard_zip(job: Job) -> None:
    storage.delete(zip_name(job))


def remove_stale(now=None) -> int:
    """Delete uploads (the .zip and the job) older than ``upload_hours()``, except one
    being imported right now; how many were removed."""
    removed = 0
    for job in jobs_older_than(kind=Job.Kind.IMPORT, age=timedelta(hours=upload_hours()), now=now):
        discard_zip(job)
        job.delete()
        removed += 1
    return removed


class ProgressWriter:
    """A progress callback that writes the percentage to the job, at most twice a second.

    Checking counts for the first 40 %, saving for the rest (by files, then rows).
    """

    def __init__(self, job: Job, *, files: list[str]):
        self.job = job
        self.files = [f for f in ORDER if f in files] or ORDER
        self.last = 0.0

    def __call__(self, phase: str, name: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self.last < 0.5:
            return
        self.last = now
        index = self.files.index(name) if name in self.files else 0
        share = 1 / len(self.files)
        within = (done / total) if total else 0.5
        if phase == "check":
            percent = 40 * (index + within) * share
        else:
            percent = 40 + 60 * (index + within) * share
        job_progress(self.job, min(99, int(percent)), phase=phase, file=name)
