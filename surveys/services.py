"""Survey administrations: access, scoring on save, self-completion links, the to-do list.

Every write goes through one of the ``administration_*`` or ``survey_link_*`` services so
that the stored score is always the one ``surveys.scoring`` gives for the stored
answers, and nothing is half-saved when any answer is refused.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Min, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from participants.models import Enrollment, Participant
from peersupport.audit import log_action
from peersupport.models import AuditEntry, hash_token
from peersupport.permissions import FACILITATOR, STAFF_ROLES, get_for_user
from programs.access import facilitates
from programs.models import Cohort
from sessions.models import Session

from .instruments import current_instrument, item_specs
from .models import (
    Administration,
    Answer,
    Instrument,
    InstrumentItem,
    ProgramInstrument,
    SurveyLink,
)
from .scoring import AnswerOutOfRange, Score, check_answer, score

#: Enrollment statuses that may answer surveys: enrolled now, finished, or left after
#: starting (applied and waitlisted people are not in the program).
SURVEY_STATUSES = Enrollment.ACTIVE_STATUSES
#: How long a self-completion link stays usable unless settings say otherwise.
DEFAULT_LINK_HOURS = 72
#: The to-do list shows a pre as due from this many days before the first session and a
#: post from this many days before the last.
DUE_WINDOW_DAYS = 7


def link_valid_hours() -> int:
    return int(getattr(settings, "SURVEY_LINK_VALID_HOURS", DEFAULT_LINK_HOURS))


# --- consent ------------------------------------------------------------------------


def used_in_evaluation(participant: Participant) -> bool:
    """Only a participant who said yes to evaluation use contributes to figures (spec)."""
    return participant.evaluation_consent == Participant.Consent.YES


def evaluation_consented_q(prefix: str = "enrollment__participant__") -> Q:
    return Q(**{f"{prefix}evaluation_consent": Participant.Consent.YES})


# --- access -------------------------------------------------------------------------


def _cohort_rule_for(cohort_of):
    def rule(obj, membership) -> bool:
        return membership.role != FACILITATOR or facilitates(cohort_of(obj), membership.user_id)

    return rule


def get_enrollment_for_user(request, pk, roles=STAFF_ROLES) -> Enrollment:
    return get_for_user(
        request,
        Enrollment.objects.select_related("participant", "cohort__program"),
        roles=roles,
        organisation_of=lambda e: e.cohort.organisation_id,
        check=_cohort_rule_for(lambda e: e.cohort),
        pk=pk,
    )


def get_administration_for_user(request, pk, roles=STAFF_ROLES) -> Administration:
    return get_for_user(
        request,
        Administration.objects.select_related(
            "enrollment__participant", "enrollment__cohort__program", "instrument", "entered_by"
        ),
        roles=roles,
        organisation_of=lambda a: a.enrollment.cohort.organisation_id,
        check=_cohort_rule_for(lambda a: a.enrollment.cohort),
        pk=pk,
    )


# --- scoring ------------------------------------------------------------------------


def item_field(number: int) -> str:
    """The form field name of an item; errors are keyed by it."""
    return f"item_{number}"


def check_answers(
    *, instrument: Instrument, answers: Mapping[int, object]
) -> dict[int, int | None]:
    """Every answer checked against its item; raises one ``ValidationError`` naming each bad
    item so that the form can show the message beside the field."""
    items = {s.number: s for s in item_specs(instrument)}
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(answers) - set(items))
    if unknown:
        errors["__all__"] = [
            _("This instrument has no item %(n)s.") % {"n": ", ".join(map(str, unknown))}
        ]
    clean: dict[int, int | None] = {}
    for number, spec in items.items():
        try:
            clean[number] = check_answer(spec, answers.get(number))
        except AnswerOutOfRange:
            errors[item_field(number)] = [
                _("Enter a whole number from %(min)s to %(max)s, or leave it blank.")
                % {"min": spec.min_value, "max": spec.max_value}
            ]
    if errors:
        raise ValidationError(errors)
    return clean


def score_answers(*, instrument: Instrument, answers: Mapping[int, int | None]) -> Score:
    return score(
        item_specs(instrument),
        answers,
        max_missing=instrument.max_missing,
        conversion_table=instrument.conversion_table or None,
    )


def _store(administration: Administration, answers: Mapping[int, int | None]) -> None:
    result = score_answers(instrument=administration.instrument, answers=answers)
    administration.score = result.value
    administration.answered_n = result.answered_n
    administration.missing_n = result.missing_n
    administration.is_complete = result.is_complete


def _write_answers(administration: Administration, answers: Mapping[int, int | None]) -> None:
    items = {i.number: i for i in administration.instrument.items.all()}
    existing = {a.item_id: a for a in administration.answers.all()}
    for number, value in answers.items():
        item = items[number]
        answer = existing.get(item.pk)
        if answer is None:
            Answer.objects.create(administration=administration, item=item, value=value)
        elif answer.value != value:
            answer.value = value
            answer.save(update_fields=["value"])


# --- administrations ----------------------------------------------------------------


def check_can_answer(*, enrollment: Enrollment, instrument: Instrument, timepoint: str) -> None:
    """Refuse a survey for someone not in the program, an instrument the program does not
    use, or a second administration at the same timepoint."""
    errors: dict[str, list[str]] = {}
    cohort = enrollment.cohort
    if enrollment.status not in SURVEY_STATUSES:
        errors["enrollment"] = [
            _("This person is not enrolled in the program (status: %(s)s).")
            % {"s": enrollment.get_status_display()}
        ]
    if instrument.organisation_id != cohort.organisation_id:
        errors["__all__"] = [_("This instrument belongs to another organisation.")]
    elif not ProgramInstrument.objects.filter(
        program_id=cohort.program_id, instrument_code=instrument.code
    ).exists():
        errors["__all__"] = [
            _("The program %(p)s does not use the instrument %(i)s.")
            % {"p": cohort.program.code, "i": instrument.code}
        ]
    if timepoint not in Administration.Timepoint.values:
        errors["timepoint"] = [_("Choose pre, post or follow-up.")]
    else:
        earlier = Administration.objects.filter(
            enrollment=enrollment, instrument_code=instrument.code, timepoint=timepoint
        ).first()
        if earlier is not None:
            errors["timepoint"] = [
                _(
                    "A %(tp)s survey for %(code)s is already recorded for this participant "
                    "(dated %(date)s). Open that one to correct it."
                )
                % {
                    "tp": earlier.get_timepoint_display(),
                    "code": instrument.code,
                    "date": earlier.date.isoformat(),
                }
            ]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def administration_create(
    *,
    enrollment: Enrollment,
    instrument: Instrument,
    timepoint: str,
    date: date,
    mode: str,
    answers: Mapping[int, object],
    by,
    request=None,
) -> Administration:
    """Record one completed questionnaire with its answers and its score."""
    check_can_answer(enrollment=enrollment, instrument=instrument, timepoint=timepoint)
    clean = check_answers(instrument=instrument, answers=answers)
    administration = Administration(
        enrollment=enrollment,
        instrument=instrument,
        timepoint=timepoint,
        date=date,
        mode=mode,
        entered_by=by if getattr(by, "is_authenticated", False) else None,
    )
    _store(administration, clean)
    try:
        with transaction.atomic():
            administration.save()
    except IntegrityError as exc:  # a second entry raced this one
        raise ValidationError(
            {"timepoint": [_("This survey was recorded a moment ago by someone else.")]}
        ) from exc
    _write_answers(administration, clean)
    log_action(
        actor=by,
        action=AuditEntry.Action.CREATE,
        obj=administration,
        organisation=enrollment.cohort.organisation,
        changes={
            "score": [None, administration.score],
            "answered_n": [None, administration.answered_n],
        },
        detail={"mode": mode, "instrument_version": instrument.version},
        request=request,
    )
    return administration


@transaction.atomic
def administration_update(
    *,
    administration: Administration,
    answers: Mapping[int, object],
    date: date | None = None,
    by,
    request=None,
) -> Administration:
    """Correct answers (or the date); the score is recomputed on the same version."""
    administration = (
        Administration.objects.select_for_update()
        .select_related("instrument", "enrollment__cohort")
        .get(pk=administration.pk)
    )
    clean = check_answers(instrument=administration.instrument, answers=answers)
    before = {
        "score": administration.score,
        "date": administration.date.isoformat(),
        "answers": {
            str(a.item.number): a.value for a in administration.answers.select_related("item")
        },
    }
    if date is not None:
        administration.date = date
    _store(administration, clean)
    administration.save()
    _write_answers(administration, clean)
    after = {
        "score": administration.score,
        "date": administration.date.isoformat(),
        "answers": {str(n): v for n, v in clean.items()},
    }
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changes:
        log_action(
            actor=by,
            action=AuditEntry.Action.UPDATE,
            obj=administration,
            organisation=administration.enrollment.cohort.organisation,
            changes=changes,
            request=request,
        )
    return administration


# --- self-completion links ----------------------------------------------------------


@transaction.atomic
def survey_link_create(
    *,
    enrollment: Enrollment,
    instrument: Instrument,
    timepoint: str,
    language: str,
    by,
    request=None,
    hours: int | None = None,
):
    """Issue a one-time link. Returns the link and the raw token (only its hash is stored)."""
    check_can_answer(enrollment=enrollment, instrument=instrument, timepoint=timepoint)
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": [_("Choose a language.")]})
    token = secrets.token_urlsafe(32)
    link = SurveyLink.objects.create(
        token_hash=hash_token(token),
        enrollment=enrollment,
        instrument=instrument,
        timepoint=timepoint,
        language=language,
        created_by=by,
        expires_at=timezone.now() + timedelta(hours=hours or link_valid_hours()),
    )
    log_action(
        actor=by,
        action=AuditEntry.Action.CREATE,
        obj=link,
        organisation=enrollment.cohort.organisation,
        detail={"timepoint": timepoint, "instrument": instrument.code},
        request=request,
    )
    return link, token


def survey_link_usable(token: str) -> tuple[SurveyLink | None, str | None]:
    """``(link, None)`` when ``token`` may still be answered, else ``(link or None, reason)``
    with reason ``unknown``, ``used`` or ``expired``."""
    if not token or len(token) > 100:
        return None, "unknown"
    link = (
        SurveyLink.objects.select_related("instrument", "enrollment__cohort__program")
        .prefetch_related(
            Prefetch("instrument__items", queryset=InstrumentItem.objects.order_by("number"))
        )
        .filter(token_hash=hash_token(token))
        .first()
    )
    if link is None:
        return None, "unknown"
    if link.used_at is not None:
        return link, "used"
    if link.expires_at <= timezone.now():
        return link, "expired"
    return link, None


def survey_link_refused(*, request, reason: str, link=None) -> None:
    """Audit a refused link. Nothing about the person is recorded: no token, no enrollment."""
    organisation = link.enrollment.cohort.organisation if link is not None else None
    log_action(
        actor=None,
        action=AuditEntry.Action.DENIED,
        organisation=organisation,
        object_type="evaluation.SurveyLink",
        detail={"reason": reason},
        request=request,
    )


@transaction.atomic
def survey_link_submit(*, link, answers: Mapping[int, object], request=None) -> Administration:
    """Record a self-completed survey and spend the link (even if answers are refused the
    link stays usable, so the person can correct them)."""
    link = SurveyLink.objects.select_for_update().get(pk=link.pk)
    if link.used_at is not None or link.expires_at <= timezone.now():
        raise ValidationError({"__all__": [_("This link can no longer be used.")]})
    enrollment = Enrollment.objects.select_related("cohort__program", "cohort__organisation").get(
        pk=link.enrollment_id
    )
    administration = administration_create(
        enrollment=enrollment,
        instrument=link.instrument,
        timepoint=link.timepoint,
        date=timezone.localdate(),
        mode=Administration.Mode.SELF,
        answers=answers,
        by=None,
        request=request,
    )
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    return administration


def survey_link_spend(*, link) -> None:
    """Mark a link used without recording anything (its survey already exists)."""
    SurveyLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=timezone.now())


# --- to-do --------------------------------------------------------------------------


@dataclass
class TodoRow:
    enrollment: Enrollment
    #: ``{(instrument_code, timepoint): Administration or None}``
    done: dict = field(default_factory=dict)
    #: One per instrument × (pre, post), in column order: code, timepoint, administration,
    #: due (True when missing and due by now).
    cells: list = field(default_factory=list)

    @property
    def used_in_evaluation(self) -> bool:
        return used_in_evaluation(self.enrollment.participant)


@dataclass
class CohortTodo:
    cohort: Cohort
    codes: list[str]
    first_session: date | None
    last_session: date | None
    pre_due: bool
    post_due: bool
    rows: list[TodoRow]

    @property
    def outstanding(self) -> int:
        n = 0
        for row in self.rows:
            for code in self.codes:
                if self.pre_due and row.done.get((code, "pre")) is None:
                    n += 1
                if self.post_due and row.done.get((code, "post")) is None:
                    n += 1
        return n


def cohort_survey_todo(*, cohort: Cohort, on: date) -> CohortTodo:
    """Who still needs a pre (due from a week before the first session) or a post (due from
    a week before the last), per instrument of the cohort's program.

    Queries: program instruments, session dates, enrollments with participants,
    administrations.
    """
    codes = list(
        ProgramInstrument.objects.filter(program_id=cohort.program_id)
        .order_by("instrument_code")
        .values_list("instrument_code", flat=True)
    )
    bounds = Session.objects.filter(cohort=cohort).exclude(status=Session.Status.CANCELLED)
    bounds = bounds.aggregate(first=Min("date"), last=Max("date"))
    first = bounds["first"] or cohort.start_date
    last = bounds["last"]
    enrollments = list(
        Enrollment.objects.filter(cohort=cohort, status__in=SURVEY_STATUSES)
        .select_related("participant")
        .order_by("participant__code")
    )
    rows = {e.pk: TodoRow(enrollment=e) for e in enrollments}
    for adm in Administration.objects.filter(enrollment__in=enrollments, instrument_code__in=codes):
        rows[adm.enrollment_id].done[(adm.instrument_code, adm.timepoint)] = adm
    window = timedelta(days=DUE_WINDOW_DAYS)
    due = {"pre": on >= first - window, "post": last is not None and on >= last - window}
    for row in rows.values():
        for code in codes:
            for timepoint in ("pre", "post"):
                adm = row.done.get((code, timepoint))
                row.cells.append(
                    {
                        "code": code,
                        "timepoint": timepoint,
                        "administration": adm,
                        "due": adm is None and due[timepoint],
                    }
                )
    return CohortTodo(
        cohort=cohort,
        codes=codes,
        first_session=first,
        last_session=last,
        pre_due=due["pre"],
        post_due=due["post"],
        rows=list(rows.values()),
    )


def survey_overview(*, cohorts) -> list[dict]:
    """Per cohort: how many enrollments lack a pre / a post, across the program's
    instruments (for the list of cohorts; one query per kind of data, not per cohort).

    Queries: cohorts with programs, program instruments, enrollment counts,
    administration counts.
    """
    cohorts = list(cohorts.select_related("program").order_by("-start_date", "code"))
    program_ids = {c.program_id for c in cohorts}
    codes: dict[int, set[str]] = {}
    for pid, code in ProgramInstrument.objects.filter(program_id__in=program_ids).values_list(
        "program_id", "instrument_code"
    ):
        codes.setdefault(pid, set()).add(code)
    enrolled: dict[int, int] = {}
    for cid in Enrollment.objects.filter(
        cohort__in=cohorts, status__in=SURVEY_STATUSES
    ).values_list("cohort_id", flat=True):
        enrolled[cid] = enrolled.get(cid, 0) + 1
    done: dict[tuple[int, str], int] = {}
    for cid, pid, code, tp in Administration.objects.filter(
        enrollment__cohort__in=cohorts, enrollment__status__in=SURVEY_STATUSES
    ).values_list(
        "enrollment__cohort_id", "enrollment__cohort__program_id", "instrument_code", "timepoint"
    ):
        if code in codes.get(pid, ()):
            done[(cid, tp)] = done.get((cid, tp), 0) + 1
    out = []
    for cohort in cohorts:
        n_codes = len(codes.get(cohort.program_id, ()))
        expected = enrolled.get(cohort.pk, 0) * n_codes
        out.append(
            {
                "cohort": cohort,
                "enrolled": enrolled.get(cohort.pk, 0),
                "instruments": n_codes,
                "pre_missing": expected - done.get((cohort.pk, "pre"), 0),
                "post_missing": expected - done.get((cohort.pk, "post"), 0),
            }
        )
    return out


def instrument_for_entry(*, cohort: Cohort, code: str) -> Instrument | None:
    """The current version of an instrument the cohort's program uses."""
    if not ProgramInstrument.objects.filter(
        program_id=cohort.program_id, instrument_code=code
    ).exists():
        return None
    return current_instrument(organisation=cohort.organisation_id, code=code)
