"""What the benchmark scripts share: the database guard, the data set's shape, timing.

Every script here refuses to touch a database whose name does not start with
``peersupport_`` and contain ``bench``, or that is not on the loopback interface, so a mistyped
``DATABASE_URL`` can never drop or fill a real database.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB_MARK = "bench"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

#: Logins of the benchmark organisation (synthetic, local only).
BENCH_PASSWORD = "bench-password-2026"  # noqa: S105 - loopback benchmark login
COORDINATOR_EMAIL = "bench-coordinator@bench.example"
FACILITATOR_EMAIL = "bench-facilitator@bench.example"
EVALUATOR_EMAIL = "bench-evaluator@bench.example"
LOAD_FACILITATORS = 50


def load_facilitator_email(n: int) -> str:
    return f"bench-facilitator-{n:02d}@bench.example"


@dataclass(frozen=True)
class OrgPlan:
    slug: str
    name: str
    prefix: str
    participants: int


@dataclass(frozen=True)
class ProgramPlan:
    org: int  # index into ORGS
    code: str
    name: str
    cohorts: int
    start_date: date


#: 100,000 participants in five organisations; the first is national-sized.
ORGS = [
    OrgPlan("bench-national", "Bench National Network (synthetic)", "N", 80_000),
    OrgPlan("bench-east", "Bench East (synthetic)", "E", 5_000),
    OrgPlan("bench-west", "Bench West (synthetic)", "W", 5_000),
    OrgPlan("bench-north", "Bench North (synthetic)", "R", 5_000),
    OrgPlan("bench-south", "Bench South (synthetic)", "S", 5_000),
]
#: 5,000 cohorts; NAT is the one large program.
PROGRAMS = [
    ProgramPlan(0, "NAT", "National peer circles", 3_000, date(2021, 4, 1)),
    ProgramPlan(0, "REGA", "Regional circles A", 500, date(2021, 4, 1)),
    ProgramPlan(0, "REGB", "Regional circles B", 500, date(2022, 4, 1)),
    ProgramPlan(1, "EAST", "East circles", 250, date(2021, 4, 1)),
    ProgramPlan(2, "WEST", "West circles", 250, date(2021, 4, 1)),
    ProgramPlan(3, "NORTH", "North circles", 250, date(2021, 4, 1)),
    ProgramPlan(4, "SOUTH", "South circles", 250, date(2021, 4, 1)),
]
LARGE_PROGRAM = "NAT"
SESSIONS_PER_COHORT = 20
SEATS_PER_COHORT = 21  # 105,000 enrollments: 5% of people come back for a second cohort
ITEMS_PER_INSTRUMENT = 10


#: The scale of the data set (``--scale`` of build_dataset.py): 1 is the national set.
SCALE = 1.0


def set_scale(scale: float) -> None:
    """Scale participants and cohorts (so sessions, enrollments, attendance and answers)
    by ``scale``: 0.1 is a tenth of the national set, 3 three times it."""
    global SCALE, ORGS, PROGRAMS, ORG_SIZE_LABEL
    if not 0 < scale <= 10:
        sys.exit("--scale must be above 0 and at most 10.")
    SCALE = scale
    ORGS = [
        OrgPlan(o.slug, o.name, o.prefix, max(100, round(o.participants * scale)))
        for o in _NATIONAL_ORGS
    ]
    PROGRAMS = [
        ProgramPlan(p.org, p.code, p.name, max(5, round(p.cohorts * scale)), p.start_date)
        for p in _NATIONAL_PROGRAMS
    ]
    ORG_SIZE_LABEL = f"scale {scale:g}: organisation of {ORGS[0].participants:,} participants"


_NATIONAL_ORGS, _NATIONAL_PROGRAMS = list(ORGS), list(PROGRAMS)
ORG_SIZE_LABEL = "scale 1: organisation of 80,000 participants"


def bench_database_url() -> str:
    """DATABASE_URL, checked: a loopback PostgreSQL database whose name starts with
    ``peersupport_`` and contains ``bench`` (peersupport_bench, peersupport_x_bench_3 …)."""
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit("DATABASE_URL must be a postgres:// URL (the benchmarks need PostgreSQL).")
    if not (name.startswith("peersupport_") and BENCH_DB_MARK in name):
        sys.exit(
            f"Refusing to use database {name!r}: its name must start with peersupport_ "
            f"and contain {BENCH_DB_MARK!r}."
        )
    if (parts.hostname or "") not in LOOPBACK:
        sys.exit("Refusing a database that is not on 127.0.0.1.")
    return url


def setup_django() -> None:
    bench_database_url()
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersupport.settings")
    import django

    django.setup()


@dataclass
class Timing:
    label: str
    samples: list[float]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def min_ms(self) -> float:
        return min(self.samples) * 1000

    @property
    def max_ms(self) -> float:
        return max(self.samples) * 1000

    def line(self) -> str:
        return (
            f"{self.label}: median {self.median_ms:.1f} ms "
            f"(min {self.min_ms:.1f}, max {self.max_ms:.1f}, n={len(self.samples)})"
        )


def time_it(label: str, fn: Callable[[], object], *, repeat: int, warmup: int = 1) -> Timing:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return Timing(label, samples)


class Stopwatch:
    """Prints how long each step of a long job took, and the total."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.last = self.started

    def step(self, label: str, extra: str = "") -> None:
        now = time.perf_counter()
        print(f"  {now - self.last:7.1f} s  {label}{('  ' + extra) if extra else ''}", flush=True)
        self.last = now

    def total(self) -> float:
        return time.perf_counter() - self.started
