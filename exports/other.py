"""Item-level responses (long format), session attendance counts, session feedback."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from programs.models import Cohort
from sessions.feedback import feedback_questions, summarise
from sessions.models import Session, SessionFeedback
from surveys.models import Administration, Answer

from . import privacy
from .base import CATEGORY, DATES_SHIFT, DATES_WEEK, INTEGER, NUMBER, STRING, Exporter, Variable
from .dataset import YES_NO_FLAG, code_map, coded
from .scope import cohort_filter, enrollment_filter, period_filter

CHUNK = 5000
#: Cohorts per query of the session attendance counts (about 20 sessions each).
COHORTS_PER_QUERY = 500
TIMEPOINT = Administration.Timepoint.choices
SESSION_STATUS = Session.Status.choices


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
                    "empty and the row's suppressed flag is 1."
                )
                % {"n": self.options.min_cell - 1}
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
        for cohort, start, number, day, module, status, *counts in self._session_rows():
            counts.append(counts[0] + counts[1])
            hidden = external and any(privacy.small(c, min_cell) for c in counts)
            if hidden:
                counts = [None if privacy.small(c, min_cell) else c for c in counts]
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


class FeedbackSummaryExporter(Exporter):
    identifier = "feedback"
    verbose_name = gettext_lazy("Session feedback summaries")
    description = gettext_lazy(
        "One row per session with feedback: forms, and per question the number of answers "
        "and the mean rating (empty from fewer than the smallest cell). Comments are never "
        "exported."
    )

    def __init__(self, *, program, options):
        super().__init__(program=program, options=options)
        self.questions = feedback_questions(program)

    def variables(self) -> list[Variable]:
        v = [
            Variable("cohort", _("Cohort code")),
            Variable("program_year", _("Program year of the cohort"), INTEGER),
            Variable("session", _("Session number"), INTEGER),
            Variable("week", _("Week of the cohort"), INTEGER),
            Variable("forms", _("Feedback forms"), INTEGER),
        ]
        for i, text in enumerate(self.questions, start=1):
            v += [
                Variable(f"q{i}_n", _("Answers to question %(i)s") % {"i": i}, INTEGER, note=text),
                Variable(
                    f"q{i}_mean",
                    _("Mean rating, question %(i)s (1–5)") % {"i": i},
                    NUMBER,
                    note=text,
                ),
            ]
        v.append(
            Variable(
                "suppressed", _("A value was left empty: too few answers"), CATEGORY, YES_NO_FLAG
            )
        )
        return v

    def codebook_notes(self) -> list[str]:
        return [
            _("Feedback is anonymous; comments are never exported."),
            _("A mean from fewer than %(min)s answers is left empty.")
            % {"min": self.options.min_cell},
        ]

    def queryset(self):
        return (
            SessionFeedback.objects.filter(session__cohort__program=self.program)
            .filter(cohort_filter(self.options, "session__"))
            .order_by(
                "session__cohort__start_date",
                "session__cohort__code",
                "session__number",
                "session_id",
            )
            .values_list(
                "session_id",
                "session__cohort__code",
                "session__cohort__start_date",
                "session__number",
                "session__date",
                "ratings",
            )
        )

    def rows(self) -> Iterator[tuple]:
        min_cell, external = self.options.min_cell, self.options.external
        for _session, group in groupby(
            self.queryset().iterator(chunk_size=CHUNK), key=lambda r: r[0]
        ):
            forms = list(group)  # one session's forms
            _id, cohort, start, number, day, _ratings = forms[0]
            summary = summarise((f[5] for f in forms), self.questions, min_cell)
            hidden = False
            n_forms: int | None = summary.forms
            if external and privacy.small(n_forms, min_cell):
                n_forms, hidden = None, True
            out = [
                cohort,
                self.program.year_of(start),
                number,
                privacy.cohort_week(day, start),
                n_forms,
            ]
            for q in summary.questions:
                n: int | None = q.n
                if external and privacy.small(n, min_cell):
                    n, hidden = None, True
                if q.mean is None and q.n:
                    hidden = True
                out += [n, q.mean]
            out.append(1 if hidden else 0)
            yield tuple(out)
