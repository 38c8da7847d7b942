"""Floors for the exports that do the exports' whole work, written by hand.

An export for use outside the organisation is more than its columns: it leaves out and
blanks what the report for outside readers hides, and blanks narrowing values until no
combination is shared by fewer than the smallest cell. A floor that only selects the
columns (``export_bench.dataset_floor_sql``) computes less than the export writes. The
floors here compute the same file:

- **the report's hidden cells** from hand-written SQL: one query of participation and
  attendance and one of survey counts, over the program's enrollments once, grouped with
  ``GROUPING SETS`` by program year, cohort, each self-identified answer and the whole
  period (and by module); then the suppression rule, ``evaluation.disclosure.protect``,
  and ``exports.withheld.hidden_cells`` to read what it hid;
- **the columns** from the hand-written SELECT, fetched once;
- **k-anonymity** with the rule the export follows, ``exports.privacy.k_anonymise``
  (an algorithm, not a query: there is no SQL of it to write);
- the blanks applied row by row and the CSV written by Python's ``csv`` module.

The rules (suppression, k-anonymity) are the app's, as the report floor uses the app's
signed-rank test: what is measured is how the app reads and assembles the data, against
the fewest queries a person would write by hand. ``check`` makes sure each floor writes
the export's file byte for byte.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from exports.writers import safe_cell

#: The report's enrollments (the all-years report: cohorts started within the program
#: years), their program year, cohort, self-identified answers and consent.
ENROLLMENTS = """
    SELECT en.id, en.participant_id, en.status, en.cohort_id, c.code AS cohort,
           COALESCE(en.enrolled_on, c.start_date) AS since,
           extract(year FROM age(c.start_date, p.start_date))::int + 1 AS year,
           pa.gender_identity AS gender, pa.indigenous_identity AS indigenous, pa.racialised,
           pa.evaluation_consent = 'yes' AND (pa.evaluation_consent_expires_on IS NULL
               OR pa.evaluation_consent_expires_on > %(today)s) AS consented
    FROM participants_enrollment en
    JOIN programs_cohort c ON c.id = en.cohort_id
    JOIN programs_program p ON p.id = c.program_id
    JOIN participants_participant pa ON pa.id = en.participant_id
    WHERE c.program_id = %(program)s AND c.start_date BETWEEN %(start)s AND %(end)s
      AND en.status IN ('enrolled', 'completed', 'withdrawn')
"""

#: The breakdowns of the report, as grouping sets, and the name of each.
DIMENSIONS = (
    ("year", "(e.year)"),
    ("cohort", "(e.cohort, e.year)"),
    ("gender_identity", "(e.gender)"),
    ("indigenous_identity", "(e.indigenous)"),
    ("racialised", "(e.racialised)"),
    ("total", "()"),
)
_WHICH = """CASE WHEN GROUPING(e.cohort) = 0 THEN 'cohort' WHEN GROUPING(e.year) = 0
    THEN 'year' WHEN GROUPING(e.gender) = 0 THEN 'gender_identity'
    WHEN GROUPING(e.indigenous) = 0 THEN 'indigenous_identity'
    WHEN GROUPING(e.racialised) = 0 THEN 'racialised' ELSE 'total' END"""
_SETS = ", ".join(sets for _name, sets in DIMENSIONS)

PARTICIPATION = f"""
WITH e AS MATERIALIZED ({ENROLLMENTS}),
starts AS (  -- sessions offered depend on the cohort and the first day only
    SELECT k.cohort_id, k.since, s.module_id, count(*) AS offered
    FROM (SELECT DISTINCT cohort_id, since FROM e) k
    JOIN groupsessions_session s
      ON s.cohort_id = k.cohort_id AND s.status = 'held' AND s.date >= k.since
    GROUP BY 1, 2, 3
), came AS (
    SELECT e.id, s.module_id, count(*) AS attended
    FROM e
    JOIN groupsessions_attendance a ON a.enrollment_id = e.id
    JOIN groupsessions_session s ON s.id = a.session_id
    WHERE a.status IN ('present', 'late') AND s.status = 'held'
      AND s.cohort_id = e.cohort_id AND s.date >= e.since
    GROUP BY 1, 2
), per AS (
    SELECT e.id, COALESCE(o.offered, 0) AS offered, COALESCE(a.attended, 0) AS attended
    FROM e
    LEFT JOIN (SELECT cohort_id, since, sum(offered) AS offered FROM starts GROUP BY 1, 2) o
      ON o.cohort_id = e.cohort_id AND o.since = e.since
    LEFT JOIN (SELECT id, sum(attended) AS attended FROM came GROUP BY id) a ON a.id = e.id
)
SELECT {_WHICH}, e.year, e.cohort, e.gender, e.indigenous, e.racialised, NULL::bigint,
       count(*), count(DISTINCT e.participant_id),
       count(*) FILTER (WHERE e.status = 'completed'),
       sum(per.offered), sum(per.attended)
