"""Run by ``test_sqlite_taps.py`` in a process of its own, against a SQLite file.

    python -m tests.sessions.concurrent_taps FILE THREADS TAPS

With the app's own database settings (``DATABASE_URL=sqlite:///FILE``), builds a small
agency (``bench.small_agency.build``), then ``THREADS`` threads, each with its own
database connection, tap ``TAPS`` times through ``sessions.attendance.attendance_set``
at once, each thread over its own rows. Prints, as JSON, the errors, the rows whose
final status is not the last one its thread saved (lost writes), the taps that changed
a row and the audit entries written.
"""

import json
import os
import sys
import threading


def main() -> None:
    path, threads, taps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersupport.settings_test")
    import django

    django.setup()
    from django.db import connection

    from bench.small_agency import build
    from peersupport.models import AuditEntry
    from sessions.attendance import attendance_set
    from sessions.models import Attendance

    sessions = 4
    people = build(facilitators=sessions, roster=threads // sessions * 2)
    connection.close()
    statuses = ["present", "late", "absent", "excused"]
    errors: list[str] = []
    saved: dict[tuple[int, int], str] = {}
    changes = [0] * threads
    start = threading.Barrier(threads)

    def tap(k: int) -> None:
        user, session, enrollments = people[k % sessions]
        mine = enrollments[k // sessions :: threads // sessions]  # rows no other thread taps
        start.wait()
        try:
            for i in range(taps):
                enrollment = mine[i % len(mine)]
                status = statuses[(i + k) % len(statuses)]
                try:
                    _row, changed, _earlier = attendance_set(
                        session=session, enrollment_id=enrollment, status=status, by=user
                    )
                except Exception as error:  # noqa: BLE001 - every failure is reported
                    errors.append(f"{type(error).__name__}: {error}")
                    continue
                saved[(session.pk, enrollment)] = status
                changes[k] += changed
        finally:
            connection.close()

    workers = [threading.Thread(target=tap, args=(k,)) for k in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    final = {(a.session_id, a.enrollment_id): a.status for a in Attendance.objects.all()}
    lost = [key for key, status in saved.items() if final.get(key) != status]
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
    print(
        json.dumps(
            {
                "errors": errors,
                "taps": threads * taps,
                "rows": len(saved),
                "lost": len(lost),
                "changes": sum(changes),
                "audited": AuditEntry.objects.filter(action="attendance.set").count(),
                "journal_mode": journal,
            }
        )
    )


if __name__ == "__main__":
    main()
