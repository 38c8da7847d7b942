"""Export jobs: their state (a ``peersupport.Job`` row), their file (in storage) and
expiring download links.

The job records who asked (organisation and user), what (the export's description and
options, never identifying values), its state (``queued`` → ``running`` →
``done``/``failed``) and progress. The file is stored as ``exports/<token>.<ext>``. The
download link carries the token signed with a timestamp and stops working after
``EXPORT_LINK_HOURS``; expired jobs and their files are removed by the hourly clean-up
job (``exports.tasks.remove_expired_files``) and when the next job starts.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core import signing

from peersupport import storage
from peersupport.jobs import job_create, job_get, jobs_older_than
from peersupport.models import Job

SIGNER_SALT = "exports.download"
logger = logging.getLogger(__name__)


def link_hours() -> int:
    return getattr(settings, "EXPORT_LINK_HOURS", 24)


def file_name(job: Job) -> str:
    """Where the job's file is stored."""
    return f"exports/{job.token}.{job.params['format']}"


def new_job(*, organisation_id: int, user_id: int, **params) -> Job:
    try:
        remove_expired()
    except storage.StorageUnavailable:  # the hourly job will remove them
        logger.warning("Expired export files could not be removed: the file store is down")
    return job_create(
        kind=Job.Kind.EXPORT,
        organisation_id=organisation_id,
        user_id=user_id,
        state=Job.State.QUEUED,
        params=params,
    )


def get_job(token: str) -> Job | None:
    return job_get(token, kind=Job.Kind.EXPORT)


def sign(token: str) -> str:
    return signing.TimestampSigner(salt=SIGNER_SALT).sign(token)


def unsign(value: str) -> str | None:
    """The token of a download link still valid, else None (expired or tampered)."""
    try:
        return signing.TimestampSigner(salt=SIGNER_SALT).unsign(value, max_age=link_hours() * 3600)
    except signing.BadSignature:
        return None


def remove_expired(now=None) -> int:
    """Delete export jobs older than the link lifetime, with their files; how many."""
    removed = 0
    for job in jobs_older_than(kind=Job.Kind.EXPORT, age=timedelta(hours=link_hours()), now=now):
        storage.delete(file_name(job))
        job.delete()
        removed += 1
    return removed
