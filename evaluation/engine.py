"""The counting engine of the evaluation figures: the database counts, per bucket.

A *scope* says which enrollments count (seen from a model ``prefix`` away: ``""`` from
the enrollment, ``"enrollment__"`` from attendance and administrations); a *bucket* says
how they are grouped (their cohort, a demographic field, a program year, or nothing for
one total). ``tally`` answers one grouped aggregation per kind of figure, whatever the
number of buckets, so the number of queries does not depend on the amount of data;
``regrouped`` adds tallies up into coarser buckets in Python. No statistics here: the
public reports (``evaluation.figures``) turn tallies into figures.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, F, IntegerField, Max, Q, Value
from django.db.models.functions import Coalesce

from participants.models import Enrollment, evaluation_consented
from programs.models import Program
from sessions.models import Attendance, Session
from surveys.models import Administration

from .periods import Period

#: Enrollments that count: those that held a place in the cohort (applied and
#: waitlisted people never took part).
COUNTED_STATUSES = tuple(Enrollment.ACTIVE_STATUSES)

Scope = Callable[[str], Q]  # prefix -> the enrollments counted, seen from that far away


# --- scope and buckets ----------------------------------------------------------------


def scope_q(program: Program, period: Period, prefix: str = "") -> Q:
    """The enrollments a period covers, seen from a model ``prefix`` away."""
    p = prefix
    return Q(
        **{
            f"{p}cohort__program": program,
            f"{p}status__in": COUNTED_STATUSES,
            f"{p}cohort__start_date__gte": period.start,
            f"{p}cohort__start_date__lte": period.end,
        }
    )


def period_scope(program: Program, period: Period) -> Scope:
    return lambda prefix: scope_q(program, period, prefix)


@dataclass(frozen=True)
class Bucket:
    """How counted rows are grouped: ``columns(prefix)`` gives one expression on the
    enrollment per name in ``names``. A group's key is the value of its one column, or
    ``key(*values)`` when there are several."""

    names: tuple[str, ...]
    columns: Callable[[str], tuple]
    key: Callable[..., Hashable] | None = None

    def group(self, queryset, prefix: str, *extra: str):
        """``queryset`` grouped by the bucket's columns and the fields ``extra``."""
        columns = dict(zip(self.names, self.columns(prefix), strict=True))
        return queryset.order_by().annotate(**columns).values(*self.names, *extra)

    def key_of(self, row: dict) -> Hashable:
        if self.key is None:
            return row[self.names[0]]
        return self.key(*(row[name] for name in self.names))


def field_bucket(path: str) -> Bucket:
    """A field of the enrollment, e.g. ``cohort_id`` or ``participant__gender_identity``."""
    return Bucket(("bucket",), lambda prefix: (F(prefix + path),))


#: No grouping: one total, under the key None.
TOTAL = Bucket(("bucket",), lambda prefix: (Value(None, output_field=IntegerField()),))


# --- tallies --------------------------------------------------------------------------


@dataclass(slots=True)
class Participation:
    """Participation in one bucket: distinct participants, enrollments, completed
    enrollments, and sessions offered and attended (one per enrollment and session)."""

    participants: int = 0
    enrollments: int = 0
    completed: int = 0
    offered: int = 0
    attended: int = 0

    def add(self, other: Participation) -> None:
        """Add ``other``'s counts, except participants (distinct people do not add up)."""
        self.enrollments += other.enrollments
        self.completed += other.completed
        self.offered += other.offered
        self.attended += other.attended


@dataclass(slots=True)
class SurveyCounts:
    """Administrations of one instrument in one bucket: scored pre and post, unscored
    (any timepoint), and scored posts at or above the instrument's target score."""

    pre_n: int = 0
    post_n: int = 0
    incomplete_n: int = 0
    meet_n: int = 0

    def add(self, other: SurveyCounts) -> None:
        self.pre_n += other.pre_n
        self.post_n += other.post_n
        self.incomplete_n += other.incomplete_n
        self.meet_n += other.meet_n


#: A matched pair: ``(enrollment id, pre score, post score)``.
Pair = tuple[int, float, float]


@dataclass
class Tallies:
    """What the database counted: participation per bucket key, and per ``(bucket key,
    instrument code)`` the survey counts and the matched pairs in enrollment order."""

    participation: dict[Hashable, Participation] = field(default_factory=dict)
    surveys: dict[tuple[Hashable, str], SurveyCounts] = field(default_factory=dict)
    pairs: dict[tuple[Hashable, str], list[Pair]] = field(default_factory=dict)


def participation(scope: Scope, bucket: Bucket) -> dict[Hashable, Participation]:
    """Per bucket: participants, enrollments, completed, offered and attended (3 queries)."""
    out: dict = defaultdict(Participation)
    enrollments = bucket.group(Enrollment.objects.filter(scope("")), "")
    for row in enrollments.annotate(
        participants=Count("participant", distinct=True),
        enrollments=Count("id"),
        completed=Count("id", filter=Q(status=Enrollment.Status.COMPLETED)),
    ):
        into = out[bucket.key_of(row)]
        into.participants = row["participants"]
        into.enrollments = row["enrollments"]
        into.completed = row["completed"]
    for row in bucket.group(offered(scope), "").annotate(offered=Count("cohort__sessions")):
        out[bucket.key_of(row)].offered = row["offered"]
    counted = attended(Attendance.objects.filter(scope("enrollment__")))
    for row in bucket.group(counted, "enrollment__").annotate(attended=Count("id")):
        out[bucket.key_of(row)].attended = row["attended"]
    return out


