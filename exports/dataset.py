"""The de-identified participant-level dataset: one row per enrollment.

Only enrollments of people who consented to evaluation use. A plan made first (one pass
over the enrollments' narrowing values) decides which rows are left out and which values
blanked; the rows then come from a few grouped queries per batch of cohorts (the
enrollments, their cohorts' held sessions, attendance counted per enrollment and module,
the administrations pivoted per enrollment), merged by enrollment: nothing is asked of
the database per row.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby
from operator import itemgetter

from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evaluation import engine
from participants.models import Enrollment, Participant
from sessions.models import Attendance, Session
from surveys.instruments import program_instrument_links
from surveys.models import Administration, Instrument

from . import privacy, withheld
from .base import (
    CATEGORY,
    DATES_NONE,
    DATES_SHIFT,
    DATES_WEEK,
    INTEGER,
    NOT_ADMINISTERED,
    NUMBER,
    ORDINAL,
    SCORE_MISSING,
    STRING,
    TOO_INCOMPLETE,
    Exporter,
    Variable,
    safe_name,
)
from .scope import enrollment_filter

#: Cohorts per round of the dataset's queries (about 20 enrollments each): enough that
#: PostgreSQL hashes the program's sessions once per round rather than probing them per
#: enrollment, few enough to bound the memory of a round.
COHORTS_PER_QUERY = 1000
#: What each exported enrollment is read with (``source_rows``), after its pk.
ENROLLMENT_FIELDS = (
    "participant_id",
    "cohort__code",
    "cohort__start_date",
    "participant__birth_year",
    "participant__gender_identity",
    "participant__indigenous_identity",
    "participant__racialised",
    "status",
    "enrolled_on",
    "exit_date",
)
TIMEPOINTS = tuple(Administration.Timepoint)


def coded(choices) -> tuple[tuple[int, str], ...]:
    """Integer codes 1.. for a model field's choices (SPSS and Stata label numbers)."""
    return tuple((i, label) for i, (_value, label) in enumerate(choices, start=1))


def code_map(choices) -> dict[str, int]:
    return {value: i for i, (value, _label) in enumerate(choices, start=1)}


GENDER = Participant.Gender.choices
YESNO = Participant.YesNo.choices
STATUS = Enrollment.Status.choices
YES_NO_FLAG = ((0, gettext_lazy("No")), (1, gettext_lazy("Yes")))


def instrument_catalogue(program, options) -> list[tuple[str, str, int]]:
    """``(code, name, current version)`` of the instruments the program uses or that its
    consented enrollments answered in the period, by code."""
    codes = set(program_instrument_links(program=program).values_list("instrument_code", flat=True))
    codes |= set(
        Administration.objects.filter(enrollment_filter(program, options, "enrollment__"))
        .order_by()
        .values_list("instrument_code", flat=True)
        .distinct()
    )
    found: dict[str, tuple[str, str, int]] = {}
    for code, name, version in (
        Instrument.objects.filter(organisation_id=program.organisation_id, code__in=codes)
        .order_by("code", "-is_current", "-version")
        .values_list("code", "name", "version")
    ):
        found.setdefault(code, (code, name, version))
    return [found.get(code, (code, code, 0)) for code in sorted(codes)]


