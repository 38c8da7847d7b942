"""Writes for volunteers (peer facilitators): the pipeline from application to active
service, their training and supervision.

Every function checks its input, writes inside one transaction and records each change in
the audit log. Rules are raised as ``ValidationError`` keyed by the form field they
concern; views turn them into form errors.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peersupport.audit import log_create, log_delete, model_update
from peersupport.models import Membership, Organisation, Role

from .models import SupervisionEntry, Volunteer, VolunteerTraining

VOLUNTEER_FIELDS = (
    "name",
    "user",
    "interview_date",
    "references_checked_on",
    "police_check_date",
    "supervision_every_days",
    "notes",
)

#: Pipeline order; ``inactive`` stands outside it (anyone may stop volunteering).
PIPELINE = (
    Volunteer.Stage.APPLIED,
    Volunteer.Stage.SCREENED,
    Volunteer.Stage.TRAINED,
    Volunteer.Stage.ACTIVE,
)


def stage_problems(
    *,
    volunteer: Volunteer,
    stage: str,
    today: date,
    has_training: bool | None = None,
) -> list[str]:
    """Why ``volunteer`` cannot be at ``stage`` yet (empty when it can).

    Reaching a stage needs the steps of every stage before it: screening (an interview and
    a police check, both done by today) before *screened*, a training record before
    *trained*. Nobody skips screening or training, whatever order the stages are set in.
    """
    if stage not in PIPELINE:
        return []
    problems = []
    level = PIPELINE.index(stage)
    if level >= PIPELINE.index(Volunteer.Stage.SCREENED):
        if volunteer.interview_date is None:
            problems.append(_("Record the interview date first."))
        elif volunteer.interview_date > today:
            problems.append(_("The interview date is in the future."))
        if volunteer.police_check_date is None:
            problems.append(_("Record the police check date first."))
        elif volunteer.police_check_date > today:
            problems.append(_("The police check date is in the future."))
    if level >= PIPELINE.index(Volunteer.Stage.TRAINED):
        if has_training is None:
            has_training = volunteer.pk is not None and volunteer.trainings.exists()
        if not has_training:
            problems.append(_("Add a training record first."))
    return problems


def _check_user_link(*, organisation, user, volunteer: Volunteer | None) -> list[str]:
    if user is None:
        return []
    is_facilitator = Membership.objects.filter(
        user=user, organisation=organisation, role=Role.FACILITATOR, is_active=True
    ).exists()
    if not is_facilitator:
        return [_("This account is not a facilitator of your organisation.")]
    taken = Volunteer.objects.filter(user=user)
    if volunteer is not None and volunteer.pk:
        taken = taken.exclude(pk=volunteer.pk)
    if taken.exists():
        return [_("This account is already linked to another volunteer.")]
    return []


def _check_volunteer(*, volunteer: Volunteer, today: date) -> None:
    errors = {}
    link = _check_user_link(
        organisation=volunteer.organisation, user=volunteer.user, volunteer=volunteer
    )
    if link:
        errors["user"] = link
    problems = stage_problems(volunteer=volunteer, stage=volunteer.stage, today=today)
    if problems:
        errors["__all__"] = [
            _("A volunteer at stage “%(stage)s” needs these screening steps kept:")
            % {"stage": volunteer.get_stage_display()},
            *problems,
        ]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def volunteer_create(
    *, organisation: Organisation, fields: dict, by, request=None, today: date | None = None
) -> Volunteer:
    """A new volunteer at the start of the pipeline (``applied``)."""
    values = {k: v for k, v in fields.items() if k in VOLUNTEER_FIELDS}
    volunteer = Volunteer(organisation=organisation, stage=Volunteer.Stage.APPLIED, **values)
    _check_volunteer(volunteer=volunteer, today=today or timezone.localdate())
    volunteer.save()
    log_create(
        actor=by,
        action="volunteer.create",
        obj=volunteer,
        request=request,
    )
    return volunteer


@transaction.atomic
def volunteer_update(
    *, volunteer: Volunteer, fields: dict, by, request=None, today: date | None = None
) -> Volunteer:
    """Change a volunteer's details; screening steps of the stage reached must stay."""
    volunteer = (
        Volunteer.objects.select_for_update().select_related("organisation").get(pk=volunteer.pk)
    )
    today = today or timezone.localdate()
    volunteer, _changes = model_update(
        instance=volunteer,
        data=fields,
        fields=VOLUNTEER_FIELDS,
        check=lambda changed: _check_volunteer(volunteer=changed, today=today),
        by=by,
        action="volunteer.update",
        organisation=volunteer.organisation,
        request=request,
    )
    return volunteer


@transaction.atomic
def volunteer_set_stage(
    *, volunteer: Volunteer, stage: str, by, request=None, today: date | None = None
) -> Volunteer:
    """Move a volunteer along the pipeline, refusing a stage whose steps are not done."""
    if stage not in Volunteer.Stage.values:
        raise ValidationError({"stage": [_("Unknown stage.")]})
    volunteer = (
        Volunteer.objects.select_for_update().select_related("organisation").get(pk=volunteer.pk)
    )
    problems = stage_problems(volunteer=volunteer, stage=stage, today=today or timezone.localdate())
    if problems:
        raise ValidationError({"stage": problems})
    volunteer, _changes = model_update(
        instance=volunteer,
        data={"stage": stage},
        by=by,
        action="volunteer.set_stage",
        organisation=volunteer.organisation,
        request=request,
    )
    return volunteer


@transaction.atomic
def training_add(
    *, volunteer: Volunteer, course: str, hours: Decimal, on: date, by, request=None
) -> VolunteerTraining:
    if hours < 0:
        raise ValidationError({"hours": [_("Hours cannot be negative.")]})
    training = VolunteerTraining.objects.create(
        volunteer=volunteer, course=course, hours=hours, date=on
    )
    log_create(
        actor=by,
        action="training.create",
        obj=training,
        organisation=volunteer.organisation,
        request=request,
    )
    return training


@transaction.atomic
def training_delete(*, training: VolunteerTraining, by, request=None) -> None:
    """Remove a training record; the last one of a trained volunteer must stay."""
    volunteer = training.volunteer
    trained = PIPELINE.index(Volunteer.Stage.TRAINED)
    if (
        volunteer.stage in PIPELINE
        and PIPELINE.index(volunteer.stage) >= trained
        and not volunteer.trainings.exclude(pk=training.pk).exists()
    ):
        raise ValidationError(
            _("This is the only training record of a trained volunteer; it cannot be removed.")
        )
    log_delete(
        actor=by,
        action="training.delete",
        obj=training,
        organisation=volunteer.organisation,
        request=request,
    )
    training.delete()


@transaction.atomic
def supervision_add(
    *,
    volunteer: Volunteer,
    on: date,
    supervisor: str,
    hours: Decimal,
    notes: str = "",
    by,
    request=None,
) -> SupervisionEntry:
    if hours < 0:
        raise ValidationError({"hours": [_("Hours cannot be negative.")]})
    entry = SupervisionEntry.objects.create(
        volunteer=volunteer, date=on, supervisor=supervisor, hours=hours, notes=notes
    )
    log_create(
        actor=by,
        action="supervision.create",
        obj=entry,
        organisation=volunteer.organisation,
        request=request,
    )
    return entry


@transaction.atomic
def supervision_delete(*, entry: SupervisionEntry, by, request=None) -> None:
    log_delete(
        actor=by,
        action="supervision.delete",
        obj=entry,
        organisation=entry.volunteer.organisation,
        request=request,
    )
    entry.delete()
