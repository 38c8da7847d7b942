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


def save(name: str, source: str | Path) -> str:
    """Store the local file ``source`` under ``name`` (replacing any file of that name)."""
    default_storage.delete(name)
    with open(source, "rb") as handle:
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
    return bool(name) and default_storage.exists(name)


def open_file(name: str):
    return default_storage.open(name, "rb")


def delete(name: str) -> None:
    if name:
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
        with default_storage.open(name, "rb") as stored:
            shutil.copyfileobj(stored, copy)
        copy.flush()
        yield Path(copy.name)