class DatasetExporter(Exporter):
    identifier = "dataset"
    verbose_name = gettext_lazy("De-identified participant-level dataset")
    description = gettext_lazy(
        "One row per enrollment of people who consented to evaluation use: pseudonym, "
        "cohort, year, age band, demographics, status, sessions, scores."
    )
    participant_level = True

    def __init__(self, *, program, options):
        super().__init__(program=program, options=options)
        self.instruments = instrument_catalogue(program, options)
        self.instrument_objects = {
            i.code: i
            for i in Instrument.objects.filter(
                organisation_id=program.organisation_id,
                code__in=[code for code, _n, _v in self.instruments],
            )
            .order_by("code", "is_current", "version")
            .prefetch_related("items")
        }  # later rows overwrite earlier ones: the current (else latest) version is kept
        self.modules = list(program.modules.order_by("order").values_list("id", "order", "name"))
        #: The organisation does not collect birth years (data minimisation): no age band,
        #: even from birth years recorded before it stopped.
        self.without_age = "birth_year" in program.organisation.hidden_fields()

    # --- variables -----------------------------------------------------------------

    def variables(self) -> list[Variable]:
        o = self.options
        v = [
            Variable("pseudonym", _("Pseudonym (this export, or this project's salt)")),
            Variable("cohort", _("Cohort code")),
            Variable("program_year", _("Program year of the cohort"), INTEGER, measure=ORDINAL),
            Variable(
                "age_band",
                _("Age band at the cohort's start"),
                CATEGORY,
                tuple((c, label) for c, _lo, _hi, label in privacy.AGE_BANDS),
                measure=ORDINAL,
            ),
            Variable("gender", _("Gender identity"), CATEGORY, coded(GENDER)),
            Variable("indigenous", _("Indigenous identity"), CATEGORY, coded(YESNO)),
            Variable("racialised", _("Racialised / visible minority"), CATEGORY, coded(YESNO)),
            Variable(
                "qi_suppressed",
                _("A narrowing value was left empty (too few people share it)"),
                CATEGORY,
                YES_NO_FLAG,
            ),
            Variable("status", _("Enrollment status"), CATEGORY, coded(STATUS)),
        ]
        if o.dates == DATES_WEEK:
            v += [
                Variable("enrolled_week", _("Week of the cohort the person enrolled"), INTEGER),
                Variable("exit_week", _("Week of the cohort the person left"), INTEGER),
            ]
        elif o.dates == DATES_SHIFT:
            v += [
                Variable("enrolled_on", _("Enrollment date (shifted)"), STRING),
                Variable("exit_date", _("Exit date (shifted)"), STRING),
            ]
        v += [
            Variable("sessions_offered", _("Held sessions offered"), INTEGER),
            Variable("sessions_attended", _("Sessions attended (present or late)"), INTEGER),
        ]
        for _id, order, name in self.modules:
            v.append(
                Variable(
                    f"attended_m{order}",
                    _("Sessions attended in module %(order)s (%(name)s)")
                    % {"order": order, "name": name},
                    INTEGER,
                )
            )
        for code, name, version in self.instruments:
            for tp, tp_label in Administration.Timepoint.choices:
                base = safe_name(f"{code}_{tp}")
                v.append(
                    Variable(
                        base,
                        _("%(name)s score, %(timepoint)s") % {"name": name, "timepoint": tp_label},
                        NUMBER,
                        instrument=code,
                        version=str(version),
                        note=_(
                            "Scored administrations only; pro-rated when items are missing. "
                            "Empty: withheld (see the notes)."
                        ),
                        missing=SCORE_MISSING,
                        about=score_about(self.instrument_objects.get(code)),
                    )
                )
                if o.dates == DATES_WEEK:
                    v.append(Variable(base[:27] + "_week", _("Week of the cohort"), INTEGER))
                elif o.dates == DATES_SHIFT:
                    v.append(Variable(base[:27] + "_date", _("Date (shifted)"), STRING))
        if self.without_age:
            v = [variable for variable in v if variable.name != "age_band"]
        return v

    def codebook_notes(self) -> list[str]:
        notes = [
            _("One row per enrollment of a person who consented to evaluation use."),
            _(
                "Sessions offered: the cohort's held sessions on or after the enrollment "
                "date. Attended: present or late at one of those sessions."
            ),
            _(
                "No combination of %(columns)s is shared by fewer than %(min)s people: "
                "where it would be, the fewest values that achieve it are left empty (the "
                "column that frees most rows first) and qi_suppressed is 1."
            )
            % {"columns": ", ".join(self.quasi_identifiers()), "min": self.options.min_cell},
            _("No names, contact details, notes or birth years are exported."),
            _(
                "Scores: %(na)s = not administered, %(ti)s = administered but too incomplete "
                "to score (user-missing in SPSS); empty = withheld, as the notes say."
            )
            % {"na": NOT_ADMINISTERED, "ti": TOO_INCOMPLETE},
        ]
        if self.without_age:
            notes.append(_("The organisation does not collect birth years: no age band."))
        self.planned()
        notes += withheld_notes(self.withheld, self.left_out, self.blanks, self.group_blanks)
        if self.options.dates == DATES_SHIFT:
            notes.append(
                _(
                    "Dates are shifted by a random number of days (up to %(days)s either way), "
                    "the same for all of one person's dates: intervals are exact."
                )
                % {"days": privacy.MAX_SHIFT_DAYS}
            )
        return notes

    # --- rows --------------------------------------------------------------------------

    # The rows come from a few grouped queries per batch of cohorts, merged here by
    # enrollment: the enrollments in export order, the held sessions of their cohorts
    # (sessions offered), attendance counted per enrollment (in all and per module) and
    # the administrations pivoted per enrollment (a score, whether given, and a date per
    # instrument and timepoint). Each is read once; nothing is asked per row.

    def enrollment_rows(self):
        """The exported enrollments (consented, of the period's cohorts) in export order
        (cohort start date, cohort code, enrollment): ``(pk, cohort_id,
        *ENROLLMENT_FIELDS)``. The plan reads them once and keeps the rows it exports."""
        return (
            Enrollment.objects.filter(enrollment_filter(self.program, self.options))
            .order_by("cohort__start_date", "cohort__code", "pk")
            .values_list("pk", "cohort_id", *ENROLLMENT_FIELDS)
        )

    @staticmethod
    def held_sessions(cohorts: list[int]):
        """``(cohort_id, date)`` of the held sessions of ``cohorts``."""
        return (
            Session.objects.filter(cohort_id__in=cohorts, status=Session.Status.HELD)
            .order_by()
            .values_list("cohort_id", "date")
        )

    def attendance_counts(self, cohorts: list[int]):
        """``(enrollment_id, attended, attended in each module…)`` for the enrollments of
        ``cohorts`` that attended a held session of their cohort on or after enrolling
        (attended as the report counts it: ``engine.attended``)."""
        counts = {"attended": Count("pk")}
        for module_id, order, _name in self.modules:
            counts[f"m{order}"] = Count("pk", filter=Q(session__module_id=module_id))
        return (
            engine.attended(Attendance.objects.filter(enrollment__cohort_id__in=cohorts))
            .order_by()
            .values("enrollment_id")
            .annotate(**counts)
            .values_list("enrollment_id", *counts)
        )

    def score_table(self, cohorts: list[int]):
        """``(enrollment_id, then per instrument and timepoint: the score of a scored
        administration, how many were given (0 or 1), and with dates their date)`` for
        the enrollments of ``cohorts`` that have an administration."""
        pivot: dict = {}
        for n, (code, _name, _version) in enumerate(self.instruments):
            for tp in TIMEPOINTS:
                slot = Q(instrument_code=code, timepoint=tp)
                pivot[f"s{n}_{tp}"] = Max("score", filter=slot & Q(is_complete=True))
                pivot[f"a{n}_{tp}"] = Count("pk", filter=slot)
                if self.options.dates != DATES_NONE:
                    pivot[f"d{n}_{tp}"] = Max("date", filter=slot)
        return (
            Administration.objects.filter(
                enrollment__cohort_id__in=cohorts,
                instrument_code__in=[code for code, _name, _version in self.instruments],
            )
            .order_by()
            .values("enrollment_id")
            .annotate(**pivot)
            .values_list("enrollment_id", *pivot)
        )

    def source_rows(self) -> Iterator[tuple]:
        """Per exported enrollment in export order: ``(pk, *ENROLLMENT_FIELDS, offered,
        attended, attended per module…, then score, given[, date] per instrument and
        timepoint)``, from the enrollments the plan kept, ``COHORTS_PER_QUERY`` cohorts at
        a time (bounded memory)."""
        self.planned()
        no_attendance = (0,) * (1 + len(self.modules))
        slot = (None, 0, None) if self.options.dates != DATES_NONE else (None, 0)
        no_scores = slot * (len(self.instruments) * len(TIMEPOINTS))
        by_cohort = [list(rows) for _cohort, rows in groupby(self.enrollments, itemgetter(1))]
        for first in range(0, len(by_cohort), COHORTS_PER_QUERY):
            enrollments = by_cohort[first : first + COHORTS_PER_QUERY]
            batch = [rows[0][1] for rows in enrollments]
            held: dict[int, list] = {}
            for cohort_id, day in self.held_sessions(batch):
                held.setdefault(cohort_id, []).append(day)
            for days in held.values():
                days.sort()
            attended = {row[0]: row[1:] for row in self.attendance_counts(batch)}
            scores = {row[0]: row[1:] for row in self.score_table(batch)} if no_scores else {}
            for rows in enrollments:
                for pk, cohort_id, *fields in rows:
                    days = held.get(cohort_id, [])
                    # Offered: held sessions on or after the enrollment date (else the start).
                    since = fields[8] if fields[8] is not None else fields[2]
                    yield (
                        pk,
                        *fields,
                        engine.sessions_since(days, since),
                        *attended.get(pk, no_attendance),
                        *scores.get(pk, no_scores),
                    )

    def count(self) -> int:
        return Enrollment.objects.filter(enrollment_filter(self.program, self.options)).count()

    _gender = code_map(GENDER)
    _yesno = code_map(YESNO)
    _status = code_map(STATUS)

    def quasi_identifiers(self) -> list[str]:
        """The columns that narrow a group of rows: cohort and year, age band and the
        self-identified answers, and the weeks of the cohort when dates are given as
        weeks (shifted dates move by a different amount per person and are left out)."""
        names = ["cohort", "program_year", "age_band", "gender", "indigenous", "racialised"]
        if self.without_age:
            names.remove("age_band")
        if self.options.dates == DATES_WEEK:
            names += ["enrolled_week", "exit_week"]
            for code, _name, _version in self.instruments:
                for tp in TIMEPOINTS:
                    names.append(safe_name(f"{code}_{tp}")[:27] + "_week")
        return names

    def _plan(self) -> None:
        """Decide, before streaming, which rows are left out and which values blanked
        (``self.plan``: by enrollment id, the blanked columns; ``self.left_out``)."""
        o = self.options
        self.withheld = withheld.withheld(self.program, o)
        held = self.withheld
        dated = o.dates == DATES_WEEK
        weeks: dict[tuple[int, str, str], int | None] = {}
        starts: dict[int, object] = {}
        if dated:
            for enrollment_id, code, tp, day, start in (
                Administration.objects.filter(enrollment_filter(self.program, o, "enrollment__"))
                .order_by()
                .values_list(
                    "enrollment_id", "instrument_code", "timepoint", "date",
                    "enrollment__cohort__start_date",
                )
            ):  # fmt: skip
                weeks[(enrollment_id, code, tp)] = privacy.cohort_week(day, start)
                starts[enrollment_id] = start
        ids, people, records, enrollments = [], [], [], []
        self.left_out = {"cells": 0, "rare": 0}
        self.group_blanks = 0
        for row in self.enrollment_rows():
            (pk, _cohort_id, pid, cohort, start, birth, gender, indigenous, racialised,
             _status, enrolled, exit_) = row  # fmt: skip
            year = self.program.year_of(start)
            if held.row_hidden(year, cohort):
                self.left_out["cells"] += 1
                continue
            answers: dict[str, str | None] = {
                "gender": gender,
                "indigenous": indigenous,
                "racialised": racialised,
            }
            for field, column in withheld.GROUP_COLUMNS.items():
                if (answers[column] or "") in held.groups.get(field, ()):
                    answers[column] = None
                    self.group_blanks += 1
            record = [
                cohort,
                year,
                privacy.age_band(birth, start),
                self._gender.get(answers["gender"] or ""),
                self._yesno.get(answers["indigenous"] or ""),
                self._yesno.get(answers["racialised"] or ""),
            ]
            if self.without_age:
                del record[2]  # no age band (see quasi_identifiers())
            if dated:
                record += [privacy.cohort_week(enrolled, start), privacy.cohort_week(exit_, start)]
                for code, _name, _version in self.instruments:
                    hidden = held.score_hidden(year, cohort, code)
                    for tp in TIMEPOINTS:
                        record.append(None if hidden else weeks.get((pk, code, tp)))
            ids.append(pk)
            people.append(pid)
            records.append(record)
            enrollments.append(row)
        self.plan, self.left_out["rare"], self.blanks = privacy.k_anonymous_plan(
            ids, records, people, o.min_cell, self.quasi_identifiers()
        )
        #: The rows of the exported enrollments, in export order (``enrollment_rows``).
        self.enrollments = [row for row in enrollments if row[0] in self.plan]

    def planned(self) -> None:
        if not hasattr(self, "plan"):
            self._plan()

    def rows(self) -> Iterator[tuple]:
        o = self.options
        self.planned()
        held = self.withheld
        names = [v.name for v in self.variables()]
        at = {name: i for i, name in enumerate(names)}
        qi_names = set(self.quasi_identifiers())
        qi_flag = at["qi_suppressed"]
        n_modules = len(self.modules)
        n_scores = len(self.instruments) * len(TIMEPOINTS)
        weeks, shift = o.dates == DATES_WEEK, o.dates == DATES_SHIFT
        step = 3 if o.dates != DATES_NONE else 2
        pseudonym = privacy.pseudonymiser(o.pseudonym_key)
        shift_days = privacy.shift_days_of(o.pseudonym_key)
        cohort_week, shifted, age_band = privacy.cohort_week, privacy.shifted, privacy.age_band
        gender_code, yesno_code, status_code = self._gender.get, self._yesno.get, self._status.get
        without_age = self.without_age
        # Worked out once, not per row: the columns each blank applies to.
        answer_at = {  # where source_rows() gives each raw answer (after the pk)
            column: 1 + ENROLLMENT_FIELDS.index(f"participant__{field}")
            for field, column in withheld.GROUP_COLUMNS.items()
        }
        hidden_groups = [
            (answer_at[column], at[column], held.groups[field])
            for field, column in withheld.GROUP_COLUMNS.items()
            if held.groups.get(field)
        ]
        incomplete_groups = [
            (answer_at[column], held.group_incomplete[field])
            for field, column in withheld.GROUP_COLUMNS.items()
            if held.group_incomplete.get(field)
        ]
        hidden_modules = [
            at[f"attended_m{order}"] for _id, order, _name in self.modules if order in held.modules
        ]
        # Per instrument: its code and, per timepoint, the score's column and all of its
        # columns (score, and week or date when dated).
        instruments = []
        for code, _name, _version in self.instruments:
            slots = []
            for tp in TIMEPOINTS:
                base = safe_name(f"{code}_{tp}")
                columns = [
                    at[n] for n in (base, base[:27] + "_week", base[:27] + "_date") if n in at
                ]
                slots.append((at[base], columns))
            instruments.append((code, slots))
        blank_columns: dict[frozenset, tuple[list[int], bool]] = {}
        cohorts: dict[tuple, tuple] = {}  # (cohort, start) -> year, hidden scores, incomplete
        ages: dict[tuple, int | None] = {}
        plan = self.plan
        for row in self.source_rows():
            pk = row[0]
            blank = plan.get(pk)
            if blank is None:
                continue  # left out: a hidden cell of the report, or a rare row
            (pid, cohort, start, birth, gender, indigenous, racialised, status) = row[1:9]
            enrolled_on, exit_date = row[9], row[10]
            facts = cohorts.get((cohort, start))
            if facts is None:
                year = self.program.year_of(start)
                facts = cohorts[(cohort, start)] = (
                    year,
                    [held.score_hidden(year, cohort, code) for code, _slots in instruments],
                    [held.incomplete_hidden(year, cohort, code) for code, _slots in instruments],
                )
            year, everything_hidden, incomplete_hidden = facts
            out = [pseudonym(pid), cohort, year]
            if not without_age:
                band = (birth, start.year)
                if band not in ages:
                    ages[band] = age_band(birth, start)
                out.append(ages[band])
            out += [gender_code(gender), yesno_code(indigenous), yesno_code(racialised), 0]
            out.append(status_code(status))
            if weeks:
                out += [cohort_week(enrolled_on, start), cohort_week(exit_date, start)]
            elif shift:
                days = shift_days(pid)
                out += [_iso(shifted(enrolled_on, days)), _iso(shifted(exit_date, days))]
            out += row[11 : 13 + n_modules]  # offered, attended, attended per module
            i = 13 + n_modules
            for _slot in range(n_scores):
                score = row[i]
                if score is None:
                    score = TOO_INCOMPLETE if row[i + 1] else NOT_ADMINISTERED
                out.append(score)
                if weeks:
                    out.append(cohort_week(row[i + 2], start))
                elif shift:
                    out.append(_iso(shifted(row[i + 2], days)))
                i += step
            for answer, column, hidden in hidden_groups:
                if (row[answer] or "") in hidden:
                    out[column] = None
            for column in hidden_modules:
                out[column] = None
            for n, (code, slots) in enumerate(instruments):
                if everything_hidden[n]:
                    for _score_at, columns in slots:
                        for column in columns:
                            out[column] = None
                elif incomplete_hidden[n] or any(
                    ((row[answer] or ""), code) in pairs for answer, pairs in incomplete_groups
                ):  # "not administered" would tell the others
                    for score_at, _columns in slots:
                        if out[score_at] in (NOT_ADMINISTERED, TOO_INCOMPLETE):
                            out[score_at] = None
            if blank:
                key = frozenset(blank)
                if key not in blank_columns:
                    blank_columns[key] = ([at[name] for name in blank], bool(blank & qi_names))
                columns, narrowing = blank_columns[key]
                for column in columns:
                    out[column] = None
                if narrowing:
                    out[qi_flag] = 1
            yield tuple(out)


