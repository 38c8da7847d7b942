"""Item-level responses in long format: one row per item of each survey."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from surveys.models import Administration, Answer

from . import privacy
from .base import CATEGORY, DATES_SHIFT, DATES_WEEK, INTEGER, STRING, Exporter, Variable
from .dataset import YES_NO_FLAG, code_map, coded
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

    def codebook_notes(self) -> list[str]:
        return [
            _("One row per item of each survey of a person who consented to evaluation use."),
            _("Values are as answered; reverse-scored items are not reversed here."),
        ]

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
        for (
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
            yield tuple(out)


COUNTS = ("present", "late", "absent", "excused")
