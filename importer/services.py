"""Uploaded bundles: the dry run shown before anything is saved, then the import."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model

from peersupport import storage
from peersupport.jobs import job_claim, job_set
from peersupport.models import Job, Organisation

from . import jobs
from .run import import_bundle

logger = logging.getLogger(__name__)


def dry_run_upload(*, job: Job, organisation: Organisation, request=None) -> Job:
    """Check an uploaded bundle and count what it would do; the job, with the report. Runs
    once (a worker or the foreground claims it); a bundle that cannot be imported is
    deleted at once."""
    if not job_claim(job, from_states=[Job.State.UPLOADED], to_state=Job.State.CHECKING):
        return job
    try:
        with storage.local_copy(jobs.zip_name(job)) as path:
            report = import_bundle(
                path=path,
                organisation=organisation,
                dry_run=True,
                progress=jobs.ProgressWriter(job, files=[]),
                label="bundle.zip",
                request=request,
                source="upload",
            )
    except storage.StorageUnavailable:
        logger.warning("Check of upload %s: the file store cannot be reached", job.token[:6])
        return job_set(job, state=Job.State.FAILED, error="storage")
    except Exception as exc:  # a failure must reach the page, not vanish in a worker log
        logger.exception("Check of upload %s failed", job.token[:6])
        jobs.discard_zip(job)
        job_set(job, state=Job.State.FAILED, error=type(exc).__name__)
        raise
    if not report.ok:
        jobs.discard_zip(job)
    return job_set(
        job,
        state=Job.State.CHECKED if report.ok else Job.State.REJECTED,
        progress=100,
        result={"report": report.as_dict(), "files": [c.file for c in report.files.values()]},
    )


def check_stored_upload(*, token: str) -> str:
    """The worker's side of ``dry_run_upload``; the job's state afterwards."""
    job = jobs.get_job(token)
    if job is None:
        return "missing"
    organisation = Organisation.objects.get(pk=job.organisation_id)
    return dry_run_upload(job=job, organisation=organisation).state


def run_stored_import(*, token: str, actor_id: int | None = None, request=None) -> str:
    """Import a confirmed upload (in a worker or in the foreground); its final state.
    Safe to run twice: a job that is finished, or being run elsewhere, is left alone."""
    job = jobs.get_job(token)
    if job is None:
        return "missing"
    if not job_claim(job, from_states=[Job.State.QUEUED, Job.State.CONFIRMED]):
        return job.state
    organisation = Organisation.objects.get(pk=job.organisation_id)
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    try:
        with storage.local_copy(jobs.zip_name(job)) as path:
            report = import_bundle(
                path=path,
                organisation=organisation,
                actor=actor,
                progress=jobs.ProgressWriter(job, files=job.result.get("files", [])),
                label="bundle.zip",
                request=request,
                source="upload",
            )
    except storage.StorageUnavailable:
        logger.warning("Import %s: the file store cannot be reached", token[:6])
        job_set(job, state=Job.State.FAILED, error="storage")
        return Job.State.FAILED
    except Exception as exc:  # a failure must reach the page, not vanish in a worker log
        logger.exception("Import %s failed", token[:6])
        job_set(job, state=Job.State.FAILED, error=type(exc).__name__)
        jobs.discard_zip(job)
        raise
    jobs.discard_zip(job)
    state = Job.State.DONE if report.saved else Job.State.FAILED
    job_set(job, state=state, progress=100, result={"report": report.as_dict()})
    return state
