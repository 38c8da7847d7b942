"""Time pages and functions on the national-scale data set (see bench/build_dataset.py).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/peersupport_bench \\
        .venv/bin/python bench/run.py {participants,dashboard,roster,report_page,job,tap,report,all}
        [--repeat N] [--scale S]

Pages are requested in-process through Django's test ``Client`` signed in with
``force_login`` (no network, the whole middleware stack, templates rendered), each
timed ``--repeat`` times after one warm-up; the median is the figure. ``DEBUG`` is
switched off while timing so Django does not keep a log of every query. Each result
line says the query count of one request, measured separately, and the CPU time this
process spent on a request (the mean over the timed ones; PostgreSQL's is not in it),
which a busy machine inflates far less than the wall clock.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

#: Issue 16: every page users wait on, at 0.1×, 1× and 3× the national data set.
PAGE_TARGET_MS = 50
TAP_TARGET_MS = 30
REPORT_TARGET_S = 3.0


def command_line() -> str:
    return "DATABASE_URL=$BENCH_DB .venv/bin/python bench/" + " ".join(
        shlex.quote(a) for a in [Path(sys.argv[0]).name, *sys.argv[1:]]
    )


def _user(email: str):
    from peersupport.models import User

    try:
        return User.objects.get(email=email)
    except User.DoesNotExist:
        sys.exit("The benchmark data set is not built: run bench/build_dataset.py first.")


def _client(user):
    from django.test import Client

    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)
    return client


def _queries(fn) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def _verdict(value: float, target: float) -> str:
    return "meets target" if value < target else "MISSES target"


def time_page(label: str, client, url: str, repeat: int, *, method="get", data=None, **extra):
    from django.test.utils import override_settings

    def request():
        response = getattr(client, method)(url, data=data, **extra)
        if response.status_code >= 400:
            raise SystemExit(f"{label}: {url} answered {response.status_code}")
        return response

    queries = _queries(request)
    with override_settings(DEBUG=False):
        request()  # the warm-up, outside the CPU time below
        cpu = time.process_time()
        timing = common.time_it(label, request, repeat=repeat, warmup=0)
        cpu = (time.process_time() - cpu) / repeat * 1000
    print(
        f"{timing.line()}, {queries} queries, this process's CPU {cpu:.0f} ms a request — "
        f"{_verdict(timing.median_ms, PAGE_TARGET_MS if method == 'get' else TAP_TARGET_MS)}"
    )
    return timing


def bench_participants(repeat: int) -> None:
    from django.urls import NoReverseMatch, reverse

    try:
        url = reverse("participants:list")
    except NoReverseMatch:
        print("participant list: not available yet (no participants:list URL)")
        return
    client = _client(_user(common.COORDINATOR_EMAIL))
    print(f"participant list ({url}, 50 per page, {common.ORG_SIZE_LABEL})")
    time_page("  search by code q=N-04213", client, url, repeat, data={"q": "N-04213"})
    time_page("  search by code q=0421 (many hits)", client, url, repeat, data={"q": "0421"})
    time_page("  first page, no search", client, url, repeat)
    import re

    numbered = re.search(r"Page 1 of ([0-9]+)", client.get(url).content.decode())
    # Numbered pages (COUNT and OFFSET) before keyset paging; "before=" is the last page.
    last = {"page": int(numbered.group(1))} if numbered else {"before": ""}
    time_page(f"  last page, no search ({last})", client, url, repeat, data=last)


def bench_dashboard(repeat: int) -> None:
    from django.urls import NoReverseMatch, reverse

    try:
        url = reverse("groupsessions:coordinator_dashboard")
    except NoReverseMatch:
        print("coordinator dashboard: not available yet")
        return
    client = _client(_user(common.COORDINATOR_EMAIL))
    print(f"coordinator dashboard ({url}, {common.ORG_SIZE_LABEL})")
    time_page("  dashboard", client, url, repeat)


def bench_roster(repeat: int) -> None:
    """The attendance sheet of the bench facilitator's latest session (the roster page)."""
    from django.urls import reverse

    user = _user(common.FACILITATOR_EMAIL)
    session, enrollments = tap_target(user)
    if session is None:
        sys.exit("No session of the bench facilitator can take attendance today; rebuild.")
    url = reverse("groupsessions:attendance_sheet", args=[session.pk])
    print(f"attendance sheet ({url}, roster of {len(enrollments)})")
    time_page("  roster", _client(user), url, repeat)