FROM e JOIN per ON per.id = e.id
GROUP BY GROUPING SETS ({_SETS})
UNION ALL
SELECT 'module', NULL, NULL, NULL, NULL, NULL, module_id, NULL, NULL, NULL,
       sum(offered), sum(attended)
FROM (
    SELECT s.module_id, s.offered, 0 AS attended
    FROM e JOIN starts s ON s.cohort_id = e.cohort_id AND s.since = e.since
    UNION ALL
    SELECT module_id, 0, attended FROM came
) m
GROUP BY module_id
"""

SURVEYS = f"""
WITH e AS MATERIALIZED ({ENROLLMENTS}),
sv AS (
    SELECT ad.enrollment_id AS id, ad.instrument_code AS code,
           count(*) FILTER (WHERE ad.is_complete AND ad.score IS NOT NULL
                            AND ad.timepoint = 'pre') AS pre_n,
           count(*) FILTER (WHERE ad.is_complete AND ad.score IS NOT NULL
                            AND ad.timepoint = 'post') AS post_n,
           count(*) FILTER (WHERE NOT ad.is_complete OR ad.score IS NULL) AS incomplete_n,
           count(*) FILTER (WHERE ad.is_complete AND ad.score IS NOT NULL
                            AND ad.timepoint = 'post' AND CASE WHEN t.higher
                            THEN ad.score >= t.target ELSE ad.score <= t.target END) AS meet_n
    FROM e
    JOIN surveys_administration ad ON ad.enrollment_id = e.id
    JOIN unnest(%(codes)s::text[], %(targets)s::float8[], %(higher)s::bool[])
         AS t(code, target, higher) ON t.code = ad.instrument_code
    WHERE e.consented
    GROUP BY 1, 2
)
SELECT {_WHICH}, e.year, e.cohort, e.gender, e.indigenous, e.racialised, sv.code,
       sum(sv.pre_n), sum(sv.post_n), sum(sv.incomplete_n), sum(sv.meet_n),
       count(*) FILTER (WHERE sv.pre_n > 0 AND sv.post_n > 0)
FROM sv JOIN e ON e.id = sv.id
GROUP BY sv.code, GROUPING SETS ({_SETS})
"""


def _ratio(a, b):
    return a / b if b else None


def _order(key):
    """The order of the report's groups: by value, a blank answer last."""
    return (key is None, "" if key is None else str(key))


