"""The repository is self-contained: nothing a user, an evaluator or the code reads
points at a path outside it (the figures' definitions and the import format are in
docs/)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SKIP_DIRS = {".venv", ".git", "node_modules", "staticfiles", "media", "__pycache__"}
SUFFIXES = {".py", ".html", ".md", ".po", ".txt", ".toml", ".js", ".css", ".yml", ".yaml",
            ".cfg", ".ini", ".json", ".sh", ""}  # fmt: skip
#: Paths outside the repository: a sibling "shared" folder, its spec, absolute work paths.
OUTSIDE = re.compile(
    r"(\.\./)+" + "shared" + r"\b|\b" + "shared" + "/spec" + r"\b|/" + "work" + r"/(shared|main)\b"
)


def _candidates():
    """The repository's files: tracked or new, never what git ignores (caches, the
    virtualenv, local databases), which may record where the checkout lives."""
    git = shutil.which("git")
    try:
        if git is None:
            raise OSError("git is not installed")
        listed = subprocess.run(  # noqa: S603 - git by its full path, fixed arguments
            [git, "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):  # not a git checkout (an unpacked release)
        return (
            path
            for path in ROOT.rglob("*")
            if not any(
                part in SKIP_DIRS or part.endswith("_cache")
                for part in path.relative_to(ROOT).parts
            )
        )
    return (ROOT / name for name in listed.split("\0") if name)


def _files():
    for path in _candidates():
        if path.is_file() and path.suffix in SUFFIXES and path.stat().st_size < 2_000_000:
            yield path


def test_nothing_in_the_repository_points_outside_it():
    found = []
    for path in _files():
        text = path.read_text(encoding="utf-8", errors="ignore")
        for number, line in enumerate(text.splitlines(), start=1):
            if OUTSIDE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert not found, "\n".join(found)


def test_the_check_finds_such_a_path():
    assert OUTSIDE.search("see " + "shared" + "/spec/evaluation.md")
    assert OUTSIDE.search("../" + "shared" + "/ARCHITECTURE.md")
    assert not OUTSIDE.search("docs/definitions.md and docs/figures.md")
