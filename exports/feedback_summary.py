"""Session feedback summaries: per session, the number of forms and each question's mean."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sessions.feedback import feedback_questions, summarise
from sessions.models import SessionFeedback

from . import privacy
from .base import CATEGORY, INTEGER, NUMBER, Exporter, Variable
from .dataset import YES_NO_FLAG
from .scope import cohort_filter

CHUNK = 5000


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
        for _session, forms in groupby(
            self.queryset().iterator(chunk_size=CHUNK), key=lambda r: r[0]
        ):
            session_forms = list(forms)
            _id, cohort, start, number, day, _ratings = session_forms[0]
            summary = summarise((f[5] for f in session_forms), self.questions, min_cell)
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
