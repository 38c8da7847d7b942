"""Export files built by a background job, their progress, and expiring download links.

A job's file is ``MEDIA_ROOT/exports/<token>.<ext>`` with ``<token>.json`` beside it:
who asked (organisation and user), what (the export's description, never identifying
values), its state (``queued`` → ``running`` → ``done``/``failed``) and progress. A file
rather than a model, so a worker and the web process share it without a migration.
The download link carries the token signed with a timestamp and stops working after
``EXPORT_LINK_HOURS``; expired files are removed by the hourly clean-up job
(``evaluation.tasks.remove_expired_files``) and when the next job starts.
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
from django.core import signing

TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
SIGNER_SALT = "exports.download"


def link_hours() -> int:
    return getattr(settings, "EXPORT_LINK_HOURS", 24)


def export_dir() -> Path:
    folder = Path(getattr(settings, "EXPORT_ROOT", None) or Path(settings.MEDIA_ROOT) / "exports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def file_path(token: str, ext: str) -> Path:
    return export_dir() / f"{token}.{ext}"


def _status_path(token: str) -> Path:
    return export_dir() / f"{token}.json"


def new_job(**status) -> str:
    remove_expired()
    token = secrets.token_urlsafe(24)
    write_status(token, state="queued", progress=0, created=time.time(), **status)
    return token


def read_status(token: str) -> dict | None:
    if not TOKEN.match(token or ""):
        return None
    try:
        return json.loads(_status_path(token).read_text())
    except (OSError, ValueError):
        return None


def write_status(token: str, **changes) -> dict:
    """Merge ``changes`` into the status, atomically (a reader never sees half a file)."""
    status = read_status(token) or {}
    status.update(changes)
    fd, tmp = tempfile.mkstemp(dir=export_dir(), suffix=".tmp")
    with os.fdopen(fd, "w") as out:
        json.dump(status, out)
    os.replace(tmp, _status_path(token))
    return status


def sign(token: str) -> str:
    return signing.TimestampSigner(salt=SIGNER_SALT).sign(token)


def unsign(value: str) -> str | None:
    """The token of a download link still valid, else None (expired or tampered)."""
    try:
        return signing.TimestampSigner(salt=SIGNER_SALT).unsign(value, max_age=link_hours() * 3600)
    except signing.BadSignature:
        return None


def remove_expired(now: float | None = None) -> int:
    """Delete job files older than the link lifetime; how many jobs were removed."""
    now = now or time.time()
    cutoff = now - link_hours() * 3600
    removed = 0
    for status_file in export_dir().glob("*.json"):
        try:
            created = json.loads(status_file.read_text()).get("created", 0)
        except (OSError, ValueError):
            continue
        if created < cutoff:
            for path in export_dir().glob(status_file.stem + ".*"):
                path.unlink(missing_ok=True)
            removed += 1
    return removed