def _iso(day) -> str | None:
    return None if day is None else day.isoformat()


def withheld_notes(held, left_out: dict, blanks: dict, group_blanks: int = 0) -> list[str]:
    """What a participant-level export left out or blanked, and why, in words."""
    notes = []
    if left_out.get("cells"):
        notes.append(
            _(
                "%(n)s rows left out: they belong to a year or cohort whose figures the "
                "report for outside the organisation hides (a small number, or one that "
                "would give a small number away by subtraction)."
            )
            % {"n": left_out["cells"]}
        )
    if held.incomplete or held.year_incomplete or held.cohort_incomplete:
        notes.append(
            _(
                "Where the report hides the number of an instrument's surveys too incomplete "
                "to score, the codes for a missing score are left empty too."
            )
        )
    if held.scores or held.year_scores or held.cohort_scores:
        notes.append(
            _(
                "Scores of an instrument are left empty in the years or cohorts where the "
                "report hides that instrument's figures."
            )
        )
    if group_blanks:
        notes.append(
            _(
                "%(n)s self-identified answers left empty: their group's figures are hidden "
                "in the report."
            )
            % {"n": group_blanks}
        )
    if held.modules:
        notes.append(_("Attendance of a module whose figures the report hides is left empty."))
    if left_out.get("rare"):
        notes.append(
            _(
                "%(n)s rows left out: even with every narrowing value empty they would be "
                "shared by fewer people than the smallest cell."
            )
            % {"n": left_out["rare"]}
        )
    for column, n in blanks.items():
        notes.append(
            _("%(column)s left empty in %(n)s rows, so that no one can be singled out.")
            % {"column": column, "n": n}
        )
    return notes


