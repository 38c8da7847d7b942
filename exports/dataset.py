"""The de-identified participant-level dataset: one row per enrollment.

Only enrollments of people who consented to evaluation use. One query streams the rows
(sessions offered and attended, per-module attendance and the scores are correlated
subqueries the database answers per row); a first, grouped query counts the
quasi-identifier combinations so that rare ones are blanked while streaming.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce, ExtractYear
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from participants.models import Enrollment, Participant
from peersupport.querying import count_subquery
from sessions.models import Attendance, Session
from surveys.instruments import program_instrument_links
from surveys.models import Administration, Instrument

from . import privacy
from .base import (
    CATEGORY,
    DATES_SHIFT,
    DATES_WEEK,
    INTEGER,
    NUMBER,
    STRING,
    Exporter,
    Variable,
    safe_name,
)
from .scope import enrollment_filter

CHUNK = 2000
TIMEPOINTS = tuple(Administration.Timepoint)
#: The columns blanked together when their combination is shared by too few rows.
QUASI_IDENTIFIERS = ("age_band", "gender", "indigenous", "racialised")


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
            Variable("program_year", _("Program year of the cohort"), INTEGER),
            Variable(
                "age_band",
                _("Age band at the cohort's start"),
                CATEGORY,
                tuple((c, label) for c, _lo, _hi, label in privacy.AGE_BANDS),
            ),
            Variable("gender", _("Gender identity"), CATEGORY, coded(GENDER)),
            Variable("indigenous", _("Indigenous identity"), CATEGORY, coded(YESNO)),
            Variable("racialised", _("Racialised / visible minority"), CATEGORY, coded(YESNO)),
            Variable(
                "qi_suppressed",
                _("Age band and demographics blanked: a rare combination"),
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
                        note=_("Scored administrations only; pro-rated when items are missing."),
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
                "Where the combination of age band, gender identity, Indigenous identity and "
                "racialised identity is shared by fewer than %(min)s rows, those four are "
                "left empty and qi_suppressed is 1."
            )
            % {"min": self.options.min_cell},
            _("No names, contact details, notes or birth years are exported."),
        ]
        if self.without_age:
            notes.append(_("The organisation does not collect birth years: no age band."))
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
                        )
                    }
                )
                fields.append(f"s_{code}_{tp}")
                if self.options.dates != "none":
                    qs = qs.annotate(**{f"d_{code}_{tp}": Subquery(scored.values("date")[:1])})
                    fields.append(f"d_{code}_{tp}")
        return qs.order_by("cohort__start_date", "cohort__code", "pk").values_list(*fields)

    def count(self) -> int:
        return Enrollment.objects.filter(enrollment_filter(self.program, self.options)).count()

    def rare_combinations(self) -> set[tuple]:
        """Quasi-identifier combinations of fewer than ``min_cell`` rows (one grouped query)."""
        grouped = (
            Enrollment.objects.filter(enrollment_filter(self.program, self.options))
            .order_by()
            .values_list(
                "participant__birth_year",
                ExtractYear("cohort__start_date"),
                "participant__gender_identity",
                "participant__indigenous_identity",
                "participant__racialised",
            )
            .annotate(n=Count("id"))
        )
        combos = privacy.count_combinations(
            (
                (
                    None if self.without_age else privacy.age_band(birth, _year_start(year)),
                    self._gender.get(gender),
                    self._yesno.get(indigenous),
                    self._yesno.get(racialised),
                ),
                n,
            )
            for birth, year, gender, indigenous, racialised, n in grouped
        )
        return privacy.rare_combinations(combos, self.options.min_cell)

    _gender = code_map(GENDER)
    _yesno = code_map(YESNO)
    _status = code_map(STATUS)

    def rows(self) -> Iterator[tuple]:
        o = self.options
        key = o.pseudonym_key
        rare = self.rare_combinations()
        n_modules = len(self.modules)
        n_scores = len(self.instruments) * len(TIMEPOINTS)
        with_dates = o.dates != "none"
        for row in self.queryset().iterator(chunk_size=CHUNK):
            (pid, cohort, start, birth, gender, indigenous, racialised, status) = row[:8]
            enrolled_on, exit_date, offered, attended = row[8:12]
            qi = (
                None if self.without_age else privacy.age_band(birth, start),
                self._gender.get(gender),
                self._yesno.get(indigenous),
                self._yesno.get(racialised),
            )
            blanked = qi in rare
            if blanked:
                qi = (None, None, None, None)
            out = [
                privacy.pseudonym(key, pid),
                cohort,
                self.program.year_of(start),
                *qi,
                1 if blanked else 0,
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
            step = 2 if with_dates else 1
            for i in range(n_scores):
                score = rest[i * step]
                out.append(score)
                if o.dates == DATES_WEEK:
                    out.append(privacy.cohort_week(rest[i * step + 1], start))
                elif o.dates == DATES_SHIFT:
                    out.append(_iso(privacy.shifted(rest[i * step + 1], shift)))
            yield tuple(out)


def _year_start(year: int):
    from datetime import date

    return date(int(year), 1, 1)


def _iso(day) -> str | None:
    return None if day is None else day.isoformat()
