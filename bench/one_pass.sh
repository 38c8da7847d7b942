#!/usr/bin/env bash
# Every figure of docs/benchmarks.md's first table, one command after the other, each
# line stamped with the time and the load average (run it on a quiet machine).
#
#   bash bench/one_pass.sh [PART...]     # parts: pages job floor exports import (all by default)
#
# Needs the data sets of "Data sets" in docs/benchmarks.md (peersupport_bench_01, _1, _3)
# on the PostgreSQL of PG (default: postgres://postgres@127.0.0.1:5432) and Redis for the
# job's worker. The import part drops and rebuilds peersupport_x_import_bench.
set -uo pipefail
cd "$(dirname "$0")/.."
export DEBUG=1
PG="${PG:-postgres://postgres@127.0.0.1:5432}"
PY=.venv/bin/python
parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(pages job floor exports import)

stamp() { echo "## $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg) — $*"; }
at() { # scale name (01, 1, 3) -> the --scale value
  case "$1" in 01) echo 0.1 ;; *) echo "$1" ;; esac
}
wants() { [[ " ${parts[*]} " == *" $1 "* ]]; }

if wants pages; then
  for page in participants dashboard roster tap report_page; do
    for s in 01 1 3; do
      stamp "$page at $(at $s)x"
      DATABASE_URL=$PG/peersupport_bench_$s $PY bench/run.py $page --scale "$(at $s)" --repeat 15
    done
  done
fi
if wants job; then
  for s in 01 1 3; do
    stamp "job at $(at $s)x"
    DATABASE_URL=$PG/peersupport_bench_$s $PY bench/run.py job --scale "$(at $s)" --repeat 3
  done
fi
if wants floor; then
  for s in 01 1 3; do
    stamp "engine and floor at $(at $s)x"
    DATABASE_URL=$PG/peersupport_bench_$s $PY bench/floor.py --scale "$(at $s)" --repeat 5
    stamp "command and floor script at $(at $s)x"
    DATABASE_URL=$PG/peersupport_bench_$s $PY bench/floor.py --scale "$(at $s)" --repeat 3 --processes
  done
fi
if wants exports; then
  stamp "exports at 1x"
  DATABASE_URL=$PG/peersupport_bench_1 $PY bench/export_bench.py --repeat 3
fi
if wants import; then
  db=$PG/peersupport_x_import_bench
  stamp "import: preparing the bundle and an empty database"
  DATABASE_URL=$db $PY bench/import_bench.py --prepare
  for run in "first import" "the same bundle again" "first import, --exclusive"; do
    extra=()
    if [[ "$run" == *exclusive ]]; then
      DATABASE_URL=$db $PY bench/import_bench.py --prepare >/dev/null  # an empty database again
      extra=(--exclusive)
    fi
    stamp "import: $run"
    log=$(mktemp)
    DATABASE_URL=$db /usr/bin/time -v $PY manage.py import_bundle \
      /tmp/peersupport_import_bench_bundle --organisation bench-import "${extra[@]}" >"$log" 2>&1
    # The last progress line of each step (seconds since the start), then the totals.
    awk '/^\[/ { line = $0; sub(/^\[[^]]*\] /, "", line); split(line, w, " "); key = w[1] " " w[2]
                 last[key] = $0; if (!(key in seen)) { seen[key] = 1; order[++n] = key } }
         END { for (i = 1; i <= n; i++) print last[order[i]] }' "$log"
    grep -E "Imported into|problem|Elapsed|Maximum resident|User time|System time" "$log"
    rm -f "$log"
  done
fi
stamp "done"
