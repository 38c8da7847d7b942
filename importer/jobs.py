"""Uploaded bundles waiting for confirmation, and the small JSON status of each.

An upload is stored as ``MEDIA_ROOT/imports/<token>.zip`` with ``<token>.json`` beside
it: the organisation and user it belongs to, its state (``checked`` → ``queued`` →
``running`` → ``done``/``failed``), a ``progress`` percentage and the report. A file
rather than the cache, so that a Celery worker and the web process see the same status
without Redis. The token is random and is checked against the organisation on every use.

An upload holds identifying values (preferred names, birth years): its .zip is deleted
as soon as it is imported or rejected, and an upload nobody confirms is deleted with its
status after ``IMPORT_UPLOAD_HOURS`` (by the hourly clean-up job, and before each new
upload).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
import time
from pathlib import Path

from django.conf import settings

from .spec import ORDER

TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
#: Bundles up to this size are imported during the request; larger ones by a worker.
FOREGROUND_MAX_BYTES = getattr(settings, "IMPORT_FOREGROUND_MAX_BYTES", 2 * 1024 * 1024)
MAX_UPLOAD_BYTES = getattr(settings, "IMPORT_MAX_UPLOAD_BYTES", 500 * 1024 * 1024)


def upload_hours() -> int:
    return getattr(settings, "IMPORT_UPLOAD_HOURS", 24)


class UploadTooLarge(Exception):
    pass


def import_dir() -> Path:
    folder = Path(getattr(settings, "IMPORT_ROOT", None) or Path(settings.MEDIA_ROOT) / "imports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def zip_path(token: str) -> Path:
    return import_dir() / f"{token}.zip"


def _status_path(token: str) -> Path:
    return import_dir() / f"{token}.json"


def store_upload(uploaded, *, organisation, user) -> str:
    """Save an uploaded .zip under a random name; its token."""
    remove_stale()
    token = secrets.token_urlsafe(24)
    size = 0
    with open(zip_path(token), "wb") as out:
        for chunk in uploaded.chunks():
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                out.close()
                zip_path(token).unlink(missing_ok=True)
                raise UploadTooLarge
            out.write(chunk)
    write_status(
        token,
        organisation=organisation.pk,
        user=user.pk,
        state="uploaded",
        progress=0,
        size=size,
        created=time.time(),
    )
    return token


def read_status(token: str) -> dict | None:
    if not TOKEN.match(token or ""):
        return None
    try:
        return json.loads(_status_path(token).read_text())
    except (OSError, ValueError):
        return None


def write_status(token: str, **changes) -> dict:
    status = read_status(token) or {}
    status.update(changes)
    fd, tmp = tempfile.mkstemp(dir=import_dir(), suffix=".tmp")
    with os.fdopen(fd, "w") as out:
        json.dump(status, out)
    os.replace(tmp, _status_path(token))
    return status


def discard_zip(token: str) -> None:
    zip_path(token).unlink(missing_ok=True)


def remove_stale(now: float | None = None) -> int:
    """Delete uploads (the .zip and the status) older than ``upload_hours()``, except
    one being imported right now; how many were removed. A status file that cannot be
    read is left alone (it may be being written)."""
    cutoff = (now or time.time()) - upload_hours() * 3600
    removed = 0
    for status_file in import_dir().glob("*.json"):
        try:
            status = json.loads(status_file.read_text())
        except (OSError, ValueError):
            continue
        if status.get("created", 0) >= cutoff or status.get("state") == "running":
            continue
        zip_path(status_file.stem).unlink(missing_ok=True)
        status_file.unlink(missing_ok=True)
        removed += 1
    return removed


class ProgressWriter:
    """A progress callback that writes the percentage to the status, at most twice a second.

    Checking counts for the first 40 %, saving for the rest (by files, then rows).
    """

    def __init__(self, token: str, *, files: list[str]):
        self.token = token
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
        write_status(self.token, progress=min(99, int(percent)), phase=phase, file=name)
