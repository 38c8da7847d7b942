"""Exports at national scale: streamed CSV against PostgreSQL's own COPY, and peak memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/peersupport_bench \\
        .venv/bin/python bench/export_bench.py [--program NAT] [--kinds dataset,attendance]
        [--repeat 3]

Needs the data set of ``bench/build_dataset.py`` (run it first). For each export it runs
two child processes, so each has its own peak memory:

- ``export``: the exporter's rows written by the CSV writer exactly as the download view
  streams them (``services.csv_stream``: a server-side cursor, chunks of bytes), into a
  byte counter;
- ``copy``: ``COPY (<the exporter's main query>) TO STDOUT WITH CSV`` for the same rows,
  read through psycopg (what PostgreSQL alone costs for the exporter's own plan);
- ``floor`` (the dataset): ``COPY`` of a hand-written SELECT of the same columns
  (``dataset_floor_sql``: aggregates joined once, no correlated subqueries), checked to
  give the exporter's rows; the honest reference for the dataset export.

It prints rows, bytes, seconds, rows per second and the child's peak RSS for both, and
the ratio of throughputs. Targets (issue 7): peak RSS under 250 MB and at least a third
of COPY's throughput. The exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

TARGET_PEAK_MB = 250
TARGET_RATIO = 1 / 3


def _exporter(program_code: str, kind: str):
    from exports import privacy, services
    from exports.base import ExportOptions
    from programs.models import Program

    program = Program.objects.get(code=program_code, organisation__slug="bench-national")
    options = ExportOptions(external=True, pseudonym_key=privacy.pseudonym_key(privacy.new_salt()))
    return services.make_exporter(program, kind, options)


def child_export(program_code: str, kind: str) -> dict:
    from exports import services

    exporter = _exporter(program_code, kind)
    started = time.perf_counter()
    n_bytes = 0
    for chunk in services.csv_stream(exporter, "data"):
        n_bytes += len(chunk)
    elapsed = time.perf_counter() - started
    # Rows: the CSV has one line per row plus the header (no field holds a line break).
    return {"seconds": elapsed, "bytes": n_bytes, "rows": None}


def child_copy(program_code: str, kind: str) -> dict:
    from django.db import connection

    exporter = _exporter(program_code, kind)
    sql, params = exporter.queryset().query.sql_with_params()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor
        query = raw.mogrify(sql, params) if params else sql
        started = time.perf_counter()
        n_bytes = rows = 0
        with raw.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
            for block in copy:
                n_bytes += len(block)
                rows += bytes(block).count(b"\n")
        elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "bytes": n_bytes, "rows": rows - 1}


def dataset_floor_sql(exporter) -> tuple[str, list]:
    """A hand-written SELECT with the dataset export's columns (period "all", no dates):
    the enrollments, then sessions offered, attended (in all and per module) and the
    score of each instrument and timepoint, each aggregated once by enrollment and
    joined (hash joins), instead of one correlated subquery per column and row."""
    from exports.dataset import TIMEPOINTS
    from exports.scope import COUNTED_STATUSES

    modules = [pk for pk, _order, _name in exporter.modules]
    codes = [code for code, _name, _version in exporter.instruments]
    per_module = "".join(
        f", count(*) FILTER (WHERE s.module_id = {int(pk)}) AS m{n}" for n, pk in enumerate(modules)
    )
    scores = ", ".join(
        f"max(ad.score) FILTER (WHERE ad.instrument_code = %s AND ad.timepoint = '{tp}' "
        f"AND ad.is_complete) AS s{n}_{tp}"
        for n, _code in enumerate(codes)
        for tp in TIMEPOINTS
    )
    score_params = [code for code in codes for _tp in TIMEPOINTS]
    sql = f"""
    WITH e AS MATERIALIZED (
        SELECT en.id, en.participant_id, c.code, c.start_date, pa.birth_year,
               pa.gender_identity, pa.indigenous_identity, pa.racialised, en.status,
               en.enrolled_on, en.exit_date, en.cohort_id,
               COALESCE(en.enrolled_on, c.start_date) AS since
        FROM participants_enrollment en
        JOIN programs_cohort c ON c.id = en.cohort_id
        JOIN participants_participant pa ON pa.id = en.participant_id
        WHERE c.program_id = %s AND en.status = ANY(%s)
          AND pa.evaluation_consent = 'yes' AND pa.erased_at IS NULL
    ), offered AS (
        SELECT e.id, count(*) AS offered FROM e
        JOIN groupsessions_session s
          ON s.cohort_id = e.cohort_id AND s.status = 'held' AND s.date >= e.since
        GROUP BY e.id
    ), attended AS (
        SELECT e.id, count(*) AS attended{per_module} FROM e
        JOIN groupsessions_attendance a ON a.enrollment_id = e.id
        JOIN groupsessions_session s ON s.id = a.session_id
        WHERE a.status IN ('present', 'late') AND s.status = 'held'
          AND s.cohort_id = e.cohort_id AND s.date >= e.since
        GROUP BY e.id
    ), scores AS (
        SELECT ad.enrollment_id AS id{", " + scores if scores else ""}
        FROM surveys_administration ad JOIN e ON e.id = ad.enrollment_id
        GROUP BY ad.enrollment_id
    )
    SELECT e.participant_id, e.code, e.start_date, e.birth_year, e.gender_identity,
           e.indigenous_identity, e.racialised, e.status, e.enrolled_on, e.exit_date,
           COALESCE(o.offered, 0), COALESCE(a.attended, 0)
           {"".join(f", COALESCE(a.m{n}, 0)" for n in range(len(modules)))}
           {"".join(f", sc.s{n}_{tp}" for n in range(len(codes)) for tp in TIMEPOINTS)}
    FROM e LEFT JOIN offered o ON o.id = e.id LEFT JOIN attended a ON a.id = e.id
    LEFT JOIN scores sc ON sc.id = e.id
    ORDER BY e.start_date, e.code, e.id
    """
    return sql, [exporter.program.pk, list(COUNTED_STATUSES), *score_params]


def child_floor(program_code: str, kind: str) -> dict:
    """COPY of the hand-written equivalent SELECT (the dataset only)."""
    from django.db import connection

    if kind != "dataset":
        return child_copy(program_code, kind)
    exporter = _exporter(program_code, kind)
    sql, params = dataset_floor_sql(exporter)
    # The floor must give the exporter's rows, column for column.
    ours = list(exporter.queryset()[:200])
    with connection.cursor() as cursor:
        cursor.execute(sql + " LIMIT 200", params)
        theirs = cursor.fetchall()
    assert [tuple(r) for r in ours] == [tuple(r) for r in theirs], (ours[:2], theirs[:2])
    with connection.cursor() as cursor:
        raw = cursor.cursor
        query = raw.mogrify(sql, params)
        started = time.perf_counter()
        n_bytes = rows = 0
        with raw.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
            for block in copy:
                n_bytes += len(block)
                rows += bytes(block).count(b"\n")
        elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "bytes": n_bytes, "rows": rows - 1}


def child(mode: str, program_code: str, kind: str) -> None:
    common.setup_django()
    from django.db import connection

    connection.ensure_connection()
    result = {"export": child_export, "copy": child_copy, "floor": child_floor}[mode](
        program_code, kind
    )
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["peak_rss_mb"] = usage.ru_maxrss / 1024
    print("RESULT " + json.dumps(result), flush=True)


def run_child(mode: str, program_code: str, kind: str) -> dict:
    out = subprocess.run(  # noqa: S603 - our own script and interpreter
        [sys.executable, __file__, "--child", mode, "--program", program_code, "--kinds", kind],
        capture_output=True,
        text=True,
        env=os.environ,
        check=False,
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-4000:])
        sys.exit(f"{mode} {kind} failed (exit {out.returncode})")
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--program", default=common.LARGE_PROGRAM)
    parser.add_argument("--kinds", default="dataset,attendance")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the median is kept")
    parser.add_argument("--child", choices=("export", "copy", "floor"))
    args = parser.parse_args()
    common.bench_database_url()
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghij")
    os.environ.setdefault("FIELD_ENCRYPTION_KEY", "YmVuY2gtb25seS1maWVsZC1rZXktMDEyMzQ1Njc4OWE=")
    os.environ.setdefault("NAME_INDEX_KEY", "bench-only-name-index-key-0123456789abcdef")
    os.environ.setdefault("DEBUG", "0")
    if args.child:
        child(args.child, args.program, args.kinds)
        return
    failed = False
    print(f"program {args.program}; targets: peak RSS < {TARGET_PEAK_MB} MB, "
          f"throughput >= {TARGET_RATIO:.2f} x COPY")  # fmt: skip
    for kind in args.kinds.split(","):
        runs: dict[str, list[dict]] = {"copy": [], "floor": [], "export": []}
        for _ in range(args.repeat):  # alternated: a change in load hits each alike
            for mode in runs:
                runs[mode].append(run_child(mode, args.program, kind))
        copy, floor, export = (
            sorted(runs[m], key=lambda r: r["seconds"])[len(runs[m]) // 2] for m in runs
        )  # the medians
        rows = copy["rows"]
        copy_rate = rows / copy["seconds"]
        export_rate = rows / export["seconds"]
        floor_rate = rows / floor["seconds"]
        ratio = export_rate / copy_rate
        for label, r, rate in (
            ("COPY own query", copy, copy_rate),
            ("COPY floor", floor, floor_rate),
            ("export (CSV)", export, export_rate),
        ):
            print(
                f"{kind:<11} {label:<15} {rows:>9,} rows {r['bytes'] / 1e6:8.1f} MB "
                f"{r['seconds']:7.2f} s {rate:>10,.0f} rows/s  peak RSS {r['peak_rss_mb']:6.0f} MB"
            )
        ok = export["peak_rss_mb"] < TARGET_PEAK_MB and ratio >= TARGET_RATIO
        failed |= not ok
        print(f"{kind:<11} ratio export/COPY {ratio:.2f}  {'OK' if ok else 'MISSED'}")
        print(
            f"{kind:<11} export takes {export['seconds'] / floor['seconds']:.2f}x the time of "
            "the hand-written floor"
            + ("" if kind == "dataset" else " (no floor written for this kind: its own query)")
        )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
