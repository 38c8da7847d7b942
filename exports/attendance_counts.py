"""Session attendance counts: one row per session, attendance counted by status."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evaluation import disclosure
from programs.models import Cohort
from sessions.models import Session

from . import privacy, withheld
from .base import CATEGORY, INTEGER, Exporter, Variable
from .dataset import YES_NO_FLAG, code_map, coded
from .scope import cohort_filter, period_filter

#: Cohorts per query of the session attendance counts (about 20 sessions each).
COHORTS_PER_QUERY = 500
SESSION_STATUS = Session.Status.choices


class AttendanceCountsExporter(Exporter):
    identifier = "attendance"
    verbose_name = gettext_lazy("Session attendance counts")
    description = gettext_lazy(
        "One row per session: cohort, year, module, week, status and the number of people "
        "present, late, absent and excused."
    )
    _status = code_map(SESSION_STATUS)

    def variables(self) -> list[Variable]:
        return [
            Variable("cohort", _("Cohort code")),
            Variable("program_year", _("Program year of the cohort"), INTEGER),
            Variable("session", _("Session number"), INTEGER),
            Variable("week", _("Week of the cohort"), INTEGER),
            Variable("module", _("Module number"), INTEGER),
            Variable("status", _("Session status"), CATEGORY, coded(SESSION_STATUS)),
            Variable("present", _("People present"), INTEGER),
            Variable("late", _("People late"), INTEGER),
            Variable("absent", _("People absent"), INTEGER),
            Variable("excused", _("People excused"), INTEGER),
            Variable("attended", _("People attended (present or late)"), INTEGER),
            Variable(
                "suppressed",
                _("A count from 1 to %(n)s was left empty") % {"n": self.options.min_cell - 1},
                CATEGORY,
                YES_NO_FLAG,
            ),
        ]

    def codebook_notes(self) -> list[str]:
        notes = [_("One row per session of the program's cohorts in the period.")]
        if self.options.external:
            notes.append(
                _(
                    "For use outside the organisation: counts from 1 to %(n)s are left "
                    "empty and the row's suppressed flag is 1. Attended is present plus "
                    "late, so when one of the three is empty another is too: no empty count "
                    "can be worked out by subtraction."
                )
                % {"n": self.options.min_cell - 1}
            )
            notes.append(
                _(
                    "Sessions of a cohort or year whose figures the report for outside the "
                    "organisation hides are left out: their counts add up to the cohort's size."
                )
            )
        return notes

    def queryset(self):
        status = "attendance__status"
        return (
            Session.objects.filter(cohort__program=self.program)
            .filter(cohort_filter(self.options))
            .order_by("cohort__start_date", "cohort__code", "number")
            .values_list(
                "cohort__code", "cohort__start_date", "number", "date", "module__order", "status"
            )
            .annotate(
                present=Count("attendance", filter=Q(**{status: "present"})),
                late=Count("attendance", filter=Q(**{status: "late"})),
                absent=Count("attendance", filter=Q(**{status: "absent"})),
                excused=Count("attendance", filter=Q(**{status: "excused"})),
            )
        )

    def count(self) -> int:
        return (
            Session.objects.filter(cohort__program=self.program)
            .filter(cohort_filter(self.options))
            .count()
        )

    def _session_rows(self) -> Iterator[tuple]:
        """The rows of ``queryset()`` in its order, a few hundred cohorts per query: each
        is an ordinary query, which PostgreSQL may run in parallel (never a server-side
        cursor), and memory stays bounded."""
        cohorts = list(
            Cohort.objects.filter(period_filter(self.options, "start_date"), program=self.program)
            .order_by("start_date", "code")
            .values_list("id", flat=True)
        )
        for start in range(0, len(cohorts), COHORTS_PER_QUERY):
            yield from self.queryset().filter(
                cohort_id__in=cohorts[start : start + COHORTS_PER_QUERY]
            )

    def rows(self) -> Iterator[tuple]:
        min_cell, external = self.options.min_cell, self.options.external
        keys = ("present", "late", "absent", "excused", "attended")
        # A session's marks add up to its cohort's size: sessions of a cohort or year the
        # report hides are left out, as in the participant-level exports (no score here).
        held = withheld.withheld(self.program, self.options, surveys=False)
        for cohort, start, number, day, module, status, *counts in self._session_rows():
            if held.row_hidden(self.program.year_of(start), cohort):
                continue
            counts.append(counts[0] + counts[1])
            hidden: set = set()
            if external:
                hidden = disclosure.protect_row(
                    dict(zip(keys, counts, strict=True)), ATTENDANCE_RELATIONS, min_cell=min_cell
                )
                counts = [None if key in hidden else c for key, c in zip(keys, counts, strict=True)]
            yield (
                cohort,
                self.program.year_of(start),
                number,
                privacy.cohort_week(day, start),
                module,
                self._status.get(status),
                *counts,
                1 if hidden else 0,
            )


#: Attended is present plus late: one of the three blank alone would be a subtraction away.
ATTENDANCE_RELATIONS = (disclosure.Relation("attended", ("present", "late")),)
