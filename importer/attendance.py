"""Attendance, the one file with millions of rows, saved from what the check pass kept.

The check pass reads every attendance row once and keeps two small integers per row: a
key (the enrollment's index in ``Known.enrollments`` times ``KEY_BASE`` plus the session
number) and the status's index in ``ATTENDANCE_STATUSES``. The file is not read again:
the save pass turns those arrays into ids, compares them with the rows already in the
database and writes the new and changed ones, all with whole-array operations.
"""

from __future__ import annotations

import numpy as np
from django.db import connection

from sessions.models import Attendance

from .spec import ATTENDANCE_STATUSES

#: key = enrollment index * KEY_BASE + session number (numbers stay below 32,768).
KEY_BASE = 65536
#: Status index of "no row yet" and id of "not in the database yet" (a dry run's new rows).
NO_STATUS = 255
NO_ID = -1
STATUS_INDEX = {status: i for i, status in enumerate(ATTENDANCE_STATUSES)}
STATUS_NAMES = np.asarray(ATTENDANCE_STATUSES, dtype=object)
#: Rows resolved, compared and written at a time (and per progress report).
CHUNK = 200_000
#: Rows turned into COPY text at a time.
COPY_ROWS = 20_000
#: Enrollments per query when reading the statuses already stored.
ENROLLMENTS_PER_QUERY = 5000


def enrollment_arrays(
    known: dict[tuple[str, str], int],
    participant_ids: dict[str, int],
    cohort_ids: dict[str, tuple[int, int]],
    enrollment_ids: dict[tuple[int, int], int],
) -> tuple[np.ndarray, np.ndarray]:
    """Enrollment id and cohort id by enrollment index (``NO_ID`` where not saved)."""
    enrollments = np.full(len(known), NO_ID, dtype=np.int64)
    cohorts = np.full(len(known), NO_ID, dtype=np.int64)
    for (participant_code, cohort_code), index in known.items():
        cohort = cohort_ids.get(cohort_code, (None,))[0]
        if cohort is None:
            continue
        cohorts[index] = cohort
        enrollment = enrollment_ids.get((participant_ids.get(participant_code), cohort))
        if enrollment is not None:
            enrollments[index] = enrollment
    return enrollments, cohorts


#: A (session id, enrollment id) pair as one integer: session * PAIR_BASE + enrollment.
PAIR_BASE = 1 << 32


def _sorted(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(keys)
    return keys[order], values[order]


def _look_up(table: tuple[np.ndarray, np.ndarray], wanted: np.ndarray, out: np.ndarray) -> None:
    """``out[i] = value of wanted[i]`` where the sorted ``table`` (keys, values) has it."""
    keys, values = table
    if not len(keys):
        return
    position = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    hit = keys[position] == wanted
    out[hit] = values[position[hit]]


def session_table(sessions: dict[tuple[int, int], int]) -> tuple[np.ndarray, np.ndarray]:
    """``(cohort id, number) -> session id`` as sorted keys and their ids."""
    keys = np.fromiter((c * KEY_BASE + n for c, n in sessions), np.int64, len(sessions))
    return _sorted(keys, np.fromiter(sessions.values(), np.int64, len(sessions)))


def session_ids(
    table: tuple[np.ndarray, np.ndarray], cohorts: np.ndarray, numbers: np.ndarray
) -> np.ndarray:
    """The id of session ``numbers[i]`` of cohort ``cohorts[i]`` (``NO_ID`` if none)."""
    found = np.full(len(cohorts), NO_ID, dtype=np.int64)
    wanted = np.where(cohorts == NO_ID, NO_ID, cohorts * KEY_BASE + numbers)
    _look_up(table, wanted, found)
    return found


def stored_statuses(
    sessions: np.ndarray, enrollments: np.ndarray, with_attendance: np.ndarray
) -> np.ndarray:
    """Status index of the stored row for each (session, enrollment), ``NO_STATUS`` if
    none. Only enrollments in ``with_attendance`` (sorted ids of those that had any
    attendance before this import) are looked up, a few thousand per query."""
    stored = np.full(len(sessions), NO_STATUS, dtype=np.uint8)
    looked_up = np.unique(enrollments[np.isin(enrollments, with_attendance)])
    keys, statuses = [np.empty(0, np.int64)], [np.empty(0, np.uint8)]
    for start in range(0, len(looked_up), ENROLLMENTS_PER_QUERY):
        chunk = looked_up[start : start + ENROLLMENTS_PER_QUERY].tolist()
        rows = list(
            Attendance.objects.filter(enrollment_id__in=chunk)
            .order_by()
            .values_list("session_id", "enrollment_id", "status")
        )
        keys.append(np.fromiter((s * PAIR_BASE + e for s, e, _ in rows), np.int64, len(rows)))
        statuses.append(
            np.fromiter(
                (STATUS_INDEX.get(status, NO_STATUS) for _, _, status in rows), np.uint8, len(rows)
            )
        )
    table = _sorted(np.concatenate(keys), np.concatenate(statuses))
    _look_up(table, sessions * PAIR_BASE + enrollments, stored)
    return stored


def write(
    sessions: np.ndarray,
    enrollments: np.ndarray,
    statuses: np.ndarray,
    *,
    recorded_by: int | None,
    now,
) -> None:
    """Insert or update these rows (statuses given as indexes).

    On PostgreSQL the rows are streamed with COPY into a temporary table (dropped at the
    end of the import's transaction) and written with one ``INSERT … ON CONFLICT``;
    elsewhere they go through ``bulk_create``.
    """
    if not len(sessions):
        return
    if connection.vendor != "postgresql":
        rows = zip(
            sessions.tolist(),
            enrollments.tolist(),
            STATUS_NAMES[statuses].tolist(),
            strict=True,
        )
        Attendance.objects.bulk_create(
            [
                Attendance(session_id=s, enrollment_id=e, status=st, recorded_by_id=recorded_by)
                for s, e, st in rows
            ],
            batch_size=5000,
            update_conflicts=True,
            unique_fields=["session", "enrollment"],
            update_fields=["status", "updated_at"],
        )
        return
    table = connection.ops.quote_name(Attendance._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS import_attendance "
            "(session_id bigint, enrollment_id bigint, status varchar(10)) ON COMMIT DROP"
        )
        cursor.execute("TRUNCATE import_attendance")
        with cursor.cursor.copy(
            "COPY import_attendance (session_id, enrollment_id, status) FROM STDIN"
        ) as copy:
            # A slice at a time: the text of the whole chunk would be held at once.
            for start in range(0, len(sessions), COPY_ROWS):
                part = slice(start, start + COPY_ROWS)
                copy.write(
                    "".join(
                        f"{s}\t{e}\t{st}\n"
                        for s, e, st in zip(
                            sessions[part].tolist(),
                            enrollments[part].tolist(),
                            STATUS_NAMES[statuses[part]].tolist(),
                            strict=True,
                        )
                    )
                )
        cursor.execute(
            f"INSERT INTO {table} (session_id, enrollment_id, status, recorded_by_id, updated_at) "  # noqa: S608
            "SELECT session_id, enrollment_id, status, %s, %s FROM import_attendance "
            "ON CONFLICT (session_id, enrollment_id) "
            "DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at",
            [recorded_by, now],
        )
