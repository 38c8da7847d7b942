"""How much each page's key query reads, before and after it was made flat in data size.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/peersupport_bench \\
        .venv/bin/python bench/plans.py [--scale S]

Wall-clock timings on a shared machine move with everyone else's load; the number of
8 kB pages PostgreSQL touches to answer a query does not. For each query this prints
``EXPLAIN (ANALYZE, BUFFERS)``'s shared pages (hit + read), the rows it returned and its
execution time (median of 5), for the form the code had before (rebuilt here) and the
form it has now (the app's own selector), on the data set of ``bench/build_dataset.py``
at the given ``--scale``. A query flat in data size reads about the same number of pages
at every scale.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402


def explain(queryset_or_sql, params=None) -> tuple[int, float]:
    """Shared pages touched and execution time (ms, median of 5) of one query."""
    from django.db import connection

    if isinstance(queryset_or_sql, str):
        sql = queryset_or_sql
    else:
        sql, params = queryset_or_sql.query.sql_with_params()
    pages, times = 0, []
    with connection.cursor() as cursor:
        for _ in range(5):
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
            raw = cursor.fetchone()[0]
            plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
            top = plan["Plan"]
            pages = top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0)
            times.append(plan["Execution Time"])
    return pages, statistics.median(times)


def line(label: str, before, after) -> None:
    (p0, t0), (p1, t1) = before, after
    print(f"  {label:<46} before {p0:>8,} pages {t0:8.1f} ms   now {p1:>8,} pages {t1:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    common.set_scale(args.scale)
    common.setup_django()

    from django.db.models import Exists, F, OuterRef, Q, Window
    from django.db.models.functions import RowNumber

    from bench.run import _user, tap_target
    from participants.models import Participant
    from peersupport.models import Organisation
    from programs.models import Cohort, Volunteer
    from sessions.models import Attendance, Session

    print(f"key queries, {common.ORG_SIZE_LABEL}")
    session, _ = tap_target(_user(common.FACILITATOR_EMAIL))
    cohort = session.cohort
    old_choices = (
        Volunteer.objects.filter(organisation_id=cohort.organisation_id)
        .filter(Q(cohorts=cohort) | Q(sessions=session))
        .distinct()
        .order_by("name")
    )
    from sessions.forms import facilitator_choices

    assigned, ran = list(cohort.facilitators.all()), list(session.facilitators.all())
    line(
        "roster: facilitator choices",
        explain(old_choices),
        explain(facilitator_choices(cohort.organisation_id, keep=assigned + ran).order_by("name")),
    )

    org = Organisation.objects.get(slug=common.ORGS[0].slug)
    old_latest = (
        Session.objects.filter(cohort__organisation=org, status=Session.Status.HELD)
        .exclude(cohort__status__in=[Cohort.Status.CANCELLED, Cohort.Status.COMPLETED])
        .filter(Exists(Attendance.objects.filter(session=OuterRef("pk"))))
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("cohort_id")],
                order_by=[F("date").desc(), F("number").desc()],
            )
        )
        .filter(rank__lte=2)
        .order_by()
        .values_list("cohort_id", "pk", "date")
    )
    # The form the code had in the previous round: two subqueries (id, date) per rank.
    taken = (
        Session.objects.filter(cohort=OuterRef("pk"), status=Session.Status.HELD)
        .filter(Exists(Attendance.objects.filter(session=OuterRef("pk"))))
        .order_by("-date", "-number")
    )
    from django.db.models import DateField, Subquery

    ranks = {}
    for k in range(2):
        ranks[f"s{k}"] = Subquery(taken.values("pk")[k : k + 1])
        ranks[f"d{k}"] = Subquery(taken.values("date")[k : k + 1], output_field=DateField())
    previous_latest = (
        Cohort.objects.filter(organisation=org)
        .exclude(status__in=[Cohort.Status.CANCELLED, Cohort.Status.COMPLETED])
        .annotate(**ranks)
        .order_by()
        .values_list("pk", *ranks)
    )
    line(
        "dashboard: latest 2, window → 2 subqueries/rank",
        explain(old_latest),
        explain(previous_latest),
    )
    # Now: the selector's own queries (one subquery per rank, then the dates by key).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sessions.selectors import _latest_taken_sessions

    with CaptureQueriesContext(connection) as captured:
        _latest_taken_sessions(organisation=org, per_cohort=2)
    now = [explain(q["sql"]) for q in captured.captured_queries]
    line(
        "dashboard: latest 2, 2 subqueries/rank → now",
        explain(previous_latest),
        (sum(p for p, _ in now), sum(t for _, t in now)),
    )

    people = Participant.objects.filter(organisation=org)
    total = people.count()
    last_offset = (max(total - 1, 0) // 50) * 50
    old_count = explain(
        f"SELECT count(*) FROM ({people.order_by().values('pk').query}) AS q"  # noqa: S608
    )
    old_page = explain(people.order_by("code")[last_offset : last_offset + 50])
    new_page = explain(people.order_by("-code")[:51])
    new_count = explain(
        f"SELECT count(*) FROM ({people.order_by().values('pk')[:1001].query}) AS q"
    )  # noqa: S608
    line("participant list: count", old_count, new_count)
    line("participant list: last page", old_page, new_page)


if __name__ == "__main__":
    main()