def report_cells(program, min_cell: int, *, surveys: bool = True):
    """The external report's period objects and breakdowns (counts, and the means that
    suppression reads), from two hand-written queries, protected by the report's rule:
    what ``runs.shown_figures`` gives for the all-years report."""
    from django.db import connection
    from django.utils import timezone

    from evaluation import disclosure, figures

    today = timezone.localdate()
    period = figures.all_years_period(program, figures.program_years(program, today=today))
    instruments = figures.period_instruments(program, period) if surveys else {}
    params = {
        "program": program.pk,
        "today": today,
        "start": period.start,
        "end": period.end,
        "codes": list(instruments),
        "targets": [i.target_score for i in instruments.values()],
        "higher": [i.higher_is_better for i in instruments.values()],
    }
    groups: dict[tuple, dict] = {}

    def obj(which, key):
        found = groups.get((which, key))
        if found is None:
            found = groups[(which, key)] = {"suppressed": [], "instruments": {}}
        return found

    def key_of(which, year, cohort, gender, indigenous, racialised):
        return {
            "year": year,
            "cohort": cohort,
            "gender_identity": gender,
            "indigenous_identity": indigenous,
            "racialised": racialised,
            "total": None,
        }[which]

    modules: dict = {}
    with connection.cursor() as cursor:
        cursor.execute(PARTICIPATION, params)
        for which, *keys, module, n, people, completed, offered, attended in cursor.fetchall():
            if which == "module":
                modules[module] = (offered, attended)
                continue
            year = keys[0]
            o = obj(which, key_of(which, *keys))
            o.update(
                participants=people,
                enrollments=n,
                sessions_offered_mean=_ratio(offered, n),
                sessions_attended_mean=_ratio(attended, n),
                attendance_rate=_ratio(attended, offered),
                completion_rate=_ratio(completed, n),
            )
            if which in ("year", "cohort", "total"):
                o["year"] = year  # None for the total
        if instruments:
            cursor.execute(SURVEYS, params)
            for which, *keys, code, pre_n, post_n, incomplete, meet, matched in cursor.fetchall():
                counts = (pre_n, post_n, incomplete, meet, matched)
                obj(which, key_of(which, *keys))["instruments"][code] = counts
    for (which, _key), o in groups.items():
        counted = o["instruments"]
        o["instruments"] = {}
        for code, info in instruments.items():
            pre_n, post_n, incomplete, meet, matched = counted.get(code, (0, 0, 0, 0, 0))
            has_target = info.target_score is not None
            o["instruments"][code] = {
                "pre_n": pre_n,
                "post_n": post_n,
                "matched_n": matched,
                "incomplete_n": incomplete,
                "post_meeting_target_n": meet if has_target else None,
            }
            if has_target and 0 < post_n < min_cell:  # the report blanks them with post_n
                o["suppressed"] += [f"instruments.{code}.post_meeting_target_n"]
        if which not in ("year", "total", "cohort"):  # outside readers' group counts
            for key in ("participants", "enrollments"):
                if 0 < (o.get(key) or 0) < min_cell:
                    o["suppressed"].append(key)
            for code, counts in o["instruments"].items():
                for key, value in counts.items():
                    if value is not None and 0 < value < min_cell:
                        o["suppressed"].append(f"instruments.{code}.{key}")
    years = sorted(key for which, key in groups if which == "year")
    objects = [groups[("year", y)] for y in years] + [groups.get(("total", None)) or {}]
    whole = objects[-1]
    enrollments = whole.get("enrollments", 0)
    by_module = []
    rows = list(program.modules.order_by("order").values_list("id", "order", "name"))
    if None in modules:
        rows.append((None, None, None))
    for module_id, order, name in rows:
        offered, attended = modules.get(module_id, (0, 0))
        by_module.append(
            {
                "module": name,
                "order": order,
                "enrollments": enrollments,
                "sessions_offered": offered,
                "sessions_attended": attended,
                "sessions_offered_mean": _ratio(offered, enrollments),
                "sessions_attended_mean": _ratio(attended, enrollments),
                "attendance_rate": _ratio(attended, offered),
                "suppressed": [],
            }
        )
    details = {
        "by_cohort": [
            {"group": key, **groups[("cohort", key)]}
            for key in sorted((k for w, k in groups if w == "cohort"), key=_order)
        ],
        "by_module": by_module,
        "by_group": {
            field: [
                {"group": key, **groups[(field, key)]}
                for key in sorted((k for w, k in groups if w == field), key=_order)
            ]
            for field in figures.DEMOGRAPHIC_FIELDS
        },
    }
    return disclosure.protect(objects, details, min_cell=min_cell)


def hidden(program, min_cell: int, *, surveys: bool = True):
    """``exports.withheld.Withheld`` of the all-years report, from ``report_cells``."""
    from exports.withheld import hidden_cells

    return hidden_cells(*report_cells(program, min_cell, surveys=surveys))


# --- the dataset -----------------------------------------------------------------------


