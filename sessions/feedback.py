"""Anonymous session feedback: the questions, saving a form, and summaries.

A feedback form has no link to any participant. Ratings are stored by question number
(``{"1": 5, "2": 4}``, 1-based, in the order of the program's questions). Summaries
show a mean only where at least ``settings.MIN_CELL`` people answered, so a small group's
answers cannot be told apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peersupport.audit import log_action
from programs.models import Cohort, Program

from .models import Session, SessionFeedback

RATING_MIN, RATING_MAX = 1, 5

#: Asked when a program has not set its own questions.
DEFAULT_QUESTIONS = (
    gettext_lazy("I felt welcome and safe in the group today."),
    gettext_lazy("Today's topic was useful to me."),
    gettext_lazy("I felt listened to."),
)


def feedback_questions(program: Program) -> list[str]:
    """The program's 1–5 rating questions, or the default ones when it has none."""
    own = [str(q).strip() for q in (program.session_feedback_questions or []) if str(q).strip()]
    return own or [str(q) for q in DEFAULT_QUESTIONS]


def feedback_refusal(session: Session, today: date | None = None) -> str | None:
    """Why no feedback can be given for ``session`` (cancelled, not yet happened), or None."""
    today = today or timezone.localdate()
    if session.status == Session.Status.CANCELLED:
        return _("This session was cancelled.")
    if session.date > today:
        return _("This session has not happened yet.")
    return None


@transaction.atomic
def feedback_submit(
    *, session: Session, ratings: Mapping[int, int | None], comment: str, by, request=None
) -> SessionFeedback:
    """Save one anonymous form. ``ratings`` maps question number (1-based) to 1–5 or None.

    ``by`` is the staff member whose device the form was filled on: it is recorded in the
    audit log, never on the feedback.
    """
    refusal = feedback_refusal(session)
    if refusal:
        raise ValidationError(refusal)
    n_questions = len(feedback_questions(session.cohort.program))
    clean: dict[str, int] = {}
    for number, value in ratings.items():
        if value in (None, ""):
            continue
        if not (isinstance(number, int) and 1 <= number <= n_questions):
            raise ValidationError(_("There is no question %(n)s.") % {"n": number})
        if not (isinstance(value, int) and RATING_MIN <= value <= RATING_MAX):
            raise ValidationError(_("Ratings go from 1 to 5."))
        clean[str(number)] = value
    comment = (comment or "").strip()
    if not clean and not comment:
        raise ValidationError(_("Answer at least one question, or write a comment."))
    feedback = SessionFeedback.objects.create(session=session, ratings=clean, comment=comment)
    log_action(
        actor=by,
        action="feedback.create",
        obj=feedback,
        organisation=session.cohort.organisation,
        # What was answered, never what was said.
        detail={"session": session.pk, "answered": sorted(clean), "comment": bool(comment)},
        request=request,
    )
    return feedback


# --- Summaries: plain computation, no database ------------------------------------


@dataclass(frozen=True)
class QuestionSummary:
    number: int
    text: str
    n: int
    mean: float | None  # None when fewer than MIN_CELL answered

    @property
    def suppressed(self) -> bool:
        return self.mean is None


@dataclass(frozen=True)
class Summary:
    forms: int
    questions: list[QuestionSummary]
    min_cell: int

    @property
    def suppressed(self) -> bool:
        return self.forms < self.min_cell


def summarise(ratings: Iterable[Mapping[str, int]], questions: list[str], min_cell: int) -> Summary:
    """Mean and count per question over ``ratings`` (one mapping per form)."""
    totals = [0] * len(questions)
    counts = [0] * len(questions)
    forms = 0
    for form in ratings:
        forms += 1
        for key, value in form.items():
            try:
                index = int(key) - 1
            except (TypeError, ValueError):
                continue
            if 0 <= index < len(questions) and isinstance(value, int):
                totals[index] += value
                counts[index] += 1
    return Summary(
        forms=forms,
        min_cell=min_cell,
        questions=[
            QuestionSummary(
                number=i + 1,
                text=text,
                n=counts[i],
                mean=round(totals[i] / counts[i], 1) if counts[i] >= min_cell else None,
            )
            for i, text in enumerate(questions)
        ],
    )


# --- Selectors -----------------------------------------------------------------------


def session_feedback_summary(*, session: Session) -> tuple[Summary, list[str]]:
    """The session's summary and its comments, newest first (one query)."""
    rows = list(session.feedback.values_list("ratings", "comment"))
    summary = summarise(
        (r for r, _c in rows), feedback_questions(session.cohort.program), settings.MIN_CELL
    )
    return summary, [c for _r, c in rows if c]


@dataclass(frozen=True)
class SessionLine:
    session: Session
    summary: Summary


def cohort_feedback_summary(*, cohort: Cohort) -> tuple[Summary, list[SessionLine]]:
    """The cohort's summary over all its sessions and one line per session that has
    feedback (two queries)."""
    questions = feedback_questions(cohort.program)
    by_session: dict[int, list] = {}
    for session_id, ratings in SessionFeedback.objects.filter(session__cohort=cohort).values_list(
        "session_id", "ratings"
    ):
        by_session.setdefault(session_id, []).append(ratings)
    sessions = Session.objects.filter(pk__in=by_session).order_by("number")
    lines = [
        SessionLine(s, summarise(by_session[s.pk], questions, settings.MIN_CELL)) for s in sessions
    ]
    overall = summarise(
        (r for forms in by_session.values() for r in forms), questions, settings.MIN_CELL
    )
    return overall, lines
