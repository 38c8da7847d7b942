"""Time one all-years evaluation run of a program, against SciPy's own Wilcoxon test.

    DEBUG=1 DATABASE_URL=sqlite:////tmp/demo.sqlite3 \\
        .venv/bin/python bench/evaluation_run.py --program BIY [--repeat 7]

Computes what the evaluation job computes (``evaluation.runs.compute``: the all-years
figures, the breakdowns by cohort, module and group, the intervals) without saving it,
alternately with the app's signed-rank test (``evaluation.signedrank``) and with
``scipy.stats.wilcoxon`` in its place (the reference), ``--repeat`` times each after a
warm-up, and prints the medians. Both must give the same JSON, byte for byte; the script
says so, and lists how many Wilcoxon tests each method computed. It only reads the
database, so any ``DATABASE_URL`` works (the demo's SQLite file, the benchmark data set).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def scipy_signed_rank(differences):
    """The reference: SciPy's default test, as ``evaluation.stats`` called it before."""
    from scipy import stats as scipy_stats

    from evaluation.signedrank import SignedRank

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = scipy_stats.wilcoxon(differences)
        except ValueError:
            return SignedRank(math.nan, None, "scipy")
    p = float(result.pvalue)
    return SignedRank(float(result.statistic), None if math.isnan(p) else p, "scipy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--program", required=True, help="program code")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersupport.settings")
    import django

    django.setup()
    from django.test.utils import override_settings

    from evaluation import runs, signedrank, stats
    from evaluation.models import EvaluationRun
    from programs.models import Program

    program = Program.objects.get(code=args.program)
    run = EvaluationRun(program=program, period=EvaluationRun.Period.ALL, parameters={})
    methods: Counter = Counter()

    def counting(differences):
        result = signedrank.signed_rank(differences)
        if result is not None:
            methods[(result.method, len(differences))] += 1
        return result

    def compute(test) -> tuple[float, str]:
        stats.signed_rank = test
        started = time.perf_counter()
        result, details = runs.compute(run)
        elapsed = time.perf_counter() - started
        return elapsed, json.dumps([result, details], sort_keys=True)

    _, ours = compute(counting)
    _, reference = compute(scipy_signed_rank)
    samples: dict[str, list[float]] = {"signedrank": [], "scipy": []}
    with override_settings(DEBUG=False):
        for _ in range(args.repeat):  # alternate, so a change in load hits both alike
            samples["scipy"].append(compute(scipy_signed_rank)[0])
            samples["signedrank"].append(compute(signedrank.signed_rank)[0])

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"evaluation run, all years of {program.code} ({program.cohorts.count()} cohorts)")
    print(f"  {os.cpu_count()} CPUs, load average {load}; {args.repeat} runs each, alternated")
    for label, values in samples.items():
        print(
            f"  {label:>10}: median {statistics.median(values) * 1000:.0f} ms "
            f"(min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f})"
        )
    by_method = Counter()
    for (method, _n), count in methods.items():
        by_method[method] += count
    small = sum(c for (m, _n), c in methods.items() if m == "permutation")
    largest = max((n for (m, n) in methods if m == "permutation"), default=0)
    print(
        "  Wilcoxon tests per run: "
        + ", ".join(f"{m} {c}" for m, c in sorted(by_method.items()))
        + (f" (permutation tests of up to {largest} pairs: {small})" if small else "")
    )
    print(
        "  same JSON as with SciPy's wilcoxon: "
        + ("yes" if ours == reference else "NO, THE FIGURES DIFFER")
    )
    if ours != reference:
        sys.exit(1)


if __name__ == "__main__":
    main()
