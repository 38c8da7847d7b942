"""A small agency on the embedded SQLite database, its facilitators tapping attendance.

    DEBUG=1 .venv/bin/python bench/small_agency.py --facilitators 5 [--taps 40] [--workers 3]

Builds a fresh SQLite file (``--database``, default ``peersupport_small_agency.sqlite3``
in the temporary folder: migrated, then one organisation with one running cohort of
``--roster`` people per facilitator, each with a session yesterday), starts gunicorn on
it (``--workers``) the way ``bench/load_taps.py --serve`` does, and has every
facilitator tap through their roster ``--taps`` times at once, through the attendance
page's endpoint (session cookie, CSRF token, htmx). It reports taps per second,
latency, every error (e.g. a 500 "database is locked") and lost writes, with the same
checks as ``bench/load_taps.py``.

``build()`` is also what ``tests/sessions/concurrent_taps.py`` uses for its small agency.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "small-agency-password-2026"  # noqa: S105 - synthetic loopback login


def build(*, facilitators: int, roster: int) -> list[tuple]:
    """One organisation, one program, per facilitator a running cohort of ``roster``
    people with a session yesterday. Answers ``(user, session, enrollment ids)`` each."""
    from django.utils import timezone

    from participants.models import Enrollment, Participant
    from peersupport.models import Membership, Organisation, Role, User
    from programs.models import Cohort, Program, Volunteer
    from sessions.models import Session

    today = timezone.localdate()
    org = Organisation.objects.create(
        name="Small Agency (synthetic)", slug="small-agency", require_mfa=False
    )
    program = Program.objects.create(
        organisation=org,
        code="SMALL",
        name="Peer circles",
        start_date=today - timedelta(days=365),
        status=Program.Status.ACTIVE,
    )
    start = today - timedelta(days=28)
    people = []
    for i in range(1, facilitators + 1):
        user = User.objects.create_user(
            f"small-facilitator-{i:02d}@small.example", PASSWORD, name=f"Facilitator {i:02d}"
        )
        Membership.objects.create(user=user, organisation=org, role=Role.FACILITATOR)
        volunteer = Volunteer.objects.create(
            organisation=org, user=user, name=f"Facilitator {i:02d}", stage=Volunteer.Stage.ACTIVE
        )
        cohort = Cohort.objects.create(
            program=program,
            code=f"C{i:02d}",
            name=f"Circle {i:02d}",
            start_date=start,
            weekday=start.weekday(),
            capacity=roster,
            status=Cohort.Status.RUNNING,
        )
        cohort.facilitators.add(volunteer)
        enrollments = []
        for j in range(1, roster + 1):
            participant = Participant.objects.create(
                organisation=org,
                code=f"S-{i:02d}{j:02d}",
                preferred_name=f"Person {i:02d}-{j:02d}",
                birth_year=1985,
                evaluation_consent=Participant.Consent.YES,
            )
            enrollments.append(
                Enrollment.objects.create(
                    cohort=cohort,
                    participant=participant,
                    status=Enrollment.Status.ENROLLED,
                    enrolled_on=start,
                ).pk
            )
        session = Session.objects.create(
            cohort=cohort,
            number=1,
            date=today - timedelta(days=1),
            status=Session.Status.SCHEDULED,
            duration_minutes=180,
        )
        people.append((user, session, enrollments))
    return people


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database", default=str(Path(tempfile.gettempdir()) / "peersupport_small_agency.sqlite3")
    )
    parser.add_argument("--facilitators", type=int, default=5)
    parser.add_argument("--roster", type=int, default=12)
    parser.add_argument("--taps", type=int, default=40, help="taps per facilitator")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--timeout", type=float, default=60, help="per request, seconds")
    args = parser.parse_args()

    database = Path(args.database)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersupport.settings")
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from bench import load_taps
    from sessions.models import Attendance

    call_command("migrate", verbosity=0)
    built = build(facilitators=args.facilitators, roster=args.roster)
    people = []
    for user, session, enrollments in built:
        client = Client()
        client.force_login(user)
        initial = dict(
            Attendance.objects.filter(session=session).values_list("enrollment_id", "status")
        )
        people.append(
            load_taps.Facilitator(
                user.email, session.pk, enrollments, initial, client.cookies["sessionid"].value
            )
        )
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
    connection.close()
    print(
        f"$ DEBUG=1 .venv/bin/python bench/small_agency.py {' '.join(sys.argv[1:])}\n"
        f"  SQLite {database} (journal mode {journal}), gunicorn with {args.workers} "
        f"workers, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}",
        flush=True,
    )
    server: subprocess.Popen = load_taps.serve(args.port, args.workers)
    url = f"http://127.0.0.1:{args.port}"
    try:
        started_at = timezone.now()
        deadline = time.monotonic() + args.max_seconds
        threads = [
            threading.Thread(
                target=load_taps.run_one, args=(url, p, args.taps, deadline, args.timeout)
            )
            for p in people
        ]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(args.max_seconds + args.timeout + 5)
        elapsed = time.perf_counter() - began
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies = sorted(t for p in people for t in p.latencies)
    errors = [e for p in people for e in p.errors]
    checked, lost, audited = load_taps.check(people, started_at)
    changing = sum(p.changes for p in people)
    answered_ok = len(latencies) - sum(1 for e in errors if "HTTP" in e)
    print(
        f"{len(people)} facilitators, {len(latencies)} taps answered in {elapsed:.1f} s "
        f"({answered_ok / elapsed:.1f} successful taps/s)"
    )
    if latencies:
        p95 = latencies[int(0.95 * (len(latencies) - 1))]
        print(
            f"  latency: median {statistics.median(latencies) * 1000:.1f} ms, "
            f"p95 {p95 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms"
        )
    share = f" ({100 * len(errors) / max(1, len(latencies)):.0f}% of taps)" if errors else ""
    print(f"  errors: {len(errors)}{share}")
    for error in sorted({e.split(": ", 1)[-1] for e in errors})[:5]:
        print(f"    e.g. {error}")
    print(f"  lost writes: {lost} of {checked} tapped rows")
    print(
        f"  audit: {audited} attendance entries for {changing} acknowledged changing taps "
        f"({max(0, changing - audited)} missing)"
    )
    if errors or lost or changing > audited:
        sys.exit(1)


if __name__ == "__main__":
    main()