def offered(scope: Scope):
    """The enrollments in scope joined to the sessions they were offered: the cohort's
    held sessions on or after the enrollment date (one row per enrollment and session;
    an enrollment without a date gets every held session)."""
    return Enrollment.objects.filter(
        scope(""),
        cohort__sessions__status=Session.Status.HELD,
        cohort__sessions__date__gte=Coalesce(F("enrolled_on"), F("cohort__start_date")),
    )


def attended(attendance):
    """Attendance that counts: present or late, on a held session the enrollment was
    offered (its own cohort's, on or after it enrolled).

    "Its own cohort's" is written as a difference of ids equal to zero rather than as an
    equality of columns: PostgreSQL would take an equality for a second join key and
    misjudge the join by orders of magnitude (a nested loop over every attendance row
    instead of hash joins); the difference is checked on each joined row instead.
    """
    return attendance.alias(cohort_gap=F("session__cohort_id") - F("enrollment__cohort_id")).filter(
        cohort_gap=0,
        status__in=Attendance.ATTENDED,
        session__status=Session.Status.HELD,
        session__date__gte=Coalesce(
            F("enrollment__enrolled_on"), F("enrollment__cohort__start_date")
        ),
    )


def sessions_since(days: Sequence[date], first_day: date) -> int:
    """How many of the sorted session ``days`` fall on or after ``first_day``: the
    sessions offered to an enrollment that began that day (``offered``)."""
    return len(days) - bisect_left(days, first_day)


def sessions_by_enrollment_and_module(
    scope: Scope, first_days: Iterable[tuple[int, int, date | None]]
) -> tuple[list[tuple], list[tuple]]:
    """Sessions offered and attended (as ``participation`` counts them) per enrollment id
    and module id of the session (None outside the curriculum): rows of ``(enrollment
    id, module id, sessions)``, offered then attended (2 queries).

    ``first_days`` are the enrollments in scope as ``(id, cohort id, first day)``, the
    first day being the enrollment date, else the cohort's start. What ``offered`` joins
    in the database (a million rows at national scale, one per enrollment and session) is
    counted here instead from the cohorts' held sessions, a few per cohort and module:
    its sessions on or after the enrollment's first day.
    """
    by_cohort: dict[int, dict[int | None, list[date]]] = defaultdict(lambda: defaultdict(list))
    held = (
        Session.objects.filter(
            status=Session.Status.HELD,
            cohort_id__in=Enrollment.objects.filter(scope("")).values("cohort_id"),
        )
        .order_by()
        .values_list("cohort_id", "module_id", "date")
    )
    for cohort_id, module_id, day in raw_rows(held):
        by_cohort[cohort_id][module_id].append(day)
    for modules in by_cohort.values():
        for days in modules.values():
            days.sort()
    offered_rows = []
    for enrollment_id, cohort_id, first_day in first_days:
        if first_day is None or cohort_id not in by_cohort:
            continue
        for module_id, days in by_cohort[cohort_id].items():
            n = sessions_since(days, first_day)
            if n:
                offered_rows.append((enrollment_id, module_id, n))
    counted = (
        attended(Attendance.objects.filter(scope("enrollment__")))
        .order_by()
        .values_list("enrollment_id", "session__module")
        .annotate(attended=Count("id"))
    )
    return offered_rows, raw_rows(counted)


def distinct_participants(scope: Scope, bucket: Bucket) -> dict[Hashable, int]:
    """Distinct participants per bucket (1 query)."""
    rows = bucket.group(Enrollment.objects.filter(scope("")), "")
    return {
        bucket.key_of(row): row["participants"]
        for row in rows.annotate(participants=Count("participant", distinct=True))
    }


def meets(
    target_scores: dict[str, float | None],
    where: Q | None = None,
    lower_is_better: Collection[str] = (),
) -> Q:
    """Administrations at or above their instrument's target score, or at or below it for
    the codes in ``lower_is_better`` (``target_scores`` by code; ``where`` narrows it to
    one program's, when several programs are counted together)."""
    met = Q(pk__in=[])  # matches nothing when no instrument has a target
    for code, target_score in target_scores.items():
        if target_score is not None:
            if code in lower_is_better:
                met |= Q(instrument_code=code, score__lte=target_score)
            else:
                met |= Q(instrument_code=code, score__gte=target_score)
    return met if where is None else where & met


def _scored_administrations(scope: Scope, codes: list[str]):
    """The administrations the outcome figures count: in scope, of consented people, of
    the ``codes``."""
    consented = evaluation_consented("enrollment__participant__")
    return Administration.objects.filter(
        scope("enrollment__"), consented, instrument_code__in=codes
    )


