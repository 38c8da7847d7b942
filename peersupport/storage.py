"""Files that hold participants' data (export files, uploaded bundles) go through Django's
storage API, never raw paths: the file system under ``MEDIA_ROOT`` by default, an
S3-compatible object store when ``AWS_STORAGE_BUCKET_NAME`` is set, so web and workers
need not share a disk. Nothing here is public: files are read back through the app.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage


class StorageUnavailable(Exception):
    """The file store did not answer (a disk error, an object store refusing): callers say
    so in words; nothing is half-kept."""


def _backend_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [OSError]
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # no object-store client installed: the file system only
        return tuple(errors)
    return (*errors, BotoCoreError, ClientError)


BACKEND_ERRORS = _backend_errors()


@contextmanager
def _reaching() -> Iterator[None]:
    try:
        yield
    except FileNotFoundError:
        raise
    except BACKEND_ERRORS as exc:
        raise StorageUnavailable(type(exc).__name__) from exc


def save(name: str, source: str | Path) -> str:
    """Store the local file ``source`` under ``name`` (replacing any file of that name)."""
    with _reaching(), open(source, "rb") as handle:
        default_storage.delete(name)
        return default_storage.save(name, File(handle, name=os.path.basename(name)))


def save_upload(name: str, chunks: Iterator[bytes], *, max_bytes: int) -> int | None:
    """Store an upload's chunks under ``name``; its size, or None (nothing kept) when it
    is larger than ``max_bytes``."""
    size = 0
    with tempfile.NamedTemporaryFile(suffix=Path(name).suffix) as spool:
        for chunk in chunks:
            size += len(chunk)
            if size > max_bytes:
                return None
            spool.write(chunk)
        spool.flush()
        save(name, spool.name)
    return size


def exists(name: str) -> bool:
    with _reaching():
        return bool(name) and default_storage.exists(name)


def open_file(name: str):
    with _reaching():
        return default_storage.open(name, "rb")


def delete(name: str) -> None:
    if name:
        with _reaching():
            default_storage.delete(name)


@contextmanager
def local_copy(name: str) -> Iterator[Path]:
    """A path on this host holding the stored file, for code that needs a real file (zip
    reading): the file itself on a local file system, else a temporary copy."""
    try:
        path = default_storage.path(name)
    except NotImplementedError:  # an object store has no local path
        path = None
    if path is not None:
        yield Path(path)
        return
    with tempfile.NamedTemporaryFile(suffix=Path(name).suffix) as copy:
        with _reaching(), default_storage.open(name, "rb") as stored:
            shutil.copyfileobj(stored, copy)
        copy.flush()
        yield Path(copy.name)
