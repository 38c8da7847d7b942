"""Exports at national scale: streamed CSV against PostgreSQL's own COPY, and peak memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/peersupport_bench \\
        .venv/bin/python bench/export_bench.py [--program NAT] [--kinds dataset,attendance]

Needs the data set of ``bench/build_dataset.py`` (run it first). For each export it runs
two child processes, so each has its own peak memory:

- ``export``: the exporter's rows written by the CSV writer exactly as the download view
  streams them (``services.csv_stream``: a server-side cursor, chunks of bytes), into a
  byte counter;
- ``copy``: ``COPY (<the exporter's main query>) TO STDOUT WITH CSV`` for the same rows,
  read through psycopg.

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


def child(mode: str, program_code: str, kind: str) -> None:
    common.setup_django()
    from django.db import connection

    connection.ensure_connection()
    result = (child_export if mode == "export" else child_copy)(program_code, kind)
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
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the best is kept")
    parser.add_argument("--child", choices=("export", "copy"))
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
        copy = min((run_child("copy", args.program, kind) for _ in range(args.repeat)),
                   key=lambda r: r["seconds"])  # fmt: skip
        export = min((run_child("export", args.program, kind) for _ in range(args.repeat)),
                     key=lambda r: r["seconds"])  # fmt: skip
        rows = copy["rows"]
        copy_rate = rows / copy["seconds"]
        export_rate = rows / export["seconds"]
        ratio = export_rate / copy_rate
        for label, r, rate in (
            ("COPY TO STDOUT", copy, copy_rate),
            ("export (CSV)", export, export_rate),
        ):
            print(
                f"{kind:<11} {label:<15} {rows:>9,} rows {r['bytes'] / 1e6:8.1f} MB "
                f"{r['seconds']:7.2f} s {rate:>10,.0f} rows/s  peak RSS {r['peak_rss_mb']:6.0f} MB"
            )
        ok = export["peak_rss_mb"] < TARGET_PEAK_MB and ratio >= TARGET_RATIO
        failed |= not ok
        print(f"{kind:<11} ratio export/COPY {ratio:.2f}  {'OK' if ok else 'MISSED'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
