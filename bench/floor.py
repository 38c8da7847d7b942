"""The evaluation engine against a floor that computes every figure of the report object.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/peersupport_bench \\
        .venv/bin/python bench/floor.py [--program NAT] [--repeat 7] [--scale S]

The floor is what a competent analyst would write by hand for the all-years report of
one program (``figures.report_all_years``: every program year and the total): three SQL
queries (dosage and participation, survey counts, matched pre/post pairs), each grouped
by program year with ``GROUPING SETS`` for the total, then the statistics on the pairs
in plain Python (means, sample SD, the paired t-test with SciPy's t distribution, the
signed-rank test with ``evaluation.signedrank``: the same exact test the app uses).
Nothing of the app's ORM code is used.

The script first checks that the floor and the engine agree on every figure the engine
shows (suppressed figures excepted), then times them alternately, ``--repeat`` times
each after a warm-up, and prints the medians and the ratio engine / floor.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

#: Enrollments of the program's cohorts that started between its start and today, with
#: their program year (the spec's periods), and the consent of their participant.
ENROLLMENTS = """
    SELECT en.id, en.participant_id, en.status, en.cohort_id,
           COALESCE(en.enrolled_on, c.start_date) AS since,
           extract(year FROM age(c.start_date, p.start_date))::int + 1 AS year,
           pa.evaluation_consent = 'yes' AS consented
    FROM participants_enrollment en
    JOIN programs_cohort c ON c.id = en.cohort_id
    JOIN programs_program p ON p.id = c.program_id
    JOIN participants_participant pa ON pa.id = en.participant_id
    WHERE c.program_id = %(program)s
      AND c.start_date >= p.start_date AND c.start_date <= %(today)s
      AND en.status IN ('enrolled', 'completed', 'withdrawn')
"""

DOSAGE = f"""
WITH e AS MATERIALIZED ({ENROLLMENTS}),
dose AS (
    SELECT e.year, count(*) AS offered, count(a.id) AS attended
    FROM e
    JOIN groupsessions_session s
      ON s.cohort_id = e.cohort_id AND s.status = 'held' AND s.date >= e.since
    LEFT JOIN groupsessions_attendance a
      ON a.session_id = s.id AND a.enrollment_id = e.id AND a.status IN ('present', 'late')
    GROUP BY GROUPING SETS ((e.year), ())
), people AS (
    SELECT e.year, count(*) AS enrollments, count(DISTINCT e.participant_id) AS participants,
           count(*) FILTER (WHERE e.status = 'completed') AS completed
    FROM e GROUP BY GROUPING SETS ((e.year), ())
)
SELECT p.year, p.enrollments, p.participants, COALESCE(d.offered, 0), COALESCE(d.attended, 0),
       p.completed
FROM people p LEFT JOIN dose d ON d.year IS NOT DISTINCT FROM p.year
"""

COUNTS = f"""
WITH e AS MATERIALIZED ({ENROLLMENTS})
SELECT e.year, ad.instrument_code,
       count(*) FILTER (WHERE ad.is_complete AND ad.score IS NOT NULL
                        AND ad.timepoint = 'pre') AS pre_n,
       count(*) FILTER (WHERE ad.is_complete AND ad.score IS NOT NULL
                        AND ad.timepoint = 'post') AS post_n,
       count(*) FILTER (WHERE NOT ad.is_complete OR ad.score IS NULL) AS incomplete_n,
       count(*) FILTER (WHERE ad.is_complete AND ad.score IS NOT NULL AND ad.timepoint = 'post'
                        AND ad.score >= t.target_score) AS meet_n
FROM e
JOIN surveys_administration ad ON ad.enrollment_id = e.id
JOIN unnest(%(codes)s::text[], %(targets)s::float8[]) AS t(code, target_score)
  ON t.code = ad.instrument_code
WHERE e.consented
GROUP BY GROUPING SETS ((e.year, ad.instrument_code), (ad.instrument_code))
"""

PAIRS = f"""
WITH e AS MATERIALIZED ({ENROLLMENTS})
SELECT e.year, ad.instrument_code,
       max(ad.score) FILTER (WHERE ad.timepoint = 'pre') AS pre,
       max(ad.score) FILTER (WHERE ad.timepoint = 'post') AS post
