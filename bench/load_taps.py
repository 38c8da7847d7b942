"""Fifty facilitators tapping attendance at once against a server on 127.0.0.1.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/peersupport_bench \\
        .venv/bin/python bench/load_taps.py --serve [--facilitators 50] [--taps 40]

With ``--serve`` the script starts gunicorn on 127.0.0.1 itself (``--workers``,
default 4) and stops it at the end; without it, pass ``--url`` of a server you started
on the loopback interface with the same DATABASE_URL. Each facilitator (the 50
``bench-facilitator-NN`` logins of the data set, each running one cohort of the large
program) opens the attendance sheet of a recent session of their cohort, then taps
``--taps`` times through their roster, cycling the status, as fast as the server
answers. The run is bounded: at most ``--taps`` taps each and ``--max-seconds`` in all.

It reports the latency of the taps, every error (a non-200 answer, a refused or
dropped connection, a timeout), and lost writes: after the run, every tapped row
must hold the status of the last tap the server acknowledged for it, and the audit
log must hold one entry for every tap that changed a row.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

STATUSES = ["present", "late", "absent", "excused"]


@dataclass
class Facilitator:
    email: str
    session_id: int
    enrollments: list[int]
    initial: dict[int, str]
    cookie: str = ""
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    acknowledged: dict[int, str] = field(default_factory=dict)
    changes: int = 0


def plan(n: int) -> list[Facilitator]:
    from django.test import Client

    from bench.run import tap_target
    from peersupport.models import User
    from sessions.models import Attendance

    people = []
    for i in range(1, n + 1):
        email = common.load_facilitator_email(i)
        user = User.objects.filter(email=email).first()
        if user is None:
            sys.exit(f"{email} is missing: rebuild the data set (bench/build_dataset.py --fresh).")
        session, roster = tap_target(user)
        if session is None or not roster:
            sys.exit(f"{email} has no session that can take attendance today; rebuild.")
        initial = dict(
            Attendance.objects.filter(session=session, enrollment_id__in=roster).values_list(
                "enrollment_id", "status"
            )
        )
        client = Client()
        client.force_login(user)
        people.append(
            Facilitator(email, session.pk, roster, initial, client.cookies["sessionid"].value)
        )
    return people


def run_one(base: str, person: Facilitator, taps: int, deadline: float, timeout: float) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    host = urllib.parse.urlsplit(base).hostname
    jar.set_cookie(
        http.cookiejar.Cookie(
            0, "sessionid", person.cookie, None, False, host, False, False, "/", True,
            False, None, True, None, None, {},
        )
    )  # fmt: skip
    sheet = f"{base}/sessions/session/{person.session_id}/attendance/"
    try:
        with opener.open(sheet, timeout=timeout) as response:
            response.read()
    except OSError as exc:  # refused, reset, timed out
        person.errors.append(f"sheet: {exc}")
        return
    token = next((c.value for c in jar if c.name == "csrftoken"), "")
    current = dict(person.initial)
    for i in range(taps):
        if time.monotonic() > deadline:
            person.errors.append("stopped at the time limit")
            return
        enrollment = person.enrollments[i % len(person.enrollments)]
        status = STATUSES[(i // len(person.enrollments) + enrollment) % len(STATUSES)]
        body = urllib.parse.urlencode({"enrollment": enrollment, "status": status}).encode()
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only (checked)
            f"{sheet}mark/",
            data=body,
            headers={"X-CSRFToken": token, "HX-Request": "true", "Referer": sheet},
        )
        started = time.perf_counter()
        try:
            with opener.open(request, timeout=timeout) as response:
                response.read()
                code = response.status
        except urllib.error.HTTPError as exc:
            code = exc.code
        except OSError as exc:  # refused, reset, timed out
            person.errors.append(f"tap {i}: {exc}")
            continue
        person.latencies.append(time.perf_counter() - started)
        if code != 200:
            person.errors.append(f"tap {i}: HTTP {code}")
            continue
        person.acknowledged[enrollment] = status
        if current.get(enrollment) != status:
            person.changes += 1
            current[enrollment] = status


def serve(port: int, workers: int) -> subprocess.Popen:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(  # noqa: S603 - fixed arguments, our own virtualenv
        [
            str(gunicorn),
            "peersupport.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=common.ROOT,
        env=os.environ.copy(),
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/accounts/login/", timeout=5) as response:  # noqa: S310
                    if response.status == 200:
                        return process
            except OSError:  # refused while starting, or too slow to answer yet
                time.sleep(0.5)
    except BaseException:
        process.terminate()
        raise
    process.terminate()
    sys.exit("gunicorn did not answer on 127.0.0.1 within 90 s")


def check(people: list[Facilitator], started_at) -> tuple[int, int, int]:
    """(rows checked, lost writes, attendance audit entries written by these users)."""
    from peersupport.models import AuditEntry, User
    from sessions.models import Attendance

    checked = lost = 0
    for person in people:
        final = dict(
            Attendance.objects.filter(
                session_id=person.session_id, enrollment_id__in=list(person.acknowledged)
            ).values_list("enrollment_id", "status")
        )
        for enrollment, status in person.acknowledged.items():
            checked += 1
            if final.get(enrollment) != status:
                lost += 1
    users = User.objects.filter(email__in=[p.email for p in people])
    audited = AuditEntry.objects.filter(
        actor__in=users, created_at__gte=started_at, object_type__icontains="attendance"
    ).count()
    return checked, lost, audited


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8765")
    parser.add_argument("--serve", action="store_true", help="start and stop gunicorn here")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--facilitators", type=int, default=common.LOAD_FACILITATORS)
    parser.add_argument("--taps", type=int, default=40, help="taps per facilitator")
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--timeout", type=float, default=60, help="per request, seconds")
    args = parser.parse_args()
    parts = urllib.parse.urlsplit(args.url)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost"):
        sys.exit("The load test only runs against http://127.0.0.1.")
    if not 1 <= args.facilitators <= common.LOAD_FACILITATORS:
        sys.exit(f"--facilitators must be 1..{common.LOAD_FACILITATORS}")
    common.setup_django()
    from django.utils import timezone

    print(
        f"$ DATABASE_URL=$BENCH_DB .venv/bin/python bench/load_taps.py {' '.join(sys.argv[1:])}",
        flush=True,
    )
    people = plan(args.facilitators)
    # Stopped from outside (SIGTERM, e.g. by ``timeout``): still stop the server we started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    server = serve(parts.port or 80, args.workers) if args.serve else None
    try:
        started_at = timezone.now()
        deadline = time.monotonic() + args.max_seconds
        threads = [
            threading.Thread(target=run_one, args=(args.url, p, args.taps, deadline, args.timeout))
            for p in people
        ]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(args.max_seconds + args.timeout + 5)
        elapsed = time.perf_counter() - began
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    latencies = sorted(t for p in people for t in p.latencies)
    errors = [f"{p.email}: {e}" for p in people for e in p.errors]
    checked, lost, audited = check(people, started_at)
    changing = sum(p.changes for p in people)
    # A tap the client gave up on may still have been saved (and audited), so only
    # fewer entries than acknowledged changes is a loss.
    missing = max(0, changing - audited)
    print(
        f"{len(people)} facilitators, {len(latencies)} taps answered in {elapsed:.1f} s "
        f"({len(latencies) / elapsed:.0f} taps/s)"
    )
    if latencies:
        p95 = latencies[int(0.95 * (len(latencies) - 1))]
        print(
            f"  latency: median {statistics.median(latencies) * 1000:.1f} ms, "
            f"p95 {p95 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms"
        )
    print(f"  errors: {len(errors)}")
    for error in errors[:10]:
        print(f"    {error}")
    print(f"  lost writes: {lost} of {checked} tapped rows")
    print(
        f"  audit: {audited} attendance entries for {changing} acknowledged changing taps "
        f"({missing} missing)"
    )
    if errors or lost or missing:
        sys.exit(1)


if __name__ == "__main__":
    main()
