"""Uploaded bundles: the dry run shown before anything is saved, then the import."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model

from peersupport.models import Organisation

from . import jobs
from .run import import_bundle

logger = logging.getLogger(__name__)


def dry_run_upload(*, token: str, organisation: Organisation, request=None) -> dict:
    """Check an uploaded bundle and count what it would do; the status, with the report."""
    report = import_bundle(
        path=jobs.zip_path(token),
        organisation=organisation,
        dry_run=True,
        label="bundle.zip",
        request=request,
        source="upload",
    )
    if not report.ok:
        jobs.discard_zip(token)
    return jobs.write_status(
        token,
        state="checked" if report.ok else "rejected",
        progress=100,
        report=report.as_dict(),
        files=[c.file for c in report.files.values()],
    )


def run_stored_import(*, token: str, actor_id: int | None = None, request=None) -> str:
    """Import a confirmed upload (in a worker or in the foreground); its final state."""
    status = jobs.read_status(token)
    if status is None or status.get("state") not in ("queued", "confirmed"):
        return status.get("state", "missing") if status else "missing"
    organisation = Organisation.objects.get(pk=status["organisation"])
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    jobs.write_status(token, state="running", progress=0)
    try:
        report = import_bundle(
            path=jobs.zip_path(token),
            organisation=organisation,
            actor=actor,
            progress=jobs.ProgressWriter(token, files=status.get("files", [])),
            label="bundle.zip",
            request=request,
            source="upload",
        )
    except Exception as exc:  # a failure must reach the page, not vanish in a worker log
        logger.exception("Import %s failed", token[:6])
        jobs.write_status(token, state="failed", error=type(exc).__name__)
        raise
    finally:
        jobs.discard_zip(token)
    state = "done" if report.saved else "failed"
    jobs.write_status(token, state=state, progress=100, report=report.as_dict())
    return state
