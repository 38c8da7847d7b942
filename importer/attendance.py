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
        if connection.vendor == "postgresql":
            chunk_keys, chunk_statuses = _stored_pg(chunk)
        else:
            rows = list(
                Attendance.objects.filter(enrollment_id__in=chunk)
                .order_by()
                .values_list("session_id", "enrollment_id", "status")
            )
            chunk_keys = np.fromiter((s * PAIR_BASE + e for s, e, _ in rows), np.int64, len(rows))
            chunk_statuses = np.fromiter(
                (STATUS_INDEX.get(status, NO_STATUS) for _, _, status in rows),
                np.uint8,
                len(rows),
            )
        keys.append(chunk_keys)
        statuses.append(chunk_statuses)
    table = _sorted(np.concatenate(keys), np.concatenate(statuses))
    _look_up(table, sessions * PAIR_BASE + enrollments, stored)
    return stored


#: ``COPY … (FORMAT BINARY)``: the file's 19-byte header and its end marker.
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_BINARY_TRAILER = b"\xff\xff"
#: One row of two values as binary COPY lays it out: the number of values, then each
#: value's length and the value (big-endian).
_READ_ROW = np.dtype(
    [("n", ">i2"), ("l1", ">i4"), ("pair", ">i8"), ("l2", ">i4"), ("status", ">i2")]
)
_WRITE_ROW = np.dtype(
    [
        ("n", ">i2"),
        ("l1", ">i4"),
        ("session", ">i8"),
        ("l2", ">i4"),
        ("enrollment", ">i8"),
        ("l3", ">i4"),
        ("status", ">i2"),
    ]
)


def _status_case(column: str) -> str:
    """SQL giving the index of ``column``'s status in ``ATTENDANCE_STATUSES``."""
    whens = " ".join(f"WHEN '{name}' THEN {i}" for i, name in enumerate(ATTENDANCE_STATUSES))
    return f"CASE {column} {whens} ELSE {NO_STATUS} END"


def _stored_pg(enrollments: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The stored rows of ``enrollments`` as (session, enrollment) pairs and status
    indexes, read with a binary ``COPY`` straight into arrays: going through a Python
    tuple per row took most of a re-import's attendance step."""
    table = connection.ops.quote_name(Attendance._meta.db_table)
    data = bytearray()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY (SELECT session_id::bigint * {PAIR_BASE} + enrollment_id, "  # noqa: S608
            f"({_status_case('status')})::smallint FROM {table} "
            "WHERE enrollment_id = ANY(%s)) TO STDOUT (FORMAT BINARY)",
            [enrollments],
        ) as copy,
    ):
        for block in copy:
            data += block
    body = len(data) - len(_BINARY_HEADER) - len(_BINARY_TRAILER)
    if (
        not data.startswith(_BINARY_HEADER)
        or not data.endswith(_BINARY_TRAILER)
        or body % _READ_ROW.itemsize
    ):
        raise ValueError("unexpected COPY output")
    rows = np.frombuffer(
        data, dtype=_READ_ROW, offset=len(_BINARY_HEADER), count=body // _READ_ROW.itemsize
    )
    if len(rows) and not ((rows["n"] == 2) & (rows["l1"] == 8) & (rows["l2"] == 2)).all():
        raise ValueError("unexpected COPY output")
    return rows["pair"].astype(np.int64), rows["status"].astype(np.uint8)


def write(
    sessions: np.ndarray,
    enrollments: np.ndarray,
    statuses: np.ndarray,
    *,
    recorded_by: int | None,
    now,
    new: bool = False,
) -> None:
    """Insert or update these rows (statuses given as indexes); ``new`` when none of
    them was in the table when the import read it.

    On PostgreSQL the rows are streamed with COPY into a temporary table (dropped at the
    end of the import's transaction) and written with one ``INSERT … ON CONFLICT``, or
    for ``new`` rows a plain ``INSERT``: checking each row for a conflict first took a
    third of the time of writing two million. (Should another transaction add one of
    them meanwhile, the import fails on the unique constraint and saves nothing.)
    Elsewhere they go through ``bulk_create``.
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
            "(session_id bigint, enrollment_id bigint, status smallint) ON COMMIT DROP"
        )
        cursor.execute("TRUNCATE import_attendance")
        with cursor.cursor.copy(
            "COPY import_attendance (session_id, enrollment_id, status) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            # Binary rows made by whole-array operations, a slice at a time: no Python
            # object or text per row.
            copy.write(_BINARY_HEADER)
            for start in range(0, len(sessions), COPY_ROWS):
                part = slice(start, start + COPY_ROWS)
                rows = np.empty(len(sessions[part]), dtype=_WRITE_ROW)
                rows["n"], rows["l1"], rows["l2"], rows["l3"] = 3, 8, 8, 2
                rows["session"] = sessions[part]
                rows["enrollment"] = enrollments[part]
                rows["status"] = statuses[part]
                copy.write(rows.tobytes())
            copy.write(_BINARY_TRAILER)
        names = ", ".join(f"'{name}'" for name in ATTENDANCE_STATUSES)
        sql = (
            f"INSERT INTO {table} (session_id, enrollment_id, status, recorded_by_id, updated_at) "  # noqa: S608
            f"SELECT session_id, enrollment_id, (ARRAY[{names}])[status + 1], %s, %s "
            "FROM import_attendance"
        )
        if not new:
            sql += (
                " ON CONFLICT (session_id, enrollment_id) "
                "DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at"
            )
        cursor.execute(sql, [recorded_by, now])