SCORED = Q(is_complete=True, score__isnull=False)
PRE = Q(timepoint=Administration.Timepoint.PRE)
POST = Q(timepoint=Administration.Timepoint.POST)


def _survey_counts(met: Q) -> dict:
    """The aggregates of ``SurveyCounts``, in its order."""
    return {
        "pre_n": Count("id", filter=SCORED & PRE),
        "post_n": Count("id", filter=SCORED & POST),
        "incomplete_n": Count("id", filter=Q(is_complete=False) | Q(score__isnull=True)),
        "meet_n": Count("id", filter=SCORED & POST & met),
    }


def surveys(scope: Scope, bucket: Bucket, codes: list[str], met: Q):
    """Per bucket and instrument: counts (1 query) and matched pairs (1 query)."""
    base = _scored_administrations(scope, codes)
    counts: dict = {}
    counted = (
        bucket.group(base, "enrollment__", "instrument_code")
        .annotate(**_survey_counts(met))
        .values_list(*bucket.names, "instrument_code", *_survey_counts(met))
    )
    for key, code, *numbers in _keyed(bucket, raw_rows(counted)):
        counts[(key, code)] = SurveyCounts(*numbers)
    # One row per enrollment and instrument with both a scored pre and a scored post
    # (at most one administration per timepoint, so Max is that administration's score).
    matched = (
        bucket.group(base.filter(SCORED), "enrollment__", "enrollment_id", "instrument_code")
        .annotate(pre_score=Max("score", filter=PRE), post_score=Max("score", filter=POST))
        .filter(pre_score__isnull=False, post_score__isnull=False)
        .order_by("enrollment_id")  # a fixed order: identical results every time
        .values_list(*bucket.names, "instrument_code", "enrollment_id", "pre_score", "post_score")
    )
    pairs: dict = defaultdict(list)
    for key, code, enrollment_id, pre_score, post_score in _keyed(bucket, raw_rows(matched)):
        pairs[(key, code)].append((enrollment_id, float(pre_score), float(post_score)))
    return counts, pairs


def surveys_by_enrollment(scope: Scope, codes: list[str], met: Q) -> list[tuple]:
    """What ``surveys`` counts, per enrollment and instrument, in one query: rows of
    ``(enrollment id, code, pre_n, post_n, incomplete_n, meet_n, pre score, post score)``
    in enrollment order, the scores None unless both are there (a matched pair)."""
    rows = (
        _scored_administrations(scope, codes)
        .order_by()
        .values("enrollment_id", "instrument_code")
        .annotate(
            **_survey_counts(met),
            pre_score=Max("score", filter=SCORED & PRE),
            post_score=Max("score", filter=SCORED & POST),
        )
        .order_by("enrollment_id", "instrument_code")
        .values_list(
            "enrollment_id", "instrument_code", *_survey_counts(met), "pre_score", "post_score"
        )
    )
    return [
        (*row[:6], None, None) if row[6] is None or row[7] is None else row
        for row in raw_rows(rows)
    ]


def _keyed(bucket: Bucket, rows: list[tuple]) -> list[tuple]:
    """Rows that start with the bucket's columns, with one key value in front instead."""
    if bucket.key is None:
        return rows
    width = len(bucket.names)
    return [(bucket.key(*row[:width]), *row[width:]) for row in rows]


def raw_rows(queryset) -> list[tuple]:
    """The rows of a ``values_list`` queryset straight from the database cursor.

    For the queries that return a row per enrollment or matched pair (hundreds of
    thousands at national scale): Django's per-value converters would cost more than the
    query; the values here are plain numbers and codes that need none.
    """
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # e.g. no instrument codes: nothing can match
        return []
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def tally(scope: Scope, bucket: Bucket, codes: list[str], met: Q) -> Tallies:
    counted = participation(scope, bucket)
    counts, pairs = surveys(scope, bucket, codes, met)
    return Tallies(counted, counts, pairs)


def regrouped(tallies: Tallies, key_of: Callable, participants: dict) -> Tallies:
    """The tallies added up into coarser buckets: bucket ``k`` goes into ``key_of(k)``
    (buckets mapped to ``False`` are dropped).

    Right when the new buckets are unions of the old ones, as cohorts make up program
    years and years a whole program; distinct participants do not add up and come
    from ``participants`` (new key -> count).
    """
    into_participation: dict = {}
    for key, row in tallies.participation.items():
        new = key_of(key)
        if new is False:
            continue
        into = into_participation.get(new)
        if into is None:
            into = into_participation[new] = Participation(participants.get(new, 0))
        into.add(row)
    counts: dict = defaultdict(SurveyCounts)
    for (key, code), survey_row in tallies.surveys.items():
        if (new := key_of(key)) is not False:
            counts[(new, code)].add(survey_row)
    pairs: dict = defaultdict(list)
    for (key, code), rows in tallies.pairs.items():
        if (new := key_of(key)) is not False:
            pairs[(new, code)].extend(rows)
    for rows in pairs.values():
        rows.sort()  # enrollment order, as one query over the new bucket returns them
    return Tallies(into_participation, dict(counts), dict(pairs))
