"""Parsing the rows of each file into plain tuples; both passes use the same parser.

Each ``parse_<file>`` returns ``None`` when a value was bad (already reported).
"""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _

from .spec import (
    ATTENDANCE_STATUSES,
    CONSENT,
    ENROLLMENT_STATUSES,
    SESSION_STATUSES,
    TIMEPOINTS,
)
from .values import (
    RowCheck,
    choice,
    code,
    decimal,
    flag,
    integer,
    iso_date,
    participant_code,
    text,
)

SMALL = 32767  # PositiveSmallIntegerField / SmallIntegerField upper bound


def parse_program(rc: RowCheck):
    values = (
        rc(code, "code", max_length=32, slug=True),
        rc(text, "name", max_length=200),
        rc(iso_date, "start_date"),
        rc.row["organisation"],
    )
    return values if rc.ok else None


def parse_module(rc: RowCheck):
    values = (
        rc(code, "program_code", max_length=32),
        rc(integer, "order", low=1, high=SMALL),
        rc(text, "name", max_length=200),
        rc(integer, "weeks", low=1, high=SMALL),
    )
    return values if rc.ok else None


def parse_instrument(rc: RowCheck):
    values = (
        rc(code, "code", max_length=32, slug=True),
        rc(text, "name", max_length=200),
        rc(integer, "max_missing", low=0, high=SMALL),
        rc(decimal, "target_score", required=False),
    )
    return values if rc.ok else None


def parse_item(rc: RowCheck):
    values = (
        rc(code, "instrument_code", max_length=32),
        rc(integer, "item_number", low=1, high=SMALL),
        rc(integer, "min_value", low=-SMALL - 1, high=SMALL),
        rc(integer, "max_value", low=-SMALL - 1, high=SMALL),
        rc(flag, "reverse"),
        rc.row["text"],
    )
    if rc.ok and values[3] <= values[2]:
        rc.fail(_("max_value must be above min_value."))
    return values if rc.ok else None


def parse_target(rc: RowCheck):
    values = (
        rc(code, "program_code", max_length=32),
        rc(code, "instrument_code", max_length=32),
        rc(decimal, "target_pct", low=0, high=100),
    )
    return values if rc.ok else None


def parse_cohort(rc: RowCheck):
    values = (
        rc(code, "program_code", max_length=32),
        rc(code, "cohort_code", max_length=40, slug=True),
        rc(iso_date, "start_date"),
        rc(text, "name", max_length=200, required=False),
    )
    return values if rc.ok else None


def parse_session(rc: RowCheck):
    values = (
        rc(code, "cohort_code", max_length=40),
        rc(integer, "session_number", low=1, high=SMALL),
        rc(iso_date, "date"),
        rc(choice, "status", choices=SESSION_STATUSES),
        rc(integer, "duration_minutes", low=0, high=SMALL, required=False),
        rc(integer, "module_order", low=1, high=SMALL, required=False),
        rc(text, "topic", max_length=200, required=False),
    )
    return values if rc.ok else None


def parse_participant(rc: RowCheck):
    this_year = date.today().year
    values = (
        rc(participant_code, "participant_code"),
        rc(choice, "consent_evaluation", choices=CONSENT),
        rc.row["preferred_name"],
        rc(integer, "birth_year", low=1900, high=this_year, required=False, echo=False),
    )
    return values if rc.ok else None


def parse_enrollment(rc: RowCheck):
    values = (
        rc(code, "participant_code", max_length=32),
        rc(code, "cohort_code", max_length=40),
        rc(iso_date, "enrolled_on"),
        rc(choice, "status", choices=ENROLLMENT_STATUSES),
        rc(iso_date, "exit_date", required=False),
    )
    if rc.ok and values[4] is not None and values[4] < values[2]:
        rc.fail(_("exit_date must not be before enrolled_on."))
    return values if rc.ok else None


def parse_attendance(rc: RowCheck):
    values = (
        rc(code, "participant_code", max_length=32),
        rc(code, "cohort_code", max_length=40),
        rc(integer, "session_number", low=1, high=SMALL),
        rc(choice, "status", choices=ATTENDANCE_STATUSES),
    )
    return values if rc.ok else None


def parse_response(rc: RowCheck):
    values = (
        rc(code, "participant_code", max_length=32),
        rc(code, "cohort_code", max_length=40),
        rc(code, "instrument_code", max_length=32),
        rc(choice, "timepoint", choices=TIMEPOINTS),
        rc(iso_date, "date"),
        rc(integer, "item_number", low=1, high=SMALL),
        rc(integer, "value", low=-SMALL - 1, high=SMALL, required=False),
    )
    return values if rc.ok else None
