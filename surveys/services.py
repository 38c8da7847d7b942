"""Survey administrations: answers checked and scored on save.

Access is in ``surveys.access``, self-completion links in ``surveys.links`` and the to-do
list in ``surveys.todo``.

Every write goes through one of the ``administration_*`` or ``survey_link_*`` services so
that the stored score is always the one ``surveys.scoring`` gives for the stored
answers, and nothing is half-saved when any answer is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from participants.models import Enrollment, Participant, is_evaluation_consented
from peersupport.audit import log_action

from .instruments import item_specs
from .models import (
    Administration,
    Answer,
    Instrument,
    ProgramInstrument,
)
from .scoring import AnswerOutOfRange, Score, check_answer, score

#: Enrollment statuses that may answer surveys: enrolled now, finished, or left after
#: starting (applied and waitlisted people are not in the program).
SURVEY_STATUSES = Enrollment.ACTIVE_STATUSES


# --- consent ------------------------------------------------------------------------


def used_in_evaluation(participant: Participant) -> bool:
    """Only a participant who said yes to evaluation use contributes to figures (spec),
    while that consent has not expired."""
    return is_evaluation_consented(participant)


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
    link = ProgramInstrument.objects.filter(
        program_id=cohort.program_id, instrument_code=instrument.code
    ).first()
    if "__all__" not in errors and link is None:
        errors["__all__"] = [
            _("The program %(p)s does not use the instrument %(i)s.")
            % {"p": cohort.program.code, "i": instrument.code}
        ]
    if timepoint not in Administration.Timepoint.values:
        errors["timepoint"] = [_("Choose pre, post or follow-up.")]
    elif link is not None and timepoint not in link.timepoints:
        labels = dict(Administration.Timepoint.choices)
        errors["timepoint"] = [
            _("The program %(p)s asks %(i)s only at: %(tps)s.")
            % {
                "p": cohort.program.code,
                "i": instrument.code,
                "tps": ", ".join(str(labels[tp]) for tp in link.timepoints),
            }
        ]
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


def check_self_completion(*, cohort, instrument: Instrument, timepoint: str) -> None:
    """Refuse a self-completion link or a kiosk for an instrument whose items lack wording
    (a licensed scale shipped as structure only: participants would see no questions) or
    for a timepoint the program does not ask it at. Staff can still enter paper answers."""
    errors: dict[str, list[str]] = {}
    if not instrument.has_wording:
        errors["instrument_code"] = [
            _(
                "%(i)s has no wording yet, so participants cannot answer it on their own. "
                "Paste in the wording your organisation holds (Instruments → %(i)s → Edit); "
                "until then, enter paper answers yourself."
            )
            % {"i": instrument.code}
        ]
    link = ProgramInstrument.objects.filter(
        program_id=cohort.program_id, instrument_code=instrument.code
    ).first()
    if link is not None and timepoint not in link.timepoints:
        labels = dict(Administration.Timepoint.choices)
        errors["timepoint"] = [
            _("The program %(p)s asks %(i)s only at: %(tps)s.")
            % {
                "p": cohort.program.code,
                "i": instrument.code,
                "tps": ", ".join(str(labels[tp]) for tp in link.timepoints),
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
        action="administration.create",
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
            action="administration.update",
            obj=administration,
            organisation=administration.enrollment.cohort.organisation,
            changes=changes,
            request=request,
        )
    return administration
