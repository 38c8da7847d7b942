"""Safe HTTP headers for downloads.

A file name often carries data (a program's code, typed by a person): it must never break
the header (quotes, ``;``, CR/LF), point elsewhere on disk (path separators) or be lost
when it is not ASCII. ``content_disposition`` writes RFC 6266 ``filename=`` (a plain
ASCII fallback) and, when the name is not plain ASCII, RFC 5987 ``filename*=`` (UTF-8).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]+")  # control characters (CR, LF) and separators
_NOT_PLAIN = re.compile(r"[^A-Za-z0-9._ -]+")  # anything but letters, digits and . _ - space
FALLBACK = "download"


def _cleaned(filename: str) -> str:
    """The name without control characters or path separators, nor leading dots."""
    name = unicodedata.normalize("NFC", filename)
    name = _UNSAFE.sub("_", name).strip().lstrip(".")
    return name or FALLBACK


def ascii_filename(filename: str) -> str:
    """A plain ASCII name: accents dropped (é → e), other characters as ``_``."""
    name = unicodedata.normalize("NFKD", _cleaned(filename))
    name = name.encode("ascii", "ignore").decode("ascii")
    name = _NOT_PLAIN.sub("_", name).strip(" ").lstrip(".")
    return name or FALLBACK


def content_disposition(filename: str, *, attachment: bool = True) -> str:
    """The ``Content-Disposition`` value for ``filename``."""
    kind = "attachment" if attachment else "inline"
    name = _cleaned(filename)
    fallback = ascii_filename(name)
    value = f'{kind}; filename="{fallback}"'
    if name != fallback:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value


def as_attachment(response, filename: str):
    """``response`` as a download named ``filename``, never kept in a cache."""
    response["Content-Disposition"] = content_disposition(filename)
    response["Cache-Control"] = "no-store"
    return response