def dataset_rows(exporter) -> Iterator[tuple]:
    """The dataset export's rows (period "all", no dates), from the hand-written SELECT of
    its columns, the report's hidden cells and k-anonymity."""
    from django.db import connection

    from exports import privacy, withheld
    from exports.base import NOT_ADMINISTERED, TOO_INCOMPLETE
    from exports.dataset import TIMEPOINTS

    from .export_bench import dataset_floor_sql

    options = exporter.options
    held = hidden(exporter.program, options.min_cell)
    sql, params = dataset_floor_sql(exporter)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    age = 0 if exporter.without_age else 1
    # Column positions: pseudonym, cohort, year, [age band], gender, indigenous,
    # racialised, qi_suppressed, status, offered, attended, per module, then scores.
    answers = {"gender": 3 + age, "indigenous": 4 + age, "racialised": 5 + age}
    flag, first_module = 6 + age, 10 + age
    first_score = first_module + len(exporter.modules)
    codes = {"gender": exporter._gender, "indigenous": exporter._yesno}
    codes["racialised"] = exporter._yesno
    hidden_codes = {  # column -> the codes of the answers whose group the report hides
        answers[column]: {codes[column].get(answer) for answer in held.groups.get(field, ())}
        for field, column in withheld.GROUP_COLUMNS.items()
    }
    incomplete_codes = {
        answers[column]: {(codes[column].get(a), code) for a, code in pairs}
        for field, column in withheld.GROUP_COLUMNS.items()
        if (pairs := held.group_incomplete.get(field))
    }
    module_columns = [
        first_module + n for n, (_pk, order, _name) in enumerate(exporter.modules)
        if order in held.modules
    ]  # fmt: skip
    instruments = [code for code, _name, _version in exporter.instruments]
    kept, records, people = [], [], []
    for row in rows:
        if held.row_hidden(row[2], row[1]):
            continue
        out = list(row)
        for column, codes_hidden in hidden_codes.items():
            if out[column] in codes_hidden:
                out[column] = None
        kept.append((row, out))
        records.append(out[1:flag])
        people.append(row[0])
    result = privacy.k_anonymise(records, options.min_cell, people)
    for i, (row, out) in enumerate(kept):
        if i in result.dropped:
            continue
        for column in result.blanked[i]:
            out[1 + column] = None
        if result.blanked[i]:
            out[flag] = 1
        for column in module_columns:
            out[column] = None
        cohort, year = row[1], row[2]
        if out[1] is not None:
            out[1] = safe_cell(out[1])  # a cohort code is text someone typed
        for n, code in enumerate(instruments):
            at = first_score + n * len(TIMEPOINTS)
            if held.score_hidden(year, cohort, code):
                out[at : at + len(TIMEPOINTS)] = [None] * len(TIMEPOINTS)
                continue
            blank = held.incomplete_hidden(year, cohort, code) or any(
                (row[column], code) in pairs for column, pairs in incomplete_codes.items()
            )
            for j in range(at, at + len(TIMEPOINTS)):
                if out[j] in (NOT_ADMINISTERED, TOO_INCOMPLETE):  # codes, not scores
                    out[j] = None if blank else int(out[j])
        yield tuple(out)


# --- the attendance counts --------------------------------------------------------------


def attendance_rows(exporter) -> Iterator[tuple]:
    """The attendance counts export's rows, from the hand-written SELECT of its columns,
    the report's hidden years and cohorts and the rule for small counts."""
    from django.db import connection

    from evaluation import disclosure
    from exports.attendance_counts import ATTENDANCE_RELATIONS

    from .export_bench import attendance_floor_sql

    options = exporter.options
    held = hidden(exporter.program, options.min_cell, surveys=False)
    sql, params = attendance_floor_sql(exporter)
    keys = ("present", "late", "absent", "excused", "attended")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for row in rows:
        if held.row_hidden(row[1], row[0]):
            continue
        counts = dict(zip(keys, row[6:11], strict=True))
        blank = disclosure.protect_row(counts, ATTENDANCE_RELATIONS, min_cell=options.min_cell)
        yield (
            safe_cell(row[0]),
            *row[1:6],
            *(None if key in blank else counts[key] for key in keys),
            1 if blank else 0,
        )


def csv_bytes(header: list[str], rows) -> Iterator[bytes]:
    """The rows as CSV, in chunks: the export's file (its dialect, a byte-order mark)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(header)
    for n, row in enumerate(rows, start=1):
        writer.writerow(row)
        if n % 2000 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def check(exporter, kind: str) -> int:
    """The floor writes exactly the export's file (the same pseudonyms: one key), byte for
    byte. Answers the number of rows."""
    from exports import services

    ours = b"".join(services.csv_stream(exporter, "data"))
    rows = list(dataset_rows(exporter) if kind == "dataset" else attendance_rows(exporter))
    theirs = b"".join(csv_bytes([v.name for v in exporter.variables()], rows))
    if ours != theirs:
        lines = zip(ours.splitlines(), theirs.splitlines(), strict=False)
        for n, (mine, floor) in enumerate(lines, start=1):
            assert mine == floor, f"line {n}: the export wrote {mine!r}, the floor {floor!r}"
        raise AssertionError(f"the export wrote {len(ours)} bytes, the floor {len(theirs)}")
    return len(rows)
