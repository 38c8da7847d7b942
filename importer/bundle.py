"""Opening a bundle: a folder, or a .zip of one, holding the CSV files.

A zip is never extracted to disk: each CSV is streamed from the archive. Before that,
every entry is checked, so that a hostile archive is refused with a clear message:
paths that climb out of the folder (``../``, absolute paths), too many entries, too
many bytes once uncompressed, or a compression ratio only a zip bomb has.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.utils.translation import gettext as _

from .report import Problem
from .spec import FILES

#: Limits for zip archives; a deployment may lower or raise them in settings.
MAX_ENTRIES = getattr(settings, "IMPORT_MAX_ZIP_ENTRIES", 200)
MAX_UNCOMPRESSED = getattr(settings, "IMPORT_MAX_UNCOMPRESSED_BYTES", 2 * 1024**3)
MAX_RATIO = getattr(settings, "IMPORT_MAX_COMPRESSION_RATIO", 200)
#: Small entries may compress extremely well without being a threat.
RATIO_EXEMPT_BELOW = 1024 * 1024

_DRIVE = re.compile(r"^[A-Za-z]:")


class BundleError(Exception):
    """The bundle as a whole cannot be read; ``problems`` says why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


@dataclass
class Bundle:
    """The bundle's CSV files by name (``participants.csv`` …), each openable as bytes."""

    label: str
    openers: dict[str, Callable[[], BinaryIO]] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    _zip: zipfile.ZipFile | None = None

    @property
    def names(self) -> list[str]:
        return list(self.openers)

    def open(self, name: str) -> BinaryIO:
        return self.openers[name]()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> Bundle:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _ignored(name: str) -> bool:
    parts = name.split("/")
    return parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts if p)


def _pick_folder(label: str, csv_paths: list[str], problems: list[Problem]) -> str | None:
    """The one folder holding the CSVs: the root or a single sub-folder."""
    folders = sorted({posixpath.dirname(p) for p in csv_paths})
    if not folders:
        problems.append(Problem(label, None, _("no CSV files found in the bundle.")))
        return None
    if len(folders) > 1:
        problems.append(
            Problem(
                label,
                None,
                _("CSV files are in more than one folder (%(folders)s); put them in one.")
                % {"folders": ", ".join(f or "/" for f in folders)},
            )
        )
        return None
    folder = folders[0]
    if folder.count("/") > 0:
        problems.append(
            Problem(
                label,
                None,
                _("the CSV files must be at the top of the bundle or in one folder inside it."),
            )
        )
        return None
    return folder


def _collect(label: str, folder_files: dict[str, str], problems: list[Problem]) -> list[str]:
    """Check the CSV base names; returns the known ones."""
    known = []
    for base in sorted(folder_files):
        if base not in FILES:
            problems.append(
                Problem(
                    base,
                    None,
                    _("unknown file; a bundle holds only %(names)s.") % {"names": ", ".join(FILES)},
                )
            )
        else:
            known.append(base)
    return known


def _open_zip(path: Path, label: str) -> Bundle:
    problems: list[Problem] = []
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise BundleError([Problem(label, None, _("this is not a readable .zip file."))]) from None
    try:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise BundleError(
                [
                    Problem(
                        label,
                        None,
                        _("the archive has %(n)s entries; at most %(max)s are accepted.")
                        % {"n": len(infos), "max": MAX_ENTRIES},
                    )
                ]
            )
        total = 0
        csv_infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.filename
            if (
                name.startswith(("/", "\\"))
                or "\\" in name
                or _DRIVE.match(name)
                or ".." in name.split("/")
            ):
                problems.append(
                    Problem(
                        label,
                        None,
                        _("entry %(name)s points outside the bundle folder; refused.")
                        % {"name": repr(name[:100])},
                    )
                )
                continue
            if info.is_dir() or _ignored(name):
                continue
            total += info.file_size
            if info.file_size > RATIO_EXEMPT_BELOW and info.file_size > MAX_RATIO * max(
                info.compress_size, 1
            ):
                problems.append(
                    Problem(
                        label,
                        None,
                        _(
                            "entry %(name)s expands more than %(ratio)s times; "
                            "refused as a possible zip bomb."
                        )
                        % {"name": repr(name[:100]), "ratio": MAX_RATIO},
                    )
                )
            if info.flag_bits & 0x1:
                problems.append(
                    Problem(
                        label,
                        None,
                        _("entry %(name)s is encrypted; use an archive without a password.")
                        % {"name": repr(name[:100])},
                    )
                )
            if name.lower().endswith(".csv"):
                csv_infos[name] = info
        if total > MAX_UNCOMPRESSED:
            problems.append(
                Problem(
                    label,
                    None,
                    _(
                        "the archive expands to %(mb)s MB; at most %(max)s MB are accepted "
                        "(refused as a possible zip bomb)."
                    )
                    % {"mb": total // 1024**2, "max": MAX_UNCOMPRESSED // 1024**2},
                )
            )
        if problems:
            raise BundleError(problems)
        folder = _pick_folder(label, list(csv_infos), problems)
        if folder is None:
            raise BundleError(problems)
        by_base = {posixpath.basename(n): n for n in csv_infos}
        known = _collect(label, by_base, problems)
        if problems:
            raise BundleError(problems)
    except BaseException:
        archive.close()
        raise
    bundle = Bundle(label=label, _zip=archive)
    for base in known:
        info = csv_infos[by_base[base]]
        bundle.openers[base] = lambda info=info: archive.open(info)
        bundle.sizes[base] = info.file_size
    return bundle


def _open_folder(path: Path, label: str) -> Bundle:
    problems: list[Problem] = []
    csv_paths = []

    def refuse_link(entry: Path) -> bool:
        """A symbolic link could point anywhere on the server: refused, never followed."""
        if entry.is_symlink():
            problems.append(
                Problem(
                    label,
                    None,
                    _("%(name)s is a symbolic link; a bundle holds plain files only.")
                    % {"name": repr(str(entry.relative_to(path))[:100])},
                )
            )
            return True
        return False

    for child in sorted(path.iterdir()):
        if child.name.startswith(".") or refuse_link(child):
            continue
        if child.is_file() and child.suffix.lower() == ".csv":
            csv_paths.append(child.name)
        elif child.is_dir():
            for grand in sorted(child.iterdir()):
                if grand.name.startswith(".") or refuse_link(grand):
                    continue
                if grand.is_file() and grand.suffix.lower() == ".csv":
                    csv_paths.append(f"{child.name}/{grand.name}")
    if problems:
        raise BundleError(problems)
    folder = _pick_folder(label, csv_paths, problems)
    if folder is None:
        raise BundleError(problems)
    base_dir = path / folder if folder else path
    by_base = {posixpath.basename(p): p for p in csv_paths}
    known = _collect(label, by_base, problems)
    if problems:
        raise BundleError(problems)
    bundle = Bundle(label=label)
    for base in known:
        file_path = base_dir / base
        bundle.openers[base] = lambda file_path=file_path: open(file_path, "rb")  # noqa: SIM115
        bundle.sizes[base] = file_path.stat().st_size
    return bundle


def open_bundle(path: str | Path, label: str | None = None) -> Bundle:
    """The bundle at ``path`` (a folder or a .zip); raises ``BundleError`` if unusable."""
    path = Path(path)
    label = label or path.name
    if path.is_dir():
        return _open_folder(path, label)
    if path.is_file():
        return _open_zip(path, label)
    raise BundleError([Problem(label, None, _("no such file or folder."))])
