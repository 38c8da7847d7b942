"""Offline attendance: how fast the server applies a phone's queue, and how much the phone
keeps per session (docs/offline.md).

    DEBUG=1 .venv/bin/python bench/offline_sync.py [--roster 20] [--taps 200] [--batch 200]

Builds a fresh SQLite file (``--database``; ``--database-url`` for another database, e.g.
PostgreSQL, which must be empty) with one facilitator and one cohort of ``--roster``
people (``bench/small_agency.py``'s ``build``), then sends ``--taps`` taps made offline,
one minute apart, going round the roster, to the sync endpoint in requests of
``--batch`` taps (session cookie, JSON, as the phone does), and reports taps applied per
second. It sends the same queue again (a phone that did not hear the answer) and reports
that rate too, then checks every person's status is their last tap's and that each
change has exactly one audit entry. Last, it asks for the rosters as My sessions does and
reports the bytes the phone keeps for the session and for one queued tap.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATUSES = ("present", "late", "absent", "excused")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database", default=str(Path(tempfile.gettempdir()) / "peersupport_offline.sqlite3")
    )
    parser.add_argument("--database-url", default="")
    parser.add_argument("--roster", type=int, default=20)
    parser.add_argument("--taps", type=int, default=200)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()

    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
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
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from bench.small_agency import build
    from peersupport.models import AuditEntry
    from sessions.models import Attendance
    from sessions.offline import owner_token

    call_command("migrate", verbosity=0)
    ((user, session, enrollments),) = build(facilitators=1, roster=args.roster)
    # Today's session: the phone keeps it and taps are within the editing window.
    session.date = timezone.localdate()
    session.save(update_fields=["date"])
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    url = reverse("groupsessions:offline_sync")

    start = timezone.now() - timedelta(minutes=args.taps + 5)
    queue = []
    for i in range(args.taps):
        queue.append(
            {
                "id": str(uuid.uuid4()),
                "kind": "tap",
                "session": session.pk,
                "enrollment": enrollments[i % len(enrollments)],
                "status": STATUSES[(i // len(enrollments)) % len(STATUSES)],
                "at": int((start + timedelta(minutes=i)).timestamp() * 1000),
                "owner": owner_token(user),
            }
        )

    def send(label: str) -> list[dict]:
        answers: list[dict] = []
        began = time.perf_counter()
        for at in range(0, len(queue), args.batch):
            body = {
                "owner": owner_token(user),
                "sent": int(time.time() * 1000),
                "changes": queue[at : at + args.batch],
            }
            response = client.post(url, json.dumps(body), content_type="application/json")
            assert response.status_code == 200, response.content[:300]
            answers += response.json()["answers"]
        seconds = time.perf_counter() - began
        results: dict[str, int] = {}
        for answer in answers:
            results[answer["result"]] = results.get(answer["result"], 0) + 1
        print(
            f"{label}: {len(queue)} taps in {seconds:.2f} s = {len(queue) / seconds:.0f} taps/s "
            f"({', '.join(f'{k} {v}' for k, v in sorted(results.items()))})"
        )
        return answers

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        send("first send")
    print(f"queries per tap: {len(queries) / len(queue):.1f}")
    send("sent again")
    expected = {}
    for tap in queue:
        expected[tap["enrollment"]] = tap["status"]
    saved = dict(Attendance.objects.filter(session=session).values_list("enrollment_id", "status"))
    print("every person holds their last tap:", saved == expected)
    audits = AuditEntry.objects.filter(action="attendance.set").count()
    changes = len(queue) - sum(
        1
        for i, tap in enumerate(queue)
        if i >= len(enrollments) and queue[i - len(enrollments)]["status"] == tap["status"]
    )
    print(f"audit entries for attendance: {audits} (changes made: {changes})")

    body = client.get(url + "?rosters=1").json()
    kept = body["sessions"][0]
    kept["savedAt"] = int(time.time() * 1000)
    size = len(json.dumps(kept, separators=(",", ":")).encode())
    print(
        f"kept on the phone for a session of {len(kept['people'])} people: {size} bytes "
        f"({size / len(kept['people']):.0f} per person); one queued tap: "
        f"{len(json.dumps(queue[0], separators=(',', ':')).encode())} bytes"
    )


if __name__ == "__main__":
    main()