def _done_run(program):
    """The program's finished all-years run, computed here once if there is none."""
    from evaluation import runs
    from evaluation.models import EvaluationRun

    key = runs.make_request_key(program=program, period=EvaluationRun.Period.ALL)
    done = runs.latest_done(key)
    if done is None:
        run = EvaluationRun.objects.create(
            program=program,
            period=EvaluationRun.Period.ALL,
            parameters={"min_cell": 5},
            request_key=key,
        )
        done = runs.execute(run_id=run.pk)
    return done


def bench_report_page(repeat: int) -> None:
    """The report page of the largest program's finished all-years run, as its evaluator
    (an audience outside the organisation: small numbers suppressed) and its coordinator
    see it, and the evaluator's last page of the by-cohort table."""
    import re

    from django.urls import reverse

    from programs.models import Program

    program = Program.objects.get(code=common.LARGE_PROGRAM)
    run = _done_run(program)
    url = reverse("evaluation:report", args=[program.pk])
    print(f"report page ({url}, {program.code}, run {run.pk})")
    for who, email in (
        ("evaluator", common.EVALUATOR_EMAIL),
        ("coordinator", common.COORDINATOR_EMAIL),
    ):
        client = _client(_user(email))
        page = client.get(url).content
        size = len(page)
        numbered = re.search(r"Page 1 of ([0-9]+)", page.decode())
        pages = int(numbered.group(1)) if numbered else 1
        time_page(f"  {who}, first page ({size / 1024:.0f} KB of HTML)", client, url, repeat)
        if who == "evaluator":
            last = f"{url}?period=all&cohorts={pages}"
            size = len(client.get(last).content)
            time_page(
                f"  {who}, last cohort page {pages} ({size / 1024:.0f} KB)", client, last, repeat
            )


