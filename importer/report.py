"""What an import found and did: per-file counts and every problem as ``file:line: message``."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

#: Problems kept per file; a bundle with a systematic mistake can have millions.
MAX_PROBLEMS_PER_FILE = 1000


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class FileCounts:
    """Records of one file: ``unit`` names what is counted (rows become records)."""

    file: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unit: str = "rows"
    #: False when the file could not be counted (it has problems of its own, or refers
    #: to rows that do): the page then says so instead of showing zeros.
    counted: bool = True

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "unit": self.unit,
            "counted": self.counted,
        }


@dataclass
class ImportReport:
    dry_run: bool = True
    saved: bool = False
    files: dict[str, FileCounts] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    #: Problems not kept because a file already had MAX_PROBLEMS_PER_FILE.
    problems_left_out: int = 0
    #: What the counts cannot say, e.g. an instrument that gets a new version.
    notes: list[str] = field(default_factory=list)
    _per_file: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.problems_left_out

    def add(self, file: str, line: int | None, message: str) -> None:
        kept = self._per_file.get(file, 0)
        if kept >= MAX_PROBLEMS_PER_FILE:
            self.problems_left_out += 1
            return
        self._per_file[file] = kept + 1
        self.problems.append(Problem(file, line, message))

    def counts(self, file: str, unit: str = "rows") -> FileCounts:
        if file not in self.files:
            self.files[file] = FileCounts(file=file, unit=unit)
        return self.files[file]

    def files_with_problems(self) -> set[str]:
        return {p.file for p in self.problems}

    def sort(self, order: list[str]) -> None:
        rank = {name: i for i, name in enumerate(order)}
        self.problems.sort(key=lambda p: (rank.get(p.file, -1), p.file, p.line or 0))

    def problem_lines(self) -> list[str]:
        lines = [str(p) for p in self.problems]
        if self.problems_left_out:
            lines.append(
                _("… and %(n)s more problems not listed (at most %(max)s per file).")
                % {"n": self.problems_left_out, "max": MAX_PROBLEMS_PER_FILE}
            )
        return lines

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "saved": self.saved,
            "ok": self.ok,
            "files": [c.as_dict() for c in self.files.values()],
            "problems": self.problem_lines(),
            "notes": list(self.notes),
        }
