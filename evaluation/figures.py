"""Evaluation figures, computed exactly as shared/spec/evaluation.md defines them.

The database does the counting (one grouped aggregation per kind of figure, whatever the
number of years, cohorts or groups); ``evaluation.stats`` does the statistics on the
matched pairs. The number of queries of a report does not depend on the amount of data.

Every report is built by the same engine, ``_figures``: it takes the enrollments in scope
and a *bucket* (an expression on the enrollment: its cohort's program year, its cohort,
a demographic field, or nothing for one total) and answers one spec object per bucket.
Choices the spec leaves open are written in docs/definitions.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import reduce
from operator import or_

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from participants.models import Enrollment, Participant
from programs.models import Cohort, Program
from sessions.models import Attendance, Session
from surveys.models import Administration, Instrument, ProgramInstrument

from . import stats

#: Enrollments that count: those that held a place in the cohort (applied and
#: waitlisted people never took part).
COUNTED_STATUSES = tuple(Enrollment.ACTIVE_STATUSES)
#: The self-identified fields a report may be broken down by.
DEMOGRAPHIC_FIELDS = ("gender_identity", "indigenous_identity", "racialised")

PARTICIPATION_KEYS = (
    "sessions_offered_mean",
    "sessions_attended_mean",
    "attendance_rate",
    "completion_rate",
)
MATCHED_KEYS = (
    "pre_mean",
    "post_mean",
    "mean_change",
    "sd_change",
    "t",
    "p_value",
    "wilcoxon_p",
    "effect_size_dz",
)
POST_KEYS = ("post_meeting_target_n", "post_meeting_target_pct")
COUNT_KEYS = ("participants", "enrollments")
#: Bucket keys of several programs' years: program index * YEAR_KEYS + year.
YEAR_KEYS = 1000
#: What ``_surveys`` counts per bucket and instrument.
SURVEY_COUNTS = ("pre_n", "post_n", "incomplete_n", "meet_n")
INSTRUMENT_COUNT_KEYS = ("pre_n", "post_n", "matched_n", "incomplete_n")


class ReportError(ValueError):
    """A report that cannot be made (a year before the program started, dates reversed)."""


# --- periods ------------------------------------------------------------------------


def add_years(day: date, years: int) -> date:
    """``day`` moved by whole years; 29 February becomes 1 March in other years, which
    matches ``Program.year_of`` (a day before 29 February belongs to the earlier year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


@dataclass(frozen=True)
class Period:
    """Cohort start dates from ``start`` to ``end`` (both inclusive)."""

    kind: str  # "year", "all" or "range" (EvaluationRun.Period)
    start: date
    end: date
    year: int | None = None


def year_period(program: Program, year: int) -> Period:
    """Program year ``year``: ``[start + (year-1) years, start + year years)``."""
    if year < 1:
        raise ReportError(f"Year {year} is before the program started (years count from 1).")
    start = add_years(program.start_date, year - 1)
    end = add_years(program.start_date, year) - timedelta(days=1)
    return Period("year", start, end, year)


def range_period(date_from: date, date_to: date) -> Period:
    if date_from > date_to:
        raise ReportError(f"The range starts ({date_from}) after it ends ({date_to}).")
    return Period("range", date_from, date_to)


def program_years(program: Program, *, today: date | None = None) -> list[int]:
    """Year 1 up to the year containing today or the last cohort, whichever is later.

    A program that has ended stops at the year containing its end date (unless a cohort
    starts later); a program that has not started yet has its cohorts' years or Year 1.
    """
    today = today or timezone.localdate()
    if program.end_date and program.end_date < today:
        today = program.end_date
    last_start = (
        program.cohorts.order_by("-start_date").values_list("start_date", flat=True).first()
    )
    last = max(program.year_of(today), program.year_of(last_start) if last_start else 1, 1)
    return list(range(1, last + 1))


def all_years_period(program: Program, years: list[int]) -> Period:
    return Period(
        "all", program.start_date, add_years(program.start_date, years[-1]) - timedelta(days=1)
    )


# --- scope and buckets ----------------------------------------------------------------

Bucket = Callable[[str], object] | None  # prefix ("" or "enrollment__") -> expression
Scope = Callable[[str], Q]  # prefix -> the enrollments counted, seen from that far away


def _scope(program: Program, period: Period, prefix: str = "") -> Q:
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


def _period_scope(program: Program, period: Period) -> Scope:
    return lambda prefix: _scope(program, period, prefix)


def field_bucket(path: str) -> Bucket:
    """A field of the enrollment, e.g. ``cohort_id`` or ``participant__gender_identity``."""
    return lambda prefix: F(prefix + path)


def _grouped(queryset, bucket: Bucket, prefix: str, *extra: str):
    """``queryset`` grouped by the bucket (key ``b``, None when there is no bucket)."""
    queryset = queryset.order_by()
    if bucket is None:
        return queryset.annotate(b=Value(None, output_field=IntegerField())).values("b", *extra)
    return queryset.annotate(b=bucket(prefix)).values("b", *extra)


# --- instruments ----------------------------------------------------------------------


@dataclass(frozen=True)
class InstrumentInfo:
    code: str
    name: str
    target_score: float | None
    target_pct: float | None


def program_instruments(program: Program, period: Period) -> dict[str, InstrumentInfo]:
    """The instruments the program uses, plus any answered in the period, by code.

    Two queries: the program's targets, then the instruments (with the codes answered in
    scope folded into the second query). The target score is the current version's.
    """
    targets = dict(
        ProgramInstrument.objects.filter(program=program).values_list(
            "instrument_code", "target_pct"
        )
    )
    answered = (
        Administration.objects.filter(_scope(program, period, "enrollment__"))
        .values("instrument_code")
        .distinct()
    )
    rows = (
        Instrument.objects.filter(organisation_id=program.organisation_id)
        .filter(Q(code__in=list(targets)) | Q(code__in=Subquery(answered)))
        .order_by("code", "-is_current", "-version")
        .values_list("code", "name", "target_score")
    )
    found: dict[str, InstrumentInfo] = {}
    for code, name, target_score in rows:
        if code not in found:  # the current (or else latest) version comes first
            found[code] = InstrumentInfo(code, name, target_score, targets.get(code))
    for code, target_pct in targets.items():
        found.setdefault(code, InstrumentInfo(code, code, None, target_pct))
    return dict(sorted(found.items()))


# --- the engine -----------------------------------------------------------------------


def _participation(scope: Scope, bucket: Bucket):
    """Per bucket: participants, enrollments, completed, offered and attended (3 queries)."""
    out: dict = defaultdict(lambda: dict.fromkeys(("p", "e", "c", "o", "a"), 0))
    enrollments = _grouped(Enrollment.objects.filter(scope("")), bucket, "")
    for row in enrollments.annotate(
        p=Count("participant", distinct=True),
        e=Count("id"),
        c=Count("id", filter=Q(status=Enrollment.Status.COMPLETED)),
    ):
        out[row["b"]].update(p=row["p"], e=row["e"], c=row["c"])
    # Offered: the cohort's held sessions on or after the enrollment date (one join row
    # per enrollment and session; an enrollment without a date gets every held session).
    offered = Enrollment.objects.filter(
        scope(""),
        cohort__sessions__status=Session.Status.HELD,
        cohort__sessions__date__gte=Coalesce(F("enrolled_on"), F("cohort__start_date")),
    )
    for row in _grouped(offered, bucket, "").annotate(o=Count("cohort__sessions")):
        out[row["b"]]["o"] = row["o"]
    attended = _attended(Attendance.objects.filter(scope("enrollment__")))
    for row in _grouped(attended, bucket, "enrollment__").annotate(a=Count("id")):
        out[row["b"]]["a"] = row["a"]
    return out


def _attended(attendance):
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


def _distinct_participants(scope: Scope, bucket: Bucket) -> dict:
    """Distinct participants per bucket (1 query)."""
    rows = _grouped(Enrollment.objects.filter(scope("")), bucket, "")
    return {row["b"]: row["p"] for row in rows.annotate(p=Count("participant", distinct=True))}


def _meets(instruments: dict[str, InstrumentInfo], where: Q | None = None) -> Q:
    """Administrations at or above their instrument's target score (``where`` narrows
    it to one program's, when several programs are counted together)."""
    meets = Q(pk__in=[])  # matches nothing when no instrument has a target
    for info in instruments.values():
        if info.target_score is not None:
            meets |= Q(instrument_code=info.code, score__gte=info.target_score)
    return meets if where is None else where & meets


def _surveys(scope: Scope, bucket: Bucket, codes: list[str], meets: Q):
    """Per bucket and instrument: counts (1 query) and matched pairs (1 query)."""
    consented = Q(enrollment__participant__evaluation_consent=Participant.Consent.YES)
    base = Administration.objects.filter(
        scope("enrollment__"), consented, instrument_code__in=codes
    )
    scored = Q(is_complete=True, score__isnull=False)
    pre = Q(timepoint=Administration.Timepoint.PRE)
    post = Q(timepoint=Administration.Timepoint.POST)
    counts: dict = {}
    for row in _grouped(base, bucket, "enrollment__", "instrument_code").annotate(
        pre_n=Count("id", filter=scored & pre),
        post_n=Count("id", filter=scored & post),
        incomplete_n=Count("id", filter=Q(is_complete=False) | Q(score__isnull=True)),
        meet_n=Count("id", filter=scored & post & meets),
    ):
        counts[(row["b"], row["instrument_code"])] = row
    # One row per enrollment and instrument with both a scored pre and a scored post
    # (at most one administration per timepoint, so Max is that administration's score).
    matched = (
        _grouped(base.filter(scored), bucket, "enrollment__", "enrollment_id", "instrument_code")
        .annotate(pre_score=Max("score", filter=pre), post_score=Max("score", filter=post))
        .filter(pre_score__isnull=False, post_score__isnull=False)
        .order_by("enrollment_id")  # a fixed order: identical results every time
        .values_list("b", "instrument_code", "enrollment_id", "pre_score", "post_score")
    )
    pairs: dict = defaultdict(list)
    for key, code, enrollment_id, pre_score, post_score in _raw_rows(matched):
        pairs[(key, code)].append((enrollment_id, float(pre_score), float(post_score)))
    return counts, pairs


def _raw_rows(queryset) -> list[tuple]:
    """The rows of a ``values_list`` queryset straight from the database cursor.

    For the one query that returns a row per matched pair (hundreds of thousands at
    national scale): Django's per-value converters would cost more than the query; the
    values here are plain numbers and codes that need none.
    """
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # e.g. no instrument codes: nothing can match
        return []
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass
class Tallies:
    """What the database counted, per bucket key: participation (``p`` participants,
    ``e`` enrollments, ``c`` completed, ``o`` offered, ``a`` attended), survey counts
    per (key, instrument), and matched ``(enrollment id, pre, post)`` per (key,
    instrument) in enrollment order."""

    part: dict
    counts: dict
    pairs: dict


def _tally(scope: Scope, bucket: Bucket, codes: list[str], meets: Q) -> Tallies:
    part = _participation(scope, bucket)
    counts, pairs = _surveys(scope, bucket, codes, meets)
    return Tallies(part, counts, pairs)


def _regrouped(tallies: Tallies, key_of: Callable, participants: dict) -> Tallies:
    """The tallies added up into coarser buckets: bucket ``k`` goes into ``key_of(k)``
    (buckets mapped to ``False`` are dropped).

    Right when the new buckets are unions of the old ones, as cohorts make up program
    years and years a whole program; distinct participants do not add up and come
    from ``participants`` (new key -> count).
    """
    part: dict = {}
    for key, row in tallies.part.items():
        new = key_of(key)
        if new is False:
            continue
        into = part.setdefault(new, {"p": participants.get(new, 0), "e": 0, "c": 0, "o": 0, "a": 0})
        for k in "ecoa":
            into[k] += row[k]
    counts: dict = defaultdict(lambda: dict.fromkeys(SURVEY_COUNTS, 0))
    for (key, code), row in tallies.counts.items():
        if (new := key_of(key)) is not False:
            for k in SURVEY_COUNTS:
                counts[(new, code)][k] += row[k]
    pairs: dict = defaultdict(list)
    for (key, code), rows in tallies.pairs.items():
        if (new := key_of(key)) is not False:
            pairs[(new, code)].extend(rows)
    for rows in pairs.values():
        rows.sort()  # enrollment order, as one query over the new bucket returns them
    return Tallies(part, dict(counts), dict(pairs))


def _figures(
    program: Program,
    period: Period,
    bucket: Bucket,
    instruments: dict[str, InstrumentInfo],
    *,
    min_cell: int,
    external: bool,
    keys: list | None = None,
) -> dict:
    """One spec object (without program/year/period keys) per bucket key."""
    tallies = _tally(_period_scope(program, period), bucket, list(instruments), _meets(instruments))
    return _assemble(tallies, instruments, min_cell=min_cell, external=external, keys=keys)


def _assemble(
    tallies: Tallies,
    instruments: dict[str, InstrumentInfo],
    *,
    min_cell: int,
    external: bool,
    keys: list | None = None,
) -> dict:
    """Spec objects from counted tallies: means, rates, statistics and suppression."""
    part, counts, pairs = tallies.part, tallies.counts, tallies.pairs
    result = {}
    for key in keys if keys is not None else sorted(part, key=_sort_key):
        row = part.get(key) or dict.fromkeys(("p", "e", "c", "o", "a"), 0)
        suppressed: list[str] = []
        obj = {
            "participants": row["p"],
            "enrollments": row["e"],
            "sessions_offered_mean": stats.ratio(row["o"], row["e"]),
            "sessions_attended_mean": stats.ratio(row["a"], row["e"]),
            "attendance_rate": stats.ratio(row["a"], row["o"]),
            "completion_rate": stats.ratio(row["c"], row["e"]),
        }
        stats.suppress(
            obj, PARTICIPATION_KEYS, n=row["e"], min_cell=min_cell, suppressed=suppressed
        )
        if external:
            stats.suppress_small_counts(obj, COUNT_KEYS, min_cell=min_cell, suppressed=suppressed)
        obj["instruments"] = {
            code: _instrument_figures(
                info,
                counts.get((key, code), {}),
                [(pre, post) for _, pre, post in pairs.get((key, code), [])],
                min_cell=min_cell,
                external=external,
                suppressed=suppressed,
            )
            for code, info in instruments.items()
        }
        obj["suppressed"] = suppressed
        result[key] = obj
    return result


def _instrument_figures(info, counts, pairs, *, min_cell, external, suppressed) -> dict:
    prefix = f"instruments.{info.code}."
    paired = stats.paired(pairs)
    post_n = counts.get("post_n", 0)
    meet_n = counts.get("meet_n", 0) if info.target_score is not None else None
    obj = {
        "pre_n": counts.get("pre_n", 0),
        "post_n": post_n,
        "matched_n": paired.matched_n,
        "incomplete_n": counts.get("incomplete_n", 0),
        "pre_mean": paired.pre_mean,
        "post_mean": paired.post_mean,
        "mean_change": paired.mean_change,
        "sd_change": paired.sd_change,
        "t": paired.t,
        "p_value": paired.p_value,
        "wilcoxon_p": paired.wilcoxon_p,
        "effect_size_dz": paired.effect_size_dz,
        "target_score": info.target_score,
        "post_meeting_target_n": meet_n,
        "post_meeting_target_pct": (
            100 * meet_n / post_n if meet_n is not None and post_n else None
        ),
        "target_pct": info.target_pct,
    }
    stats.suppress(
        obj, MATCHED_KEYS, n=paired.matched_n, min_cell=min_cell, suppressed=suppressed,
        prefix=prefix,
    )  # fmt: skip
    if info.target_score is not None:
        stats.suppress(
            obj, POST_KEYS, n=post_n, min_cell=min_cell, suppressed=suppressed, prefix=prefix
        )
    if external:
        keys = [*INSTRUMENT_COUNT_KEYS, "post_meeting_target_n"]
        stats.suppress_small_counts(
            obj, keys, min_cell=min_cell, suppressed=suppressed, prefix=prefix
        )
    return obj


def _sort_key(key):
    return (key is None, "" if key is None else str(key) if not isinstance(key, int) else key)


def _header(program: Program, period: Period, year: int | None) -> dict:
    return {
        "program": program.code,
        "year": year,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
    }


def _with_header(header: dict, body: dict) -> dict:
    return {**header, **body}


# --- public API -----------------------------------------------------------------------


def _options(min_cell: int | None) -> int:
    return settings.MIN_CELL if min_cell is None else min_cell


def report(
    program: Program, period: Period, *, min_cell: int | None = None, external: bool = False
) -> dict:
    """The spec object for one program year or a custom range of cohort start dates."""
    instruments = program_instruments(program, period)
    body = _figures(
        program,
        period,
        None,
        instruments,
        min_cell=_options(min_cell),
        external=external,
        keys=[None],
    )[None]
    return _with_header(_header(program, period, period.year), body)


def report_all_years(
    program: Program,
    *,
    today: date | None = None,
    min_cell: int | None = None,
    external: bool = False,
) -> dict:
    """``{"program", "years": [Year 1, ...], "total": {..., "year": null}}``."""
    reports = report_all_years_many([program], today=today, min_cell=min_cell, external=external)
    return reports[program.pk]


def report_all_years_many(
    programs: list[Program],
    *,
    today: date | None = None,
    min_cell: int | None = None,
    external: bool = False,
) -> dict[int, dict]:
    """``report_all_years`` of each program, by program id, counted together.

    The database counts every program in the same handful of aggregations, grouped by
    cohort; the cohorts' tallies are then added up into program years (a cohort belongs
    to one year of one program), and a program's years into its total. So a whole
    organisation or data set costs about what its largest program does. Distinct
    participants do not add up and are counted per year and per program.
    """
    if not programs:
        return {}
    cell = _options(min_cell)
    plans = []
    for program in programs:
        years = program_years(program, today=today)
        whole = all_years_period(program, years)
        plans.append((program, years, whole, program_instruments(program, whole)))

    def scope(prefix: str) -> Q:
        return reduce(or_, (_scope(program, whole, prefix) for program, _, whole, _ in plans))

    def bucket(prefix: str):
        whens = [
            When(
                **{
                    f"{prefix}cohort__program": program.pk,
                    f"{prefix}cohort__start_date__gte": period.start,
                    f"{prefix}cohort__start_date__lte": period.end,
                },
                then=Value(index * YEAR_KEYS + year),
            )
            for index, (program, years, _, _) in enumerate(plans)
            for year, period in ((y, year_period(program, y)) for y in years)
        ]
        return Case(*whens, default=Value(None), output_field=IntegerField())

    codes = sorted({code for *_, instruments in plans for code in instruments})
    meets = reduce(
        or_,
        (
            _meets(instruments, Q(enrollment__cohort__program=program.pk))
            for program, _, _, instruments in plans
        ),
    )
    # Counted per cohort (a cheap integer group), then added up into program years here:
    # a cohort belongs to one year of one program.
    by_cohort = _tally(scope, field_bucket("cohort_id"), codes, meets)
    bounds = {
        program.pk: (index, [(y, year_period(program, y)) for y in years])
        for index, (program, years, _, _) in enumerate(plans)
    }
    year_of = {}
    for cohort_id, program_id, start in Cohort.objects.filter(program__in=list(bounds)).values_list(
        "id", "program_id", "start_date"
    ):
        index, year_periods = bounds[program_id]
        for year, period in year_periods:
            if period.start <= start <= period.end:
                year_of[cohort_id] = index * YEAR_KEYS + year
    by_year_key = _regrouped(
        by_cohort,
        lambda cohort_id: year_of.get(cohort_id, False),
        _distinct_participants(scope, bucket),
    )
    totals = dict(
        Enrollment.objects.filter(scope(""))
        .order_by()
        .values_list("cohort__program")
        .annotate(p=Count("participant", distinct=True))
        .values_list("cohort__program", "p")
    )
    reports = {}
    for index, (program, years, whole, instruments) in enumerate(plans):
        mine = _regrouped(
            by_year_key,
            lambda key, i=index: key % YEAR_KEYS if key // YEAR_KEYS == i else False,
            {y: by_year_key.part.get(index * YEAR_KEYS + y, {}).get("p", 0) for y in years},
        )
        by_year = _assemble(mine, instruments, min_cell=cell, external=external, keys=years)
        total = _assemble(
            _regrouped(mine, lambda key: None, {None: totals.get(program.pk, 0)}),
            instruments,
            min_cell=cell,
            external=external,
            keys=[None],
        )[None]
        reports[program.pk] = {
            "program": program.code,
            "years": [
                _with_header(_header(program, year_period(program, y), y), by_year[y])
                for y in years
            ],
            "total": _with_header(_header(program, whole, None), total),
        }
    return reports


def breakdown(
    program: Program,
    period: Period,
    by: str,
    *,
    min_cell: int | None = None,
    external: bool = False,
) -> list[dict]:
    """Figures per cohort (``by="cohort"``) or per self-identified group (``by`` one of
    DEMOGRAPHIC_FIELDS), each a spec object without the period keys, plus ``"group"``.

    Groups below ``min_cell`` enrollments have their statistics suppressed like any
    other figure; a blank demographic answer is the group ``""`` (not recorded).
    """
    if by == "cohort":
        bucket = field_bucket("cohort__code")
    elif by in DEMOGRAPHIC_FIELDS:
        bucket = field_bucket(f"participant__{by}")
    else:
        raise ReportError(f"Unknown breakdown {by!r}.")
    instruments = program_instruments(program, period)
    figures = _figures(
        program, period, bucket, instruments, min_cell=_options(min_cell), external=external
    )
    return [{"group": key, **obj} for key, obj in figures.items()]


def module_breakdown(
    program: Program, period: Period, *, min_cell: int | None = None
) -> list[dict]:
    """Attendance per module, by the module of each session (3 queries).

    ``sessions_offered`` / ``sessions_attended`` are totals over enrollments (one per
    enrollment and session), the means are per enrollment in the period, and the rate is
    attended / offered. Sessions without a module form the group ``null``.
    """
    cell = _options(min_cell)
    enrollments = Enrollment.objects.filter(_scope(program, period)).count()
    # Keyed by module id, None for sessions outside the curriculum.
    offered: dict[int | None, int] = dict(
        Enrollment.objects.filter(
            _scope(program, period),
            cohort__sessions__status=Session.Status.HELD,
            cohort__sessions__date__gte=Coalesce(F("enrolled_on"), F("cohort__start_date")),
        )
        .order_by()
        .values_list("cohort__sessions__module")
        .annotate(n=Count("cohort__sessions"))
        .values_list("cohort__sessions__module", "n")
    )
    attended: dict[int | None, int] = dict(
        _attended(Attendance.objects.filter(_scope(program, period, "enrollment__")))
        .order_by()
        .values_list("session__module")
        .annotate(n=Count("id"))
        .values_list("session__module", "n")
    )
    modules = list(program.modules.order_by("order").values_list("id", "order", "name"))
    rows: list[tuple[int | None, int | None, str | None]] = list(modules)
    if None in offered or None in attended:
        rows.append((None, None, None))
    result = []
    for module_id, order, name in rows:
        o, a = offered.get(module_id, 0), attended.get(module_id, 0)
        suppressed: list[str] = []
        obj: dict[str, object] = {
            "module": name,
            "order": order,
            "enrollments": enrollments,
            "sessions_offered": o,
            "sessions_attended": a,
            "sessions_offered_mean": stats.ratio(o, enrollments),
            "sessions_attended_mean": stats.ratio(a, enrollments),
            "attendance_rate": stats.ratio(a, o),
        }
        stats.suppress(
            obj,
            ("sessions_offered_mean", "sessions_attended_mean", "attendance_rate"),
            n=enrollments,
            min_cell=cell,
            suppressed=suppressed,
        )
        obj["suppressed"] = suppressed
        result.append(obj)
    return result


def confidence_intervals(
    program: Program, period: Period, *, min_cell: int | None = None, level: float = 0.95
) -> dict[str, dict]:
    """95% confidence intervals of the matched pre and post means, per instrument, for the
    charts (2 queries). Suppressed (None) below ``min_cell`` matched pairs."""
    cell = _options(min_cell)
    instruments = program_instruments(program, period)
    _, pairs = _surveys(_period_scope(program, period), None, list(instruments), Q(pk__in=[]))
    out = {}
    for code in instruments:
        matched = pairs.get((None, code), [])
        shown = len(matched) >= cell
        out[code] = {
            "pre_ci": stats.mean_ci([pre for _, pre, _ in matched], level) if shown else None,
            "post_ci": stats.mean_ci([post for _, _, post in matched], level) if shown else None,
        }
    return out
