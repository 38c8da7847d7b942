"""The de-identified participant-level dataset: one row per enrollment.

Only enrollments of people who consented to evaluation use. One query streams the rows
(sessions offered and attended, per-module attendance and the scores are correlated
subqueries the database answers per row); a first, grouped query counts the
quasi-identifier combinations so that rare ones are blanked while streaming.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from participants.models import Enrollment, Participant
from peersupport.querying import count_subquery
from sessions.models import Attendance, Session
from surveys.instruments import program_instrument_links
from surveys.models import Administration, Instrument

from . import privacy, withheld
from .base import (
    CATEGORY,
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

CHUNK = 2000
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


def offered_subquery():
    return count_subquery(
        Session.objects.filter(
            cohort=OuterRef("cohort"),
            status=Session.Status.HELD,
            date__gte=Coalesce(OuterRef("enrolled_on"), OuterRef("cohort__start_date")),
        )
    )


def attended_subquery(**extra):
    return count_subquery(
        Attendance.objects.filter(
            enrollment=OuterRef("pk"),
            status__in=Attendance.ATTENDED,
            session__status=Session.Status.HELD,
            session__cohort=OuterRef("cohort"),
            session__date__gte=Coalesce(OuterRef("enrolled_on"), OuterRef("cohort__start_date")),
            **extra,
        )
    )


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

    def queryset(self):
        qs = Enrollment.objects.filter(enrollment_filter(self.program, self.options)).annotate(
            offered=offered_subquery(), attended=attended_subquery()
        )
        fields = [
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
            "offered",
            "attended",
        ]
        for module_id, order, _name in self.modules:
            qs = qs.annotate(**{f"m{order}": attended_subquery(session__module_id=module_id)})
            fields.append(f"m{order}")
        for code, _name, _version in self.instruments:
            for tp in TIMEPOINTS:
                scored = Administration.objects.filter(
                    enrollment=OuterRef("pk"), instrument_code=code, timepoint=tp
                )
                qs = qs.annotate(
                    **{
                        f"s_{code}_{tp}": Subquery(
                            scored.filter(is_complete=True).values("score")[:1]
                        ),
                        f"a_{code}_{tp}": Exists(scored),
                    }
                )
                fields += [f"s_{code}_{tp}", f"a_{code}_{tp}"]
                if self.options.dates != "none":
                    qs = qs.annotate(**{f"d_{code}_{tp}": Subquery(scored.values("date")[:1])})
                    fields.append(f"d_{code}_{tp}")
        return qs.order_by("cohort__start_date", "cohort__code", "pk").values_list("pk", *fields)

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
        ids, people, records = [], [], []
        self.left_out = {"cells": 0, "rare": 0}
        self.group_blanks = 0
        for pk, pid, cohort, start, birth, gender, indigenous, racialised, enrolled, exit_ in (
            Enrollment.objects.filter(enrollment_filter(self.program, o))
            .order_by()
            .values_list(
                "pk", "participant_id", "cohort__code", "cohort__start_date",
                "participant__birth_year", "participant__gender_identity",
                "participant__indigenous_identity", "participant__racialised",
                "enrolled_on", "exit_date",
            )
        ):  # fmt: skip
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
        self.plan, self.left_out["rare"], self.blanks = privacy.k_anonymous_plan(
            ids, records, people, o.min_cell, self.quasi_identifiers()
        )

    def planned(self) -> None:
        if not hasattr(self, "plan"):
            self._plan()

    def rows(self) -> Iterator[tuple]:
        o = self.options
        key = o.pseudonym_key
        self.planned()
        held = self.withheld
        names = [v.name for v in self.variables()]
        at = {name: i for i, name in enumerate(names)}
        qi_names = set(self.quasi_identifiers())
        n_modules = len(self.modules)
        n_scores = len(self.instruments) * len(TIMEPOINTS)
        with_dates = o.dates != "none"
        for row in self.queryset().iterator(chunk_size=CHUNK):
            pk, row = row[0], row[1:]
            blank = self.plan.get(pk)
            if blank is None:
                continue  # left out: a hidden cell of the report, or a rare row
            (pid, cohort, start, birth, gender, indigenous, racialised, status) = row[:8]
            enrolled_on, exit_date, offered, attended = row[8:12]
            year = self.program.year_of(start)
            out = [
                privacy.pseudonym(key, pid),
                cohort,
                year,
                None if self.without_age else privacy.age_band(birth, start),
                self._gender.get(gender),
                self._yesno.get(indigenous),
                self._yesno.get(racialised),
                0,
                self._status.get(status),
            ]
            if self.without_age:
                del out[3]  # the age band (see variables())
            shift = privacy.shift_days(key, pid) if o.dates == DATES_SHIFT else 0
            if o.dates == DATES_WEEK:
                out += [
                    privacy.cohort_week(enrolled_on, start),
                    privacy.cohort_week(exit_date, start),
                ]
            elif o.dates == DATES_SHIFT:
                out += [
                    _iso(privacy.shifted(enrolled_on, shift)),
                    _iso(privacy.shifted(exit_date, shift)),
                ]
            out += [offered, attended]
            rest = row[12:]
            out += list(rest[:n_modules])
            rest = rest[n_modules:]
            step = 3 if with_dates else 2
            for i in range(n_scores):
                score, given = rest[i * step], rest[i * step + 1]
                if score is None:
                    score = TOO_INCOMPLETE if given else NOT_ADMINISTERED
                out.append(score)
                if o.dates == DATES_WEEK:
                    out.append(privacy.cohort_week(rest[i * step + 2], start))
                elif o.dates == DATES_SHIFT:
                    out.append(_iso(privacy.shifted(rest[i * step + 2], shift)))
            for field, column in withheld.GROUP_COLUMNS.items():
                answer = {"gender": gender, "indigenous": indigenous, "racialised": racialised}
                if (answer[column] or "") in held.groups.get(field, ()):
                    out[at[column]] = None
            for _id, order, _name in self.modules:
                if order in held.modules:
                    out[at[f"attended_m{order}"]] = None
            raw = {"gender": gender, "indigenous": indigenous, "racialised": racialised}
            for code, _name, _version in self.instruments:
                everything = held.score_hidden(year, cohort, code)
                codes = not everything and (
                    held.incomplete_hidden(year, cohort, code)
                    or any(
                        (raw[column] or "", code) in held.group_incomplete.get(field, ())
                        for field, column in withheld.GROUP_COLUMNS.items()
                    )
                )
                for tp in TIMEPOINTS:
                    base = safe_name(f"{code}_{tp}")
                    if codes and out[at[base]] in (NOT_ADMINISTERED, TOO_INCOMPLETE):
                        out[at[base]] = None  # "not administered" would tell the others
                    if everything:
                        for name in (base, base[:27] + "_week", base[:27] + "_date"):
                            if name in at:
                                out[at[name]] = None
            for name in blank:
                out[at[name]] = None
            if blank & qi_names:
                out[at["qi_suppressed"]] = 1
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
