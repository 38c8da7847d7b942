"""The files of a bundle and their columns (docs/import-format.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileSpec:
    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


#: In the order they are checked and saved: a file refers only to files above it.
SPECS = [
    FileSpec("programs.csv", ("code", "name", "start_date"), ("organisation",)),
    FileSpec("modules.csv", ("program_code", "order", "name", "weeks")),
    FileSpec("instruments.csv", ("code", "name", "max_missing"), ("target_score",)),
    FileSpec(
        "instrument_items.csv",
        ("instrument_code", "item_number", "min_value", "max_value", "reverse"),
        ("text",),
    ),
    FileSpec("program_targets.csv", ("program_code", "instrument_code", "target_pct")),
    FileSpec("cohorts.csv", ("program_code", "cohort_code", "start_date"), ("name",)),
    FileSpec(
        "sessions.csv",
        ("cohort_code", "session_number", "date", "status"),
        ("duration_minutes", "module_order", "topic"),
    ),
    FileSpec(
        "participants.csv",
        ("participant_code", "consent_evaluation"),
        ("preferred_name", "birth_year"),
    ),
    FileSpec(
        "enrollments.csv",
        ("participant_code", "cohort_code", "enrolled_on", "status"),
        ("exit_date",),
    ),
    FileSpec("attendance.csv", ("participant_code", "cohort_code", "session_number", "status")),
    FileSpec(
        "survey_responses.csv",
        ("participant_code", "cohort_code", "instrument_code", "timepoint", "date", "item_number"),
        ("value",),
    ),
]
FILES = {spec.name: spec for spec in SPECS}
ORDER = [spec.name for spec in SPECS]
#: The method of the check pass and of the save pass that reads each file, in ``ORDER``.
STEP = {name: name.removesuffix(".csv") for name in ORDER} | {
    "instrument_items.csv": "items",
    "program_targets.csv": "targets",
    "survey_responses.csv": "responses",
}

SESSION_STATUSES = ("scheduled", "held", "cancelled")
ENROLLMENT_STATUSES = ("enrolled", "completed", "withdrawn")
ATTENDANCE_STATUSES = ("present", "late", "absent", "excused")
TIMEPOINTS = ("pre", "post", "followup")
CONSENT = ("yes", "no")