def score_about(instrument) -> tuple[tuple[str, str], ...]:
    """What the codebook says of an instrument's score: its range, direction, target,
    the items that may be missing and how the score is computed."""
    if instrument is None:
        return ()
    from django.template.defaultfilters import floatformat

    from surveys.instruments import item_specs
    from surveys.scoring import score_range

    low, high = score_range(item_specs(instrument), instrument.conversion_table)
    if instrument.conversion_table:
        conversion = _(
            "Sum of the item values (reverse items reversed), converted by the published "
            "table to the %(label)s."
        ) % {"label": instrument.score_label or _("score")}
    elif instrument.max_missing:
        conversion = _(
            "Sum of the item values (reverse items reversed); with up to %(n)s items "
            "missing, the mean of the answered items times the number of items (unrounded)."
        ) % {"n": instrument.max_missing}
    else:
        conversion = _("Sum of the item values (reverse items reversed); no item may be missing.")
    target = instrument.target_score
    return (
        ("range", f"{floatformat(low, -2)}–{floatformat(high, -2)}"),
        (
            "direction",
            str(_("higher is better") if instrument.higher_is_better else _("lower is better")),
        ),
        ("target", "" if target is None else floatformat(target, -2)),
        ("max_missing", str(instrument.max_missing)),
        ("conversion", str(conversion)),
    )