FROM e
JOIN surveys_administration ad ON ad.enrollment_id = e.id
WHERE e.consented AND ad.is_complete AND ad.score IS NOT NULL
  AND ad.instrument_code = ANY(%(codes)s) AND ad.timepoint IN ('pre', 'post')
GROUP BY e.year, ad.instrument_code, e.id
HAVING count(*) FILTER (WHERE ad.timepoint = 'pre') > 0
   AND count(*) FILTER (WHERE ad.timepoint = 'post') > 0
ORDER BY e.id
"""


def outcome(pairs: list[tuple[float, float]]) -> dict:
    """Means, change, SD, paired t-test and signed-rank p of matched (pre, post) pairs."""
    from scipy.stats import t as t_distribution

    from evaluation.signedrank import signed_rank

    n = len(pairs)
    if n == 0:
        return {"matched_n": 0}
    changes = [post - pre for pre, post in pairs]
    out = {
        "matched_n": n,
        "pre_mean": math.fsum(p for p, _ in pairs) / n,
        "post_mean": math.fsum(q for _, q in pairs) / n,
        "mean_change": math.fsum(changes) / n,
    }
    if n > 1:
        sd = statistics.stdev(changes)
        out["sd_change"] = sd
        if sd > 0:
            t = out["mean_change"] / (sd / math.sqrt(n))
            out["t"] = t
            out["p_value"] = float(2 * t_distribution.sf(abs(t), n - 1))
            out["effect_size_dz"] = out["mean_change"] / sd
    result = signed_rank(changes)
    if result is not None and result.p_value is not None:
        out["wilcoxon_p"] = result.p_value
        out["wilcoxon_method"] = result.method
    return out


def floor_report(program, codes: list[str], targets: list[float | None]) -> dict:
    """Every figure of the all-years report, by year (None: the total)."""
    from django.db import connection
    from django.utils import timezone

    params = {
        "program": program.pk,
        "today": timezone.localdate(),
        "codes": codes,
        "targets": targets,
    }
    figures: dict = defaultdict(lambda: {"instruments": defaultdict(dict)})
    with connection.cursor() as cursor:
        cursor.execute(DOSAGE, params)
        for year, enrollments, participants, offered, attended, completed in cursor.fetchall():
            figures[year].update(
                enrollments=enrollments,
                participants=participants,
                sessions_offered_mean=offered / enrollments,
                sessions_attended_mean=attended / enrollments,
                attendance_rate=attended / offered if offered else None,
                completion_rate=completed / enrollments,
            )
        cursor.execute(COUNTS, params)
        target_of = dict(zip(codes, targets, strict=True))
        for year, code, pre_n, post_n, incomplete_n, meet_n in cursor.fetchall():
            has_target = target_of[code] is not None
            figures[year]["instruments"][code].update(
                pre_n=pre_n,
                post_n=post_n,
                incomplete_n=incomplete_n,
                post_meeting_target_n=meet_n if has_target else None,
                post_meeting_target_pct=100 * meet_n / post_n if has_target and post_n else None,
            )
        cursor.execute(PAIRS, params)
        pairs: dict = defaultdict(list)
        for year, code, pre, post in cursor.fetchall():
            pairs[(year, code)].append((pre, post))
            pairs[(None, code)].append((pre, post))
    for (year, code), found in pairs.items():
        figures[year]["instruments"][code].update(outcome(found))
    return figures


def disagreements(engine: dict, floor: dict) -> list[str]:
    problems = []
    for obj in [*engine["years"], engine["total"]]:
        year = obj["year"]
        mine = floor.get(year, {})
        if not obj.get("enrollments"):
            continue
        for key, value in obj.items():
            if key in ("program", "year", "period_start", "period_end", "suppressed"):
                continue
            if key == "instruments":
                for code, stats in value.items():
                    for name, got in stats.items():
                        if name in ("target_score", "target_pct") or got is None:
                            continue
                        expected = mine.get("instruments", {}).get(code, {}).get(name)
                        if not _close(got, expected):
                            problems.append(f"year {year} {code}.{name}: {got} vs {expected}")
            elif value is not None and not _close(value, mine.get(key)):
                problems.append(f"year {year} {key}: {value} vs {mine.get(key)}")
    return problems


def _close(a, b) -> bool:
    if b is None:
        return False
    if isinstance(a, str) or isinstance(b, str):  # e.g. the Wilcoxon method
        return a == b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)


def print_samples(what: str, samples: dict[str, list[float]], repeat: int) -> None:
    """The heading (data set, CPUs, load) and each timing's median, min and max."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"{what} ({common.ORG_SIZE_LABEL}); "
        f"{os.cpu_count()} CPUs, load average {load}; {repeat} runs each, alternated"
    )
    for name, values in samples.items():
        print(
            f"  {name:>7}: median {statistics.median(values) * 1000:.0f} ms "
            f"(min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f})"
        )


