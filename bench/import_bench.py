"""Time ``import_bundle`` on a national-scale bundle and measure its peak memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/peersupport_import_bench \\
        .venv/bin/python bench/import_bench.py [--participants 100000] [--keep]

Drops and recreates the database ``peersupport_import_bench`` (no other name is
accepted), migrates it, writes a bundle to /tmp (100,000 participants in 5,000 cohorts
of 20, 100,000 sessions, 100,000 enrollments, 2,000,000 attendance rows and 10,000 pre
surveys of 10 items), then runs ``manage.py import_bundle`` in a child process twice:
the first import into the empty database, then the same bundle again (every row
unchanged). Each run prints its wall time and the child's peak RSS
(``resource.getrusage``). The database is dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "peersupport_import_bench"
ORG_SLUG = "bench-import"
SESSIONS = 20
COHORT_SIZE = 20
ITEMS = 10


def checked_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        sys.exit("DATABASE_URL must be a postgres:// URL.")
    if parts.path.lstrip("/") != DB_NAME:
        sys.exit(f"Refusing: the database must be named {DB_NAME}.")
    if (parts.hostname or "") not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("Refusing a database that is not on the loopback interface.")
    return url


def admin_sql(url: str, statement: str) -> None:
    import psycopg

    parts = urlsplit(url)
    conninfo = {
        "host": parts.hostname,
        "port": parts.port or 5432,
        "user": parts.username or "postgres",
        "dbname": "postgres",
    }
    if parts.password:
        conninfo["password"] = parts.password
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(statement)


def write_bundle(folder: Path, participants: int, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    cohorts = participants // COHORT_SIZE
    start = date(2021, 4, 5)
    counts = {}
    with open(folder / "programs.csv", "w") as f:
        f.write(f"code,name,start_date,organisation\nNAT,National circles,2021-04-01,{ORG_SLUG}\n")
    with open(folder / "modules.csv", "w") as f:
        f.write("program_code,order,name,weeks\nNAT,1,Self-esteem,6\nNAT,2,Circle,14\n")
    with open(folder / "instruments.csv", "w") as f:
        f.write("code,name,max_missing,target_score\nGSE,Self-efficacy,2,29\n")
    with open(folder / "instrument_items.csv", "w") as f:
        f.write("instrument_code,item_number,min_value,max_value,reverse,text\n")
        for i in range(1, ITEMS + 1):
            f.write(f"GSE,{i},1,4,{1 if i in (3, 7) else 0},Item {i}\n")
    with open(folder / "cohorts.csv", "w") as f:
        f.write("program_code,cohort_code,start_date,name\n")
        for c in range(cohorts):
            day = start + timedelta(days=7 * (c % 150))
            f.write(f"NAT,C{c:05d},{day.isoformat()},Circle {c}\n")
    with open(folder / "sessions.csv", "w") as f:
        f.write("cohort_code,session_number,date,status,duration_minutes,module_order\n")
        for c in range(cohorts):
            day = start + timedelta(days=7 * (c % 150))
            for n in range(1, SESSIONS + 1):
                status = "cancelled" if n == 13 else "held"
                module = 1 if n <= 6 else 2
                when = (day + timedelta(weeks=n - 1)).isoformat()
                f.write(f"C{c:05d},{n},{when},{status},180,{module}\n")
    with open(folder / "participants.csv", "w") as f:
        f.write("participant_code,consent_evaluation,preferred_name,birth_year\n")
        for p in range(participants):
            consent = "yes" if rng.random() < 0.9 else "no"
            f.write(f"N{p:06d},{consent},Person {p},{rng.randint(1950, 2004)}\n")
    with open(folder / "enrollments.csv", "w") as f:
        f.write("participant_code,cohort_code,enrolled_on,status,exit_date\n")
        for p in range(participants):
            c = p // COHORT_SIZE
            day = start + timedelta(days=7 * (c % 150))
            status = "completed" if rng.random() < 0.8 else "withdrawn"
            f.write(f"N{p:06d},C{c:05d},{day.isoformat()},{status},\n")
    statuses = ["present"] * 7 + ["late", "absent", "excused"]
    rows = 0
    with open(folder / "attendance.csv", "w") as f:
        f.write("participant_code,cohort_code,session_number,status\n")
        for p in range(participants):
            c = p // COHORT_SIZE
            lines = [
                f"N{p:06d},C{c:05d},{n},{statuses[rng.randrange(10)]}\n"
                for n in range(1, SESSIONS + 1)
            ]
            f.writelines(lines)
            rows += len(lines)
    counts["attendance"] = rows
    surveys = min(10_000, participants)
    with open(folder / "survey_responses.csv", "w") as f:
        f.write("participant_code,cohort_code,instrument_code,timepoint,date,item_number,value\n")
        for p in range(surveys):
            c = p // COHORT_SIZE
            day = start + timedelta(days=7 * (c % 150))
            for i in range(1, ITEMS + 1):
                value = "" if rng.random() < 0.02 else str(rng.randint(1, 4))
                f.write(f"N{p:06d},C{c:05d},GSE,pre,{day.isoformat()},{i},{value}\n")
    counts["participants"] = participants
    counts["surveys"] = surveys
    return counts


def child(path: str) -> None:
    """Run in a child process: one import, then print its peak RSS."""
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersupport.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("import_bundle", path, organisation=ORG_SLUG)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"PEAK_RSS_MB {usage.ru_maxrss / 1024:.0f}", flush=True)
    print(f"CPU_S {usage.ru_utime + usage.ru_stime:.1f}", flush=True)


def setup_org() -> None:
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersupport.settings")
    import django

    django.setup()
    from peersupport.models import Organisation

    Organisation.objects.get_or_create(slug=ORG_SLUG, defaults={"name": "Bench import"})


def run_import(path: Path) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--child", str(path)],
        capture_output=True,
        text=True,
        env=os.environ,
        check=False,
    )
    elapsed = time.perf_counter() - started
    sys.stderr.write(result.stderr[-3000:])
    if result.returncode != 0:
        sys.exit(f"import failed (exit {result.returncode}):\n{result.stdout[-3000:]}")
    peak = next(
        (line.split()[1] for line in result.stdout.splitlines() if line.startswith("PEAK_RSS")),
        "?",
    )
    print(result.stdout.strip())
    return elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--child")
    parser.add_argument("--setup-org", action="store_true")
    args = parser.parse_args()
    url = checked_url()
    if args.child:
        child(args.child)
        return
    if args.setup_org:
        setup_org()
        return
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghij")
    os.environ.setdefault("FIELD_ENCRYPTION_KEY", "YmVuY2gtb25seS1maWVsZC1rZXktMDEyMzQ1Njc4OWE=")
    os.environ.setdefault("NAME_INDEX_KEY", "bench-only-name-index-key-0123456789abcdef")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("ALLOWED_HOSTS", "localhost")
    admin_sql(url, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    admin_sql(url, f"CREATE DATABASE {DB_NAME}")
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=os.environ, check=True
    )
    subprocess.run([sys.executable, __file__, "--setup-org"], env=os.environ, check=True)  # noqa: S603
    folder = Path("/tmp/peersupport_import_bench_bundle")  # noqa: S108 - local benchmark data
    started = time.perf_counter()
    counts = write_bundle(folder, args.participants)
    print(f"bundle written to {folder} in {time.perf_counter() - started:.1f} s: {counts}")
    try:
        first, first_peak = run_import(folder)
        print(f"first import: {first:.1f} s wall, peak RSS {first_peak} MB")
        second, second_peak = run_import(folder)
        print(f"same bundle again (all unchanged): {second:.1f} s wall, peak RSS {second_peak} MB")
    finally:
        if not args.keep:
            admin_sql(url, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


if __name__ == "__main__":
    main()