def bench_job(repeat: int) -> None:
    """The whole evaluation job of the largest program (report and every breakdown), end
    to end on a real worker: a Celery worker in its own process on Redis
    (``REDIS_URL``, default ``redis://127.0.0.1:6379/15``), the run requested as the
    report page requests it (``runs.request_run``), timed from the request until the
    stored result is seen in the database (polled every 20 ms). Also printed: the
    worker's own time (``started_at`` to ``finished_at``)."""
    import subprocess

    from evaluation import runs
    from evaluation.models import EvaluationRun
    from programs.models import Program

    program = Program.objects.get(code=common.LARGE_PROGRAM)
    env = {**os.environ, "REDIS_URL": os.environ["REDIS_URL"], "DEBUG": "1"}
    worker = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [
            str(Path(sys.executable)),
            "-m",
            "celery",
            "-A",
            "peersupport",
            "worker",
            "--concurrency=1",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env=env,
        cwd=common.ROOT,
    )
    worked = []
    try:
        from peersupport.celery import app

        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=1):
            if time.monotonic() > deadline or worker.poll() is not None:
                sys.exit("The Celery worker did not start.")

        def job():
            asked = runs.request_run(program=program, period=EvaluationRun.Period.ALL)
            assert asked.queued, "the broker did not take the job"
            while True:
                run = EvaluationRun.objects.get(pk=asked.run.pk)
                if run.status in (EvaluationRun.Status.DONE, EvaluationRun.Status.FAILED):
                    break
                time.sleep(0.02)
            assert run.status == EvaluationRun.Status.DONE, run.error
            worked.append((run.finished_at - run.started_at).total_seconds())
            run.delete()

        timing = common.time_it(
            f"  evaluation job, all years of {program.code}, request to stored result",
            job,
            repeat=repeat,
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    print(f"evaluation job on a Celery worker ({common.ORG_SIZE_LABEL})")
    print(timing.line())
    inside = sorted(worked[1:])  # the warm-up run is not counted
    print(
        f"  of which the worker computing and storing: median {inside[len(inside) // 2]:.2f} s "
        f"({inside[0]:.2f}-{inside[-1]:.2f})"
    )


def tap_target(user):
    """A session the user facilitates that can take attendance today, and its roster."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from sessions.attendance import roster
    from sessions.models import Session

    today = timezone.localdate()
    session = (
        Session.objects.filter(
            cohort__facilitators__user=user,
            date__lte=today,
            date__gte=today - timedelta(days=settings.ATTENDANCE_EDIT_WINDOW_DAYS - 1),
        )
        .exclude(status=Session.Status.CANCELLED)
        .order_by("-date")
        .first()
    )
    if session is None:
        return None, []
    return session, list(roster(session=session).values_list("pk", flat=True))


def bench_tap(repeat: int) -> None:
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("groupsessions:attendance_mark", args=[1])
    except NoReverseMatch:
        print("attendance tap: not available yet (no groupsessions:attendance_mark URL)")
        return
    user = _user(common.FACILITATOR_EMAIL)
    session, enrollments = tap_target(user)
    if session is None or not enrollments:
        sys.exit("No session of the bench facilitator can take attendance today; rebuild.")
    url = reverse("groupsessions:attendance_mark", args=[session.pk])
    client = _client(user)
    statuses = iter(["present", "late"] * (repeat + 10))
    enrollment = enrollments[0]

    def data():
        return {"enrollment": enrollment, "status": next(statuses)}

    print(f"attendance tap ({url}, htmx, roster of {len(enrollments)}, each tap changes the row)")

    from django.test.utils import override_settings

    def tap():
        response = client.post(url, data(), HTTP_HX_REQUEST="true")
        if response.status_code != 200:
            raise SystemExit(f"tap answered {response.status_code}: {response.content[:300]!r}")

    queries = _queries(tap)
    with override_settings(DEBUG=False):
        timing = common.time_it("  one tap (status changes)", tap, repeat=repeat)
    print(f"{timing.line()}, {queries} queries — {_verdict(timing.median_ms, TAP_TARGET_MS)}")

    def same_tap():
        response = client.post(
            url, {"enrollment": enrollment, "status": "present"}, HTTP_HX_REQUEST="true"
        )
        if response.status_code != 200:
            raise SystemExit(f"tap answered {response.status_code}")

    same_tap()
    queries = _queries(same_tap)
    with override_settings(DEBUG=False):
        timing = common.time_it("  repeated tap (no change)", same_tap, repeat=repeat)
    print(f"{timing.line()}, {queries} queries — {_verdict(timing.median_ms, TAP_TARGET_MS)}")


# --- The evaluation report against one hand-written SQL query -----------------------

DOSAGE_SQL = """
WITH e AS MATERIALIZED (
    SELECT en.id, en.participant_id, en.status, c.program_id, en.cohort_id,
           COALESCE(en.enrolled_on, c.start_date) AS since,
           extract(year FROM age(c.start_date, p.start_date))::int + 1 AS year
    FROM participants_enrollment en
    JOIN programs_cohort c ON c.id = en.cohort_id
    JOIN programs_program p ON p.id = c.program_id
    WHERE c.program_id = ANY(%(programs)s)
      AND c.start_date >= p.start_date AND c.start_date <= %(today)s
      AND en.status IN ('enrolled', 'completed', 'withdrawn')
), dose AS (
    SELECT e.program_id, e.year, count(*) AS offered, count(a.id) AS attended
    FROM e
    JOIN groupsessions_session s
      ON s.cohort_id = e.cohort_id AND s.status = 'held' AND s.date >= e.since
    LEFT JOIN groupsessions_attendance a
      ON a.session_id = s.id AND a.enrollment_id = e.id AND a.status IN ('present', 'late')
    GROUP BY GROUPING SETS ((e.program_id, e.year), (e.program_id))
), people AS (
    SELECT e.program_id, e.year, count(*) AS enrollments,
           count(DISTINCT e.participant_id) AS participants,
           count(*) FILTER (WHERE e.status = 'completed') AS completed
    FROM e
    GROUP BY GROUPING SETS ((e.program_id, e.year), (e.program_id))
)
SELECT p.program_id, p.year, p.enrollments, p.participants,
       COALESCE(d.offered, 0)::float8 / p.enrollments AS offered_mean,
       COALESCE(d.attended, 0)::float8 / p.enrollments AS attended_mean,
       d.attended::float8 / NULLIF(d.offered, 0) AS attendance_rate,
       p.completed::float8 / p.enrollments AS completion_rate
FROM people p
LEFT JOIN dose d ON d.program_id = p.program_id AND d.year IS NOT DISTINCT FROM p.year
ORDER BY p.program_id, p.year NULLS LAST
"""


def dosage_sql(program_ids: list[int]) -> list[tuple]:
    from django.db import connection
    from django.utils import timezone

    with connection.cursor() as cursor:
        cursor.execute(DOSAGE_SQL, {"programs": program_ids, "today": timezone.localdate()})
        return cursor.fetchall()


def _check_against_sql(program, result: dict, rows: list[tuple]) -> list[str]:
    """Differences between the engine's participation figures and the SQL's."""
    by_year = {row[1]: row for row in rows if row[0] == program.pk}
    problems = []
    for figures in [*result["years"], result["total"]]:
        row = by_year.get(figures["year"])
        if row is None:
            if figures.get("enrollments"):
                problems.append(f"{program.code} year {figures['year']}: missing in SQL")
            continue
        expected = {
            "enrollments": row[2],
            "participants": row[3],
            "sessions_offered_mean": float(row[4]),
            "sessions_attended_mean": float(row[5]),
            "attendance_rate": row[6],
            "completion_rate": float(row[7]),
        }
        for key, value in expected.items():
            got = figures.get(key)
            if got is None or value is None or abs(float(got) - float(value)) > 1e-9:
                problems.append(f"{program.code} year {figures['year']} {key}: {got} vs {value}")
    return problems


def bench_report(repeat: int) -> None:
    try:
        from evaluation import figures
    except ImportError:
        print("evaluation report: not available yet (no evaluation.figures module)")
        return
    from django.test.utils import override_settings

    from programs.models import Program

    programs = list(Program.objects.filter(organisation__slug__startswith="bench-"))
    if not programs:
        sys.exit("The benchmark data set is not built: run bench/build_dataset.py first.")
    large = next(p for p in programs if p.code == common.LARGE_PROGRAM)

    def one():
        return figures.report_all_years(large)

    def everything():
        return figures.report_all_years_many(programs)

    results = everything()
    rows = dosage_sql([p.pk for p in programs])
    problems = [problem for p in programs for problem in _check_against_sql(p, results[p.pk], rows)]
    queries_one = _queries(one)
    queries_all = _queries(everything)

    print("evaluation all-years report vs one hand-written SQL dosage query")
    with override_settings(DEBUG=False):
        t_one = common.time_it(f"  report_all_years({large.code})", one, repeat=repeat)
        t_sql_one = common.time_it(
            f"  dosage SQL ({large.code})", lambda: dosage_sql([large.pk]), repeat=repeat
        )
        t_all = common.time_it(
            f"  report_all_years_many (all {len(programs)} programs together)",
            everything,
            repeat=repeat,
        )
        t_sql_all = common.time_it(
            "  dosage SQL (all programs, one query)",
            lambda: dosage_sql([p.pk for p in programs]),
            repeat=repeat,
        )
    print(f"{t_one.line()}, {queries_one} queries")
    print(t_sql_one.line())
    print(f"    ratio report / SQL: {t_one.median_ms / t_sql_one.median_ms:.2f}")
    print(
        f"{t_all.line()}, {queries_all} queries — "
        f"{_verdict(t_all.median_ms / 1000, REPORT_TARGET_S)} (< {REPORT_TARGET_S:.0f} s)"
    )
    print(t_sql_all.line())
    ratio = t_all.median_ms / t_sql_all.median_ms
    print(
        f"    ratio report / SQL: {ratio:.2f} — "
        f"{'within' if ratio <= 2 else 'NOT within'} 2× of the hand-written query"
    )
    if problems:
        print(f"  ENGINE AND SQL DISAGREE on {len(problems)} figures, e.g.:")
        for problem in problems[:10]:
            print(f"    {problem}")
    else:
        print("  engine and SQL agree on every participation figure of every program year")


BENCHES = {
    "participants": bench_participants,
    "dashboard": bench_dashboard,
    "roster": bench_roster,
    "report_page": bench_report_page,
    "job": bench_job,
    "tap": bench_tap,
    "report": bench_report,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bench", choices=[*BENCHES, "all"])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="the --scale the data set was built with"
    )
    parser.add_argument("--repeat", type=int, default=None, help="timed runs (default 30; 5)")
    args = parser.parse_args()
    common.set_scale(args.scale)
    if args.bench in ("job", "all"):  # the job runs on a real worker, through Redis
        os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
    common.setup_django()
    print(f"$ {command_line()}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(
        f"  (median of --repeat runs after a warm-up; {when}; "
        f"{os.cpu_count()} CPUs, load average {load})"
    )
    names = list(BENCHES) if args.bench == "all" else [args.bench]
    for name in names:
        default = 5 if name in ("report", "job") else 30
        BENCHES[name](args.repeat or default)


if __name__ == "__main__":
    main()