def compare_processes(args) -> None:
    """``manage.py evaluation_report --program P --all-years`` (JSON to a pipe) against
    ``bench/floor.py --floor-once`` (the floor's figures as JSON), each a new process,
    alternately: start-up included, as users see it."""
    import subprocess

    python = sys.executable
    commands = {
        "command": [python, "manage.py", "evaluation_report", "--program", args.program,
                    "--all-years", "--format", "json"],
        "floor": [python, "bench/floor.py", "--program", args.program, "--floor-once"],
    }  # fmt: skip
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(args.repeat + 1):  # the first round warms the caches
        for name, command in commands.items():
            started = time.perf_counter()
            subprocess.run(command, cwd=common.ROOT, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
            if round_:
                samples[name].append(time.perf_counter() - started)
    print_samples(f"all-years report of {args.program} as a process", samples, args.repeat)
    ratio = statistics.median(samples["command"]) / statistics.median(samples["floor"])
    print(f"  ratio command / floor script: {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--program", default=common.LARGE_PROGRAM)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument(
        "--processes",
        action="store_true",
        help="time the command as users run it (manage.py evaluation_report, a process of "
        "its own) against this script computing the floor once (--floor-once), alternately",
    )
    parser.add_argument("--floor-once", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    common.set_scale(args.scale)
    if args.processes:
        return compare_processes(args)
    common.setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    from evaluation import figures
    from programs.models import Program
    from surveys.models import Instrument, ProgramInstrument

    program = Program.objects.get(code=args.program)
    codes = sorted(
        ProgramInstrument.objects.filter(program=program).values_list("instrument_code", flat=True)
    )
    current = {
        i.code: i.target_score
        for i in Instrument.objects.filter(
            organisation_id=program.organisation_id, code__in=codes, is_current=True
        )
    }
    targets = [current.get(code) for code in codes]

    def engine():
        return figures.report_all_years(program)

    def floor():
        return floor_report(program, codes, targets)

    if args.floor_once:
        json.dump(floor(), sys.stdout, default=str)
        return
    problems = disagreements(engine(), floor())
    with CaptureQueriesContext(connection) as engine_queries:
        engine()
    samples: dict[str, list[float]] = {"engine": [], "floor": []}
    with override_settings(DEBUG=False):
        engine()
        floor()
        for _ in range(args.repeat):  # alternated: a change in load hits both alike
            for name, fn in (("floor", floor), ("engine", engine)):
                started = time.perf_counter()
                fn()
                samples[name].append(time.perf_counter() - started)
    print_samples(f"all-years report of {program.code}", samples, args.repeat)
    print(f"  engine queries: {len(engine_queries)}; floor queries: 3")
    ratio = statistics.median(samples["engine"]) / statistics.median(samples["floor"])
    print(f"  ratio engine / floor: {ratio:.2f}")
    if problems:
        print(f"  ENGINE AND FLOOR DISAGREE on {len(problems)} figures, e.g.:")
        for problem in problems[:15]:
            print(f"    {problem}")
        sys.exit(1)
    print("  engine and floor agree on every figure of every program year and the total")


if __name__ == "__main__":
    main()
