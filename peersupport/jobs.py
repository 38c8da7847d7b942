"""Background jobs' state, shared by every web host and worker through the database.

A job is created by the web request that asks for it (committed before a worker can
look), claimed by whoever runs it (a worker, or the foreground when no worker answers),
and moved on with small ``UPDATE``s so progress never overwrites a later state. A job
still waiting after ``JOB_STALE_MINUTES`` without a sign of life is *stale*: the page
offers to run it in the foreground, and claiming it again is allowed.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import Job

TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def stale_after() -> timedelta:
    return timedelta(minutes=getattr(settings, "JOB_STALE_MINUTES", 10))


def job_create(
    *, kind: str, organisation_id: int, user_id: int | None, state: str, params: dict | None = None
) -> Job:
    return Job.objects.create(
        token=secrets.token_urlsafe(24),
        kind=kind,
        organisation_id=organisation_id,
        user_id=user_id,
        state=state,
        params=params or {},
    )


def job_get(token: str, *, kind: str) -> Job | None:
    if not TOKEN.match(token or ""):
        return None
    return Job.objects.filter(token=token, kind=kind).first()


def job_set(job: Job, *, result: dict | None = None, **fields) -> Job:
    """Change ``fields`` (state, progress, error) and merge ``result``, in one UPDATE."""
    fields["updated_at"] = timezone.now()
    if result:
        job.result = {**job.result, **result}
        fields["result"] = job.result
    Job.objects.filter(pk=job.pk).update(**fields)
    for name, value in fields.items():
        setattr(job, name, value)
    return job


def job_progress(job: Job, percent: int, **result) -> None:
    """Progress of a running job: written only while it is still running."""
    now = timezone.now()
    changes: dict = {"progress": percent, "updated_at": now}
    if result:
        job.result = {**job.result, **result}
        changes["result"] = job.result
    Job.objects.filter(pk=job.pk, state__in=Job.WORKING).update(**changes)
    job.progress, job.updated_at = percent, now


def is_stale(job: Job, *, now=None) -> bool:
    return job.state in Job.WAITING and job.updated_at < (now or timezone.now()) - stale_after()


def job_claim(job: Job, *, from_states: Iterable[str], to_state: str = Job.State.RUNNING) -> bool:
    """Move the job to ``to_state`` (a working state) if it is in one of ``from_states``,
    or already in ``to_state`` but stale (its worker died); False when someone else has it
    or it is finished, so running a job twice is a no-op."""
    now = timezone.now()
    claimable = Q(state__in=list(from_states)) | Q(
        state=to_state, updated_at__lt=now - stale_after()
    )
    claimed = (
        Job.objects.filter(claimable, pk=job.pk).update(
            state=to_state, progress=0, error="", updated_at=now
        )
        == 1
    )
    if claimed:
        job.state, job.progress, job.error, job.updated_at = to_state, 0, "", now
    return claimed


def jobs_older_than(*, kind: str, age: timedelta, now=None):
    """Jobs created before ``now - age``, except one running right now."""
    cutoff = (now or timezone.now()) - age
    running = Q(state__in=Job.WORKING, updated_at__gte=(now or timezone.now()) - stale_after())
    return Job.objects.filter(kind=kind, created_at__lt=cutoff).exclude(running)
