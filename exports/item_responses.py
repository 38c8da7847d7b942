"""Item-level responses in long format: one row per item of each survey."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from surveys.models import Administration, Answer

from . import privacy, withheld
from .base import CATEGORY, DATES_SHIFT, DATES_WEEK, INTEGER, STRING, Exporter, Variable
from .dataset import YES_NO_FLAG, code_map, coded, withheld_notes
from .scope import enrollment_filter

CHUNK = 5000
TIMEPOINT = Administration.Timepoint.choices


class ItemResponsesExporter(Exporter):
    identifier = "items"
    verbose_name = gettext_lazy("Item-level responses (long format)")
    description = gettext_lazy(
        "One row per answer to one item: pseudonym, instrument, version, timepoint, item, value."
    )
    participant_level = True
    _timepoint = code_map(TIMEPOINT)

    def variables(self) -> list[Variable]:
        v = [
            Variable("pseudonym", _("Pseudonym (this export, or this project's salt)")),
            Variable("cohort", _("Cohort code")),
            Variable("program_year", _("Program year of the cohort"), INTEGER),
            Variable("instrument", _("Instrument code")),
            Variable("version", _("Instrument version answered"), INTEGER),
            Variable("timepoint", _("Timepoint"), CATEGORY, coded(TIMEPOINT)),
        ]
        if self.options.dates == DATES_WEEK:
            v.append(Variable("week", _("Week of the cohort the survey was done"), INTEGER))
        elif self.options.dates == DATES_SHIFT:
            v.append(Variable("date", _("Date of the survey (shifted)"), STRING))
        v += [
            Variable("item", _("Item number"), INTEGER),
            Variable("value", _("Answer as given (empty: not answered)"), INTEGER),
            Variable("reverse", _("Item is reverse-scored"), CATEGORY, YES_NO_FLAG),
        ]
        return v

    def quasi_identifiers(self) -> list[str]:
        """The columns that narrow a group: cohort, year, and the week when exported."""
        names = ["cohort", "program_year"]
        if self.options.dates == DATES_WEEK:
            names.append("week")
        return names

    def codebook_notes(self) -> list[str]:
        self.planned()
        return [
            _("One row per item of each survey of a person who consented to evaluation use."),
            _("Values are as answered; reverse-scored items are not reversed here."),
            _(
                "No combination of %(columns)s is shared by fewer than %(min)s people: where "
                "it would be, the fewest values that achieve it are left empty."
            )
            % {"columns": ", ".join(self.quasi_identifiers()), "min": self.options.min_cell},
            *withheld_notes(self.withheld, self.left_out, self.blanks),
        ]

    def planned(self) -> None:
        if not hasattr(self, "plan"):
            self._plan()

    def _plan(self) -> None:
        """Which surveys are left out (hidden cells of the report, rare rows) and which
        narrowing values are blanked, by administration id."""
        o = self.options
        self.withheld = held = withheld.withheld(self.program, o)
        ids, people, records = [], [], []
        self.left_out = {"cells": 0, "rare": 0}
        for pk, pid, cohort, start, code, day, complete in (
            Administration.objects.filter(enrollment_filter(self.program, o, "enrollment__"))
            .order_by()
            .values_list(
                "pk", "enrollment__participant_id", "enrollment__cohort__code",
                "enrollment__cohort__start_date", "instrument_code", "date", "is_complete",
            )
        ):  # fmt: skip
            year = self.program.year_of(start)
            if (
                held.row_hidden(year, cohort)
                or held.score_hidden(year, cohort, code)
                or (not complete and held.incomplete_hidden(year, cohort, code))
            ):
                self.left_out["cells"] += 1
                continue
            record = [cohort, year]
            if o.dates == DATES_WEEK:
                record.append(privacy.cohort_week(day, start))
            ids.append(pk)
            people.append(pid)
            records.append(record)
        self.plan, self.left_out["rare"], self.blanks = privacy.k_anonymous_plan(
            ids, records, people, o.min_cell, self.quasi_identifiers()
        )

    def queryset(self):
        return (
            Answer.objects.filter(
                enrollment_filter(self.program, self.options, "administration__enrollment__")
            )
            .order_by(
                "administration__enrollment__cohort__start_date",
                "administration_id",
                "item__number",
            )
            .values_list(
                "administration_id",
                "administration__enrollment__participant_id",
                "administration__enrollment__cohort__code",
                "administration__enrollment__cohort__start_date",
                "administration__instrument_code",
                "administration__instrument__version",
                "administration__timepoint",
                "administration__date",
                "item__number",
                "value",
                "item__reverse",
            )
        )

    def count(self) -> int:
        return self.queryset().count()

    def rows(self) -> Iterator[tuple]:
        o = self.options
        self.planned()
        at = {v.name: i for i, v in enumerate(self.variables())}
        for (
            administration,
            pid,
            cohort,
            start,
            code,
            version,
            tp,
            day,
            number,
            value,
            reverse,
        ) in self.queryset().iterator(chunk_size=CHUNK):
            blank = self.plan.get(administration)
            if blank is None:
                continue  # left out: a hidden cell of the report, or a rare row
            out = [
                privacy.pseudonym(o.pseudonym_key, pid),
                cohort,
                self.program.year_of(start),
                code,
                version,
                self._timepoint.get(tp),
            ]
            if o.dates == DATES_WEEK:
                out.append(privacy.cohort_week(day, start))
            elif o.dates == DATES_SHIFT:
                shifted = privacy.shifted(day, privacy.shift_days(o.pseudonym_key, pid))
                assert shifted is not None  # an administration always has its date
                out.append(shifted.isoformat())
            out += [number, value, 1 if reverse else 0]
            for name in blank:
                out[at[name]] = None
            yield tuple(out)


COUNTS = ("present", "late", "absent", "excused")
