"""Evaluation figures, computed exactly as docs/figures.md defines them.

The public reports: one period (``report``), every program year and the total
(``report_all_years``, ``report_all_years_many``), breakdowns by cohort, group and
module, and the confidence intervals the charts draw. The database does the counting
(``evaluation.engine``, one grouped aggregation per kind of figure); ``evaluation.stats``
does the statistics on the matched pairs. Periods are ``evaluation.periods``. Choices
the spec leaves open are written in docs/definitions.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date
from functools import cached_property, reduce
from operator import or_
from typing import NamedTuple

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from participants.models import Consent, Enrollment, Participant, evaluation_consented
from programs.models import Cohort, Program
from surveys.instruments import program_instrument_links, scoring_differs
from surveys.models import Administration, Instrument

from . import engine, stats
from .engine import Bucket, Participation, SurveyCounts, Tallies
from .periods import Period, ReportError, all_years_period, program_years, year_period

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
    "wilcoxon_method",
    "effect_size_dz",
)
POST_KEYS = ("post_meeting_target_n", "post_meeting_target_pct")
COUNT_KEYS = ("participants", "enrollments")
INSTRUMENT_COUNT_KEYS = ("pre_n", "post_n", "matched_n", "incomplete_n")


class YearKey(NamedTuple):
    """A bucket of several programs counted together: one program year of one program."""

    program_id: int
    year: int | None


# --- instruments ----------------------------------------------------------------------


@dataclass(frozen=True)
class InstrumentInfo:
    code: str
    name: str
    target_score: float | None
    target_pct: float | None
    #: What the score is ("metric score", "raw total", …; "" when not recorded).
    score_label: str = ""
    higher_is_better: bool = True


def period_instruments(program: Program, period: Period) -> dict[str, InstrumentInfo]:
    """The instruments the program uses (``surveys.instruments.program_instrument_links``),
    plus any answered in the period, by code.

    Two queries: the program's targets, then the instruments (with the codes answered in
    scope folded into the second query). The target score is the current version's.
    """
    targets = dict(
        program_instrument_links(program=program).values_list("instrument_code", "target_pct")
    )
    answered = (
        Administration.objects.filter(engine.scope_q(program, period, "enrollment__"))
        .values("instrument_code")
        .distinct()
    )
    rows = (
        Instrument.objects.filter(organisation_id=program.organisation_id)
        .filter(Q(code__in=list(targets)) | Q(code__in=Subquery(answered)))
        .order_by("code", "-is_current", "-version")
        .values_list("code", "name", "target_score", "score_label", "higher_is_better")
    )
    found: dict[str, InstrumentInfo] = {}
    for code, name, target_score, label, higher in rows:
        if code not in found:  # the current (or else latest) version comes first
            found[code] = InstrumentInfo(
                code,
                name,
                target_score,
                targets.get(code),
                score_label=label,
                higher_is_better=higher,
            )
    for code, target_pct in targets.items():
        found.setdefault(code, InstrumentInfo(code, code, None, target_pct))
    return dict(sorted(found.items()))


def version_use(program: Program, period: Period) -> dict[str, dict]:
    """Per instrument code, the versions its scored administrations in ``period`` (those
    the outcome figures use) were answered on, and whether those versions all score
    answers the same way (``surveys.instruments.scoring_differs``):
    ``{"GSE": {"versions": [1, 2], "same_scoring": True}}``."""
    pairs = (
        Administration.objects.filter(
            engine.scope_q(program, period, "enrollment__"),
            evaluation_consented("enrollment__participant__"),
            is_complete=True,
            score__isnull=False,
        )
        .values_list("instrument_id", flat=True)
        .distinct()
    )
    by_code: dict[str, list[Instrument]] = {}
    for instrument in (
        Instrument.objects.filter(pk__in=Subquery(pairs))
        .order_by("code", "version")
        .prefetch_related("items")
    ):
        by_code.setdefault(instrument.code, []).append(instrument)
    return {
        code: {
            "versions": [i.version for i in versions],
            "same_scoring": not scoring_differs(versions),
        }
        for code, versions in by_code.items()
    }


def consent_left_out(program: Program, period: Period, *, on: date | None = None) -> dict:
    """What the consent rule (``participants.models.evaluation_consented``) leaves out of
    the outcome statistics because her evaluation consent was withdrawn or has expired
    (on ``on``, today by default): per reason, the people and their surveys in the period.
    ``{"withdrawn": {"participants": 2, "administrations": 5}, "expired": {...}}``; two
    queries."""
    day = on or timezone.localdate()
    expired = Q(evaluation_consent=Participant.Consent.YES, evaluation_consent_expires_on__lte=day)
    withdrawn = Q(evaluation_consent=Participant.Consent.NO) & Q(
        Exists(
            Consent.objects.filter(
                participant=OuterRef("pk"),
                kind=Consent.Kind.EVALUATION,
                given=True,
                withdrawn_on__isnull=False,
            )
        )
    )
    # The few people of the organisation concerned first, then their surveys in the
    # period (not a test of every survey in the period against the consent rule).
    concerned = dict(
        Participant.objects.filter(expired | withdrawn, organisation_id=program.organisation_id)
        .annotate(reason=Case(When(expired, then=Value("expired")), default=Value("withdrawn")))
        .values_list("pk", "reason")
    )
    counts = {
        f"{reason}_{what}": 0
        for reason in ("withdrawn", "expired")
        for what in ("participants", "administrations")
    }
    for participant_id, n in (
        Administration.objects.filter(
            engine.scope_q(program, period, "enrollment__"),
            enrollment__participant__in=list(concerned),
        )
        .order_by()
        .values_list("enrollment__participant")
        .annotate(n=Count("id"))
        .values_list("enrollment__participant", "n")
    ):
        counts[f"{concerned[participant_id]}_participants"] += 1
        counts[f"{concerned[participant_id]}_administrations"] += n
    return {
        reason: {
            "participants": counts[f"{reason}_participants"],
            "administrations": counts[f"{reason}_administrations"],
        }
        for reason in ("withdrawn", "expired")
    }


def _target_scores(instruments: dict[str, InstrumentInfo]) -> dict[str, float | None]:
    return {code: info.target_score for code, info in instruments.items()}


def _lower_is_better(instruments: dict[str, InstrumentInfo]) -> set[str]:
    return {code for code, info in instruments.items() if not info.higher_is_better}


# --- from tallies to figures ----------------------------------------------------------


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
    tallies = engine.tally(
        engine.period_scope(program, period),
        bucket,
        list(instruments),
        engine.meets(_target_scores(instruments), lower_is_better=_lower_is_better(instruments)),
    )
    return _assemble(tallies, instruments, min_cell=min_cell, external=external, keys=keys)


def _assemble(
    tallies: Tallies,
    instruments: dict[str, InstrumentInfo],
    *,
    min_cell: int,
    external: bool,
    keys: list | None = None,
    statistics: bool = True,
) -> dict:
    """Spec objects from counted tallies: means, rates, statistics and suppression.
    Without ``statistics`` the matched pairs are only counted (``stats.Paired.untested``):
    enough to know which figures suppression hides, which depends on counts only."""
    part, counts, pairs = tallies.participation, tallies.surveys, tallies.pairs
    result = {}
    for key in keys if keys is not None else sorted(part, key=_sort_key):
        row = part.get(key) or Participation()
        suppressed: list[str] = []
        obj: dict[str, object] = {
            "participants": row.participants,
            "enrollments": row.enrollments,
            "sessions_offered_mean": stats.ratio(row.offered, row.enrollments),
            "sessions_attended_mean": stats.ratio(row.attended, row.enrollments),
            "attendance_rate": stats.ratio(row.attended, row.offered),
            "completion_rate": stats.ratio(row.completed, row.enrollments),
        }
        stats.suppress(
            obj, PARTICIPATION_KEYS, n=row.enrollments, min_cell=min_cell, suppressed=suppressed
        )
        if external:
            stats.suppress_small_counts(obj, COUNT_KEYS, min_cell=min_cell, suppressed=suppressed)
        obj["instruments"] = {
            code: _instrument_figures(
                info,
                counts.get((key, code)) or SurveyCounts(),
                [(pre, post) for _, pre, post in pairs.get((key, code), [])],
                min_cell=min_cell,
                external=external,
                suppressed=suppressed,
                statistics=statistics,
            )
            for code, info in instruments.items()
        }
        obj["suppressed"] = suppressed
        result[key] = obj
    return result


def _instrument_figures(
    info: InstrumentInfo,
    counts: SurveyCounts,
    pairs,
    *,
    min_cell,
    external,
    suppressed,
    statistics: bool = True,
) -> dict:
    prefix = f"instruments.{info.code}."
    paired = stats.paired(pairs) if statistics else stats.Paired.untested(len(pairs))
    post_n = counts.post_n
    meet_n = counts.meet_n if info.target_score is not None else None
    obj = {
        "pre_n": counts.pre_n,
        "post_n": post_n,
        "matched_n": paired.matched_n,
        "incomplete_n": counts.incomplete_n,
        "pre_mean": paired.pre_mean,
        "post_mean": paired.post_mean,
        "mean_change": paired.mean_change,
        "sd_change": paired.sd_change,
        "t": paired.t,
        "p_value": paired.p_value,
        "wilcoxon_p": paired.wilcoxon_p,
        "wilcoxon_method": paired.wilcoxon_method,
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
    instruments = period_instruments(program, period)
    body = _figures(
        program,
        period,
        engine.TOTAL,
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
        plans.append((program, years, whole, period_instruments(program, whole)))

    def scope(prefix: str) -> Q:
        return reduce(
            or_, (engine.scope_q(program, whole, prefix) for program, _, whole, _ in plans)
        )

    def year_columns(prefix: str) -> tuple:
        year = Case(
            *(
                When(
                    **{
                        f"{prefix}cohort__program": program.pk,
                        f"{prefix}cohort__start_date__gte": period.start,
                        f"{prefix}cohort__start_date__lte": period.end,
                    },
                    then=Value(year),
                )
                for program, years, _, _ in plans
                for year, period in ((y, year_period(program, y)) for y in years)
            ),
            default=Value(None),
            output_field=IntegerField(),
        )
        return F(f"{prefix}cohort__program"), year

    codes = sorted({code for *_, instruments in plans for code in instruments})
    met = reduce(
        or_,
        (
            engine.meets(
                _target_scores(instruments),
                Q(enrollment__cohort__program=program.pk),
                lower_is_better=_lower_is_better(instruments),
            )
            for program, _, _, instruments in plans
        ),
    )
    # Counted per cohort (a cheap integer group), then added up into program years here:
    # a cohort belongs to one year of one program.
    by_cohort = engine.tally(scope, engine.field_bucket("cohort_id"), codes, met)
    year_of = _year_of_cohorts(
        plans,
        Cohort.objects.filter(program__in=[program.pk for program, *_ in plans]).values_list(
            "id", "program_id", "start_date"
        ),
    )
    by_year = Bucket(("bucket_program", "bucket_year"), year_columns, key=YearKey)
    totals = dict(
        Enrollment.objects.filter(scope(""))
        .order_by()
        .values_list("cohort__program")
        .annotate(participants=Count("participant", distinct=True))
        .values_list("cohort__program", "participants")
    )
    return _years_and_totals(
        plans,
        by_cohort,
        year_of,
        engine.distinct_participants(scope, by_year),
        totals,
        min_cell=cell,
        external=external,
    )


def _year_of_cohorts(plans, cohorts) -> dict[int, YearKey]:
    """The program year of each cohort, from ``(id, program id, start date)`` rows."""
    bounds = {
        program.pk: [(y, year_period(program, y)) for y in years] for program, years, _, _ in plans
    }
    year_of = {}
    for cohort_id, program_id, start in cohorts:
        for year, period in bounds[program_id]:
            if period.start <= start <= period.end:
                year_of[cohort_id] = YearKey(program_id, year)
    return year_of


def _years_and_totals(
    plans,
    by_cohort: Tallies,
    year_of: dict[int, YearKey],
    year_participants: dict[Hashable, int],
    totals: dict[int, int],
    *,
    min_cell: int,
    external: bool,
    statistics: bool = True,
) -> dict[int, dict]:
    """Each program's report of every year and the total, from tallies by cohort id:
    cohorts add up into their program year (``year_of``), years into the total; distinct
    participants come counted per year and per program."""
    by_year_key = engine.regrouped(
        by_cohort, lambda cohort_id: year_of.get(cohort_id, False), year_participants
    )
    reports = {}
    for program, years, whole, instruments in plans:
        participants = {}
        for y in years:
            counted = by_year_key.participation.get(YearKey(program.pk, y))
            participants[y] = counted.participants if counted else 0
        mine = engine.regrouped(
            by_year_key,
            lambda key, pk=program.pk: key.year if key.program_id == pk else False,
            participants,
        )
        figures = _assemble(
            mine,
            instruments,
            min_cell=min_cell,
            external=external,
            keys=years,
            statistics=statistics,
        )
        total = _assemble(
            engine.regrouped(mine, lambda key: None, {None: totals.get(program.pk, 0)}),
            instruments,
            min_cell=min_cell,
            external=external,
            keys=[None],
            statistics=statistics,
        )[None]
        reports[program.pk] = {
            "program": program.code,
            "years": [
                _with_header(_header(program, year_period(program, y), y), figures[y])
                for y in years
            ],
            "total": _with_header(_header(program, whole, None), total),
        }
    return reports


# --- one program's period, counted once ----------------------------------------------


class Enrolled(NamedTuple):
    """What the breakdowns group an enrollment by."""

    cohort_id: int
    participant_id: int
    status: str
    gender_identity: str
    indigenous_identity: str
    racialised: str

    @property
    def identity(self) -> tuple[str, str, str]:
        """Her answers to the self-identified fields, in ``DEMOGRAPHIC_FIELDS`` order."""
        return (self.gender_identity, self.indigenous_identity, self.racialised)


class Grouped(NamedTuple):
    """Counts of some groups of enrollments, and the participants of each group."""

    tallies: Tallies
    people: dict[Hashable, set[int]]


@dataclass
class Counted:
    """One program's period counted once, enrollment by enrollment, for the evaluation
    job: its report, the breakdowns by cohort, module and self-identified group and the
    intervals are all added up from these counts instead of counting the period again
    per breakdown. ``years`` is None for one period (a program year or a range), else
    the years of an all-years report.

    The enrollments are added up twice, into cohorts (``by_cohort``) and into
    combinations of self-identified answers (``by_identity``, a few dozen); every other
    grouping adds those up (``added_up``).
    """

    program: Program
    period: Period
    years: list[int] | None
    instruments: dict[str, InstrumentInfo]
    enrolled: dict[int, Enrolled]
    #: The program's cohorts: id -> (code, start date).
    cohorts: dict[int, tuple[str, date]]
    #: ``(enrollment id, module id, sessions)`` rows: offered, then attended.
    offered: list[tuple]
    attended: list[tuple]
    #: ``engine.surveys_by_enrollment`` rows.
    surveys: list[tuple]

    @cached_property
    def by_cohort(self) -> Grouped:
        return self._from_enrollments(lambda facts: facts.cohort_id)

    @cached_property
    def by_identity(self) -> Grouped:
        return self._from_enrollments(lambda facts: facts.identity)

    def _from_enrollments(self, key_of) -> Grouped:
        """The enrollments' counts added up by ``key_of(Enrolled)``: one pass over each
        kind of row (hundreds of thousands at national scale, so plain lists, not
        objects, until the groups are known)."""
        group_of: dict[int, int] = {}
        keys: list = []
        index: dict = {}
        people: list[set] = []
        enrollments: list[int] = []
        completed: list[int] = []
        done = Enrollment.Status.COMPLETED
        for enrollment_id, facts in self.enrolled.items():
            key = key_of(facts)
            g = index.get(key)
            if g is None:
                g = index[key] = len(keys)
                keys.append(key)
                people.append(set())
                enrollments.append(0)
                completed.append(0)
            group_of[enrollment_id] = g
            people[g].add(facts.participant_id)
            enrollments[g] += 1
            if facts.status == done:
                completed[g] += 1
        offered = [0] * len(keys)
        for enrollment_id, _module, n in self.offered:
            offered[group_of[enrollment_id]] += n
        attended = [0] * len(keys)
        for enrollment_id, _module, n in self.attended:
            attended[group_of[enrollment_id]] += n
        counts: dict = {}
        pairs: dict = defaultdict(list)
        for enrollment_id, code, pre_n, post_n, incomplete_n, meet_n, pre, post in self.surveys:
            g = group_of[enrollment_id]
            row = counts.get((g, code))
            if row is None:
                counts[(g, code)] = [pre_n, post_n, incomplete_n, meet_n]
            else:
                row[0] += pre_n
                row[1] += post_n
                row[2] += incomplete_n
                row[3] += meet_n
            if pre is not None:  # and post: a matched pair, in enrollment order
                pairs[(g, code)].append((enrollment_id, float(pre), float(post)))
        tallies = Tallies(
            {
                key: engine.Participation(
                    len(people[g]), enrollments[g], completed[g], offered[g], attended[g]
                )
                for g, key in enumerate(keys)
            },
            {(keys[g], code): SurveyCounts(*row) for (g, code), row in counts.items()},
            {(keys[g], code): rows for (g, code), rows in pairs.items()},
        )
        return Grouped(tallies, {key: people[g] for g, key in enumerate(keys)})

    @staticmethod
    def people_by(grouped: Grouped, key_of_group) -> dict:
        """Distinct participants of ``grouped`` added up by ``key_of_group`` of its keys."""
        people: dict = {}
        for key, ids in grouped.people.items():
            new = key_of_group(key)
            if new is not False:
                people.setdefault(new, set()).update(ids)
        return {key: len(ids) for key, ids in people.items()}

    def added_up(self, grouped: Grouped, key_of_group) -> Tallies:
        """``by_cohort`` or ``by_identity`` added up by ``key_of_group`` of their keys
        (False leaves a group out), with the distinct participants of each new group."""
        return engine.regrouped(
            grouped.tallies, key_of_group, self.people_by(grouped, key_of_group)
        )


def count(
    program: Program,
    period: Period | None = None,
    *,
    today: date | None = None,
    surveys: bool = True,
) -> Counted:
    """Count ``period`` of ``program`` (every program year when None) once, per enrollment:
    5 queries besides the instruments', whatever the number of cohorts and groups.
    Without ``surveys``, participation and attendance only (no instrument)."""
    years = None
    if period is None:
        years = program_years(program, today=today)
        period = all_years_period(program, years)
    instruments = period_instruments(program, period) if surveys else {}
    scope = engine.period_scope(program, period)
    rows = engine.raw_rows(
        Enrollment.objects.filter(scope(""))
        .order_by()
        .values_list(
            "id",
            "cohort_id",
            "participant_id",
            "status",
            "participant__gender_identity",
            "participant__indigenous_identity",
            "participant__racialised",
            "enrolled_on",
        )
    )
    enrolled = {row[0]: Enrolled(*row[1:7]) for row in rows}
    cohorts = {
        pk: (code, start)
        for pk, code, start in program.cohorts.values_list("id", "code", "start_date")
    }
    offered, attended = engine.sessions_by_enrollment_and_module(
        scope, ((row[0], row[1], row[7] or cohorts[row[1]][1]) for row in rows)
    )
    answered = (
        engine.surveys_by_enrollment(
            scope,
            list(instruments),
            engine.meets(
                _target_scores(instruments), lower_is_better=_lower_is_better(instruments)
            ),
        )
        if instruments
        else []
    )
    return Counted(
        program, period, years, instruments, enrolled, cohorts, offered, attended, answered
    )


def counted_report(
    counted: Counted,
    *,
    min_cell: int | None = None,
    external: bool = False,
    statistics: bool = True,
) -> dict:
    """What ``report`` (one period) or ``report_all_years`` gives, from ``counted``
    (only counted matched pairs without ``statistics``: ``_assemble``)."""
    cell = _options(min_cell)
    program, period = counted.program, counted.period
    if counted.years is None:
        body = _assemble(
            counted.added_up(counted.by_cohort, lambda cohort_id: None),
            counted.instruments,
            min_cell=cell,
            external=external,
            keys=[None],
            statistics=statistics,
        )[None]
        return _with_header(_header(program, period, period.year), body)
    plans = [(program, counted.years, period, counted.instruments)]
    year_of = _year_of_cohorts(
        plans, ((pk, program.pk, start) for pk, (_code, start) in counted.cohorts.items())
    )
    return _years_and_totals(
        plans,
        counted.by_cohort.tallies,
        year_of,
        counted.people_by(counted.by_cohort, lambda cohort_id: year_of.get(cohort_id, False)),
        counted.people_by(counted.by_cohort, lambda cohort_id: program.pk),
        min_cell=cell,
        external=external,
        statistics=statistics,
    )[program.pk]


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
    return counted_breakdown(count(program, period), by, min_cell=min_cell, external=external)


def counted_breakdown(
    counted: Counted,
    by: str,
    *,
    min_cell: int | None = None,
    external: bool = False,
    statistics: bool = True,
) -> list[dict]:
    """``breakdown`` of a period already ``count``-ed (``statistics``: ``_assemble``)."""
    if by == "cohort":
        code_of = {pk: code for pk, (code, _start) in counted.cohorts.items()}
        tallies = counted.added_up(counted.by_cohort, code_of.__getitem__)
    elif by in DEMOGRAPHIC_FIELDS:
        i = DEMOGRAPHIC_FIELDS.index(by)
        tallies = counted.added_up(counted.by_identity, lambda identity: identity[i])
    else:
        raise ReportError(f"Unknown breakdown {by!r}.")
    figures = _assemble(
        tallies,
        counted.instruments,
        min_cell=_options(min_cell),
        external=external,
        statistics=statistics,
    )
    return [{"group": key, **obj} for key, obj in figures.items()]


def module_breakdown(
    program: Program, period: Period, *, min_cell: int | None = None
) -> list[dict]:
    """Attendance per module, by the module of each session.

    ``sessions_offered`` / ``sessions_attended`` are totals over enrollments (one per
    enrollment and session), the means are per enrollment in the period, and the rate is
    attended / offered. Sessions without a module form the group ``null``.
    """
    return counted_modules(count(program, period), min_cell=min_cell)


def counted_modules(counted: Counted, *, min_cell: int | None = None) -> list[dict]:
    """``module_breakdown`` of a period already ``count``-ed (1 query: the modules)."""
    cell = _options(min_cell)
    enrollments = len(counted.enrolled)
    # Keyed by module id, None for sessions outside the curriculum.
    offered: dict[int | None, int] = defaultdict(int)
    for _enrollment_id, module_id, n in counted.offered:
        offered[module_id] += n
    attended: dict[int | None, int] = defaultdict(int)
    for _enrollment_id, module_id, n in counted.attended:
        attended[module_id] += n
    modules = list(counted.program.modules.order_by("order").values_list("id", "order", "name"))
    rows: list[tuple[int | None, int | None, str | None]] = list(modules)
    if None in offered or None in attended:
        rows.append((None, None, None))
    result = []
    for module_id, order, name in rows:
        offered_n, attended_n = offered.get(module_id, 0), attended.get(module_id, 0)
        suppressed: list[str] = []
        obj: dict[str, object] = {
            "module": name,
            "order": order,
            "enrollments": enrollments,
            "sessions_offered": offered_n,
            "sessions_attended": attended_n,
            "sessions_offered_mean": stats.ratio(offered_n, enrollments),
            "sessions_attended_mean": stats.ratio(attended_n, enrollments),
            "attendance_rate": stats.ratio(attended_n, offered_n),
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
    charts. Suppressed (None) below ``min_cell`` matched pairs."""
    return counted_intervals(count(program, period), min_cell=min_cell, level=level)


def counted_intervals(
    counted: Counted, *, min_cell: int | None = None, level: float = 0.95
) -> dict[str, dict]:
    """``confidence_intervals`` of a period already ``count``-ed."""
    cell = _options(min_cell)
    pairs = engine.regrouped(counted.by_cohort.tallies, lambda cohort_id: None, {}).pairs
    out = {}
    for code in counted.instruments:
        matched = pairs.get((None, code), [])
        shown = len(matched) >= cell
        out[code] = {
            "pre_ci": stats.mean_ci([pre for _, pre, _ in matched], level) if shown else None,
            "post_ci": stats.mean_ci([post for _, _, post in matched], level) if shown else None,
        }
    return out
