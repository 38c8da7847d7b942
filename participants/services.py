"""Writes for participants, consent, enrollment, partners and referrals.

Each service runs in one transaction and writes one audit entry per changed record.
Rule violations raise ``ValidationError`` keyed by the form field they concern, so a view
can hand them straight to ``form.add_error(None, exc)``; nothing is half-saved.
"""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _

from peersupport.audit import MASK, log_action, log_create, log_delete, model_update
from peersupport.models import Organisation, User
from programs.models import Cohort

from .models import Consent, Enrollment, Participant, ParticipantNameTerm, Partner, Referral
from .name_index import name_index_set
from .signals import participant_records_asked

#: Stages that take one of a cohort's places (``Cohort.capacity``).
PLACE_STATUSES = (Enrollment.Status.ENROLLED, Enrollment.Status.COMPLETED)
#: Everything ``participant_erase`` wipes: the encrypted identifiers and the referral source.
ERASED_FIELDS = Participant.ERASED_FIELDS
CODE_DIGITS = 5
CODE_ATTEMPTS = 5


# --- participants -------------------------------------------------------------------------


def _next_code(organisation: Organisation) -> str:
    """The organisation's prefix and the number after the highest generated code.

    Codes are compared by length then text so that ``P-100000`` follows ``P-99999``;
    codes that do not have the generated shape (imported ones) are ignored.
    """
    prefix = organisation.participant_code_prefix
    last = (
        Participant.objects.filter(
            organisation=organisation, code__regex=rf"^{re.escape(prefix)}-[0-9]+$"
        )
        .order_by(Length("code").desc(), "-code")
        .values_list("code", flat=True)
        .first()
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}-{number:0{CODE_DIGITS}d}"


@transaction.atomic
def participant_create(
    *, organisation: Organisation, by: User | None, request=None, **fields
) -> Participant:
    """Create a participant with the organisation's next pseudonymous code.

    The organisation row is locked while the code is chosen (PostgreSQL), and a clash
    with a code taken concurrently is retried, so two people saving at once both succeed.
    """
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    for attempt in range(CODE_ATTEMPTS):
        participant = Participant(organisation=organisation, code=_next_code(organisation))
        for name, value in fields.items():
            setattr(participant, name, value)
        participant.full_clean(exclude=["organisation", "code"], validate_unique=False)
        try:
            with transaction.atomic():
                participant.save()
            break
        except IntegrityError:
            if attempt == CODE_ATTEMPTS - 1:
                raise
    name_index_set(participant)
    log_create(
        actor=by,
        action="participant.create",
        obj=participant,
        request=request,
    )
    return participant


@transaction.atomic
def participant_update(
    *, participant: Participant, by: User, request=None, **fields
) -> Participant:
    if participant.erased_at is not None:
        raise ValidationError(_("This participant was erased; the record cannot be changed."))
    participant, _changes = model_update(
        instance=participant,
        data=fields,
        by=by,
        action="participant.update",
        request=request,
    )
    if "preferred_name" in fields:
        name_index_set(participant)
    return participant


def participant_has_records(participant: Participant) -> bool:
    """True when the participant has attendance or survey data (kept for the figures);
    the apps that hold them answer ``signals.participant_records_asked``."""
    answers = participant_records_asked.send(Participant, participant=participant)
    return any(has_records for _receiver, has_records in answers)


@transaction.atomic
def participant_delete(*, participant: Participant, by: User, request=None) -> None:
    """Delete a participant who has no attendance or survey data; refused otherwise."""
    refusal = ValidationError(
        _(
            "%(code)s has attendance or survey records, which the evaluation figures need. "
            "Erase the participant instead: the identifying details are wiped and the "
            "records stay under the code."
        )
        % {"code": participant.code}
    )
    if participant_has_records(participant):
        raise refusal
    log_delete(actor=by, action="participant.delete", obj=participant, request=request)
    try:
        with transaction.atomic():
            Referral.objects.filter(participant=participant).delete()
            Enrollment.objects.filter(participant=participant).delete()
            participant.delete()
    except ProtectedError:
        raise refusal from None


@transaction.atomic
def participant_erase(*, participant: Participant, by: User, request=None) -> Participant:
    """Wipe everything that identifies the person, keep the code and the records.

    Besides the identifying fields, the free-text exit reasons and notes of the person's
    enrollments and the reasons of their referrals are cleared: free text may name or
    locate them. The audit entry records which fields were wiped, never their values (nor
    did any earlier entry: these fields are masked in every diff).
    """
    current = Participant.objects.select_for_update().get(pk=participant.pk)
    wiped = [name for name in ERASED_FIELDS if getattr(current, name)]
    for name in ERASED_FIELDS:
        setattr(participant, name, "")
    participant.erased_at = timezone.now()
    participant.save(update_fields=[*ERASED_FIELDS, "erased_at", "updated_at"])
    # No name left, so nothing to find them by.
    ParticipantNameTerm.objects.filter(participant=participant).delete()
    # Queryset updates: no per-row save, so the wiped text is never loaded. An encrypted
    # empty value is stored as the empty string, so "not empty" is a plain SQL test.
    notes = (
        Enrollment.objects.filter(participant=participant)
        .filter(~Q(exit_notes="") | ~Q(exit_reason=""))
        .update(exit_notes="", exit_reason="")
    )
    reasons = Referral.objects.filter(participant=participant).exclude(reason="").update(reason="")
    log_action(
        actor=by,
        action="participant.erase",
        obj=participant,
        changes={name: [MASK, ""] for name in wiped},
        detail={"exit_notes_cleared": notes, "referral_reasons_cleared": reasons},
        request=request,
    )
    return participant


# --- consent ------------------------------------------------------------------------------


def _evaluation_consent_of(participant: Participant) -> str:
    latest = (
        Consent.objects.filter(participant=participant, kind=Consent.Kind.EVALUATION)
        .order_by("-date", "-id")
        .first()
    )
    if latest is None:
        return Participant.Consent.UNKNOWN
    return Participant.Consent.YES if latest.is_current_yes else Participant.Consent.NO


def consent_sync(*, participant: Participant) -> dict:
    """Keep ``Participant.evaluation_consent`` in step with the latest evaluation consent.

    Returns the change (``{"evaluation_consent": [old, new]}``) or ``{}``.
    """
    value = _evaluation_consent_of(participant)
    old = participant.evaluation_consent
    if value == old:
        return {}
    Participant.objects.filter(pk=participant.pk).update(evaluation_consent=value)
    participant.evaluation_consent = value
    return {"evaluation_consent": [old, value]}


@transaction.atomic
def consent_add(
    *,
    participant: Participant,
    kind: str,
    given: bool,
    on: date,
    text_version: str,
    by: User,
    request=None,
) -> Consent:
    consent = Consent.objects.create(
        participant=participant,
        kind=kind,
        given=given,
        date=on,
        text_version=text_version,
        recorded_by=by,
    )
    log_create(
        actor=by,
        action="consent.create",
        obj=consent,
        detail={"participant": participant.code, **consent_sync(participant=participant)},
        request=request,
    )
    return consent


@transaction.atomic
def consent_withdraw(*, consent: Consent, on: date, by: User, request=None) -> Consent:
    if consent.withdrawn_on is not None:
        raise ValidationError(_("This consent was already withdrawn."))
    if on < consent.date:
        raise ValidationError(
            {"withdrawn_on": _("The withdrawal date cannot be before the consent date.")}
        )
    consent, _changes = model_update(
        instance=consent,
        data={"withdrawn_on": on},
        by=by,
        action="consent.withdraw",
        # After the save: the participant's evaluation consent follows the withdrawal.
        detail=lambda: {
            "participant": consent.participant.code,
            **consent_sync(participant=consent.participant),
        },
        request=request,
    )
    return consent


# --- enrollment ---------------------------------------------------------------------------


def places_taken(cohort: Cohort) -> int:
    return Enrollment.objects.filter(cohort=cohort, status__in=PLACE_STATUSES).count()


def _lock_cohort(cohort: Cohort) -> Cohort:
    """Lock the cohort row so that two enrollments cannot both take its last place."""
    return Cohort.objects.select_for_update().get(pk=cohort.pk)


def _enrollment_update(enrollment, data, *, action, by, request) -> Enrollment:
    enrollment, _changes = model_update(
        instance=enrollment,
        data=data,
        by=by,
        action=action,
        detail={"participant": enrollment.participant.code},
        request=request,
    )
    return enrollment


@transaction.atomic
def enrollment_create(
    *,
    participant: Participant,
    cohort: Cohort,
    on: date,
    by: User,
    status: str = Enrollment.Status.ENROLLED,
    request=None,
) -> Enrollment:
    """Enrol ``participant`` in ``cohort`` on ``on``, or put them on its waitlist when full.

    ``status`` may be ``applied`` to record an application without taking a place. The
    caller tells the user when the result is ``waitlisted``.
    """
    if participant.organisation_id != cohort.organisation_id:
        raise ValidationError({"cohort": _("The cohort belongs to another organisation.")})
    if participant.erased_at is not None:
        raise ValidationError(_("This participant was erased and cannot be enrolled."))
    if status not in (Enrollment.Status.ENROLLED, Enrollment.Status.APPLIED):
        raise ValueError(f"cannot create an enrollment with status {status!r}")
    duplicate = ValidationError(
        {
            "cohort": _(
                "%(code)s is already in cohort %(cohort)s. To change the date they joined, "
                "use “Change date” on the cohort's enrollments page."
            )
            % {"code": participant.code, "cohort": cohort.code}
        }
    )
    cohort = _lock_cohort(cohort)
    if Enrollment.objects.filter(participant=participant, cohort=cohort).exists():
        raise duplicate
    enrollment = Enrollment(participant=participant, cohort=cohort, applied_on=on)
    if status == Enrollment.Status.APPLIED:
        enrollment.status = Enrollment.Status.APPLIED
    elif places_taken(cohort) >= cohort.capacity:
        enrollment.status = Enrollment.Status.WAITLISTED
    else:
        enrollment.status = Enrollment.Status.ENROLLED
        enrollment.enrolled_on = on
    try:
        with transaction.atomic():
            enrollment.save()
    except IntegrityError:
        raise duplicate from None
    log_create(
        actor=by,
        action="enrollment.create",
        obj=enrollment,
        detail={"participant": participant.code},
        request=request,
    )
    return enrollment


@transaction.atomic
def enrollment_set_date(*, enrollment: Enrollment, on: date, by: User, request=None) -> Enrollment:
    """Correct the date ``enrollment``'s person joined the cohort (e.g. enrolled late on
    paper): rosters of sessions from ``on`` on list them. Audited as a change."""
    if enrollment.status not in PLACE_STATUSES + (Enrollment.Status.WITHDRAWN,):
        raise ValidationError(
            _("Only an enrolled person has an enrollment date; enrol them first.")
        )
    data: dict = {"enrolled_on": on}
    if enrollment.applied_on == enrollment.enrolled_on:
        # Enrolled directly (no application before): the application date moves with it.
        data["applied_on"] = on
    elif enrollment.applied_on and on < enrollment.applied_on:
        raise ValidationError(
            {
                "on": _("The enrollment date cannot be before the application (%(date)s).")
                % {"date": enrollment.applied_on.isoformat()}
            }
        )
    if enrollment.exit_date and on > enrollment.exit_date:
        raise ValidationError(
            {
                "on": _("The enrollment date cannot be after the exit date (%(date)s).")
                % {"date": enrollment.exit_date.isoformat()}
            }
        )
    return _enrollment_update(enrollment, data, action="enrollment.redate", by=by, request=request)


@transaction.atomic
def enrollment_promote_from_waitlist(
    *, enrollment: Enrollment, on: date, by: User, request=None
) -> Enrollment:
    """Give a waitlisted (or applied) person a place, if the cohort has one free."""
    if enrollment.status not in (Enrollment.Status.WAITLISTED, Enrollment.Status.APPLIED):
        raise ValidationError(_("Only a waitlisted or applied person can be enrolled."))
    cohort = _lock_cohort(enrollment.cohort)
    if places_taken(cohort) >= cohort.capacity:
        raise ValidationError(
            _("Cohort %(cohort)s is full (%(capacity)s places).")
            % {"cohort": cohort.code, "capacity": cohort.capacity}
        )
    if enrollment.applied_on and on < enrollment.applied_on:
        raise ValidationError({"on": _("The enrollment date cannot be before the application.")})
    return _enrollment_update(
        enrollment,
        {"status": Enrollment.Status.ENROLLED, "enrolled_on": on},
        action="enrollment.promote",
        by=by,
        request=request,
    )


@transaction.atomic
def enrollment_withdraw(
    *, enrollment: Enrollment, on: date, reason: str, by: User, notes: str = "", request=None
) -> Enrollment:
    """Record that the person left the cohort (or the waitlist) on ``on``."""
    if enrollment.status in (Enrollment.Status.WITHDRAWN, Enrollment.Status.COMPLETED):
        raise ValidationError(
            _("This enrollment is already %(status)s.")
            % {"status": enrollment.get_status_display().lower()}
        )
    if enrollment.enrolled_on and on < enrollment.enrolled_on:
        raise ValidationError(
            {
                "exit_date": _(
                    "The withdrawal date cannot be before the enrollment date (%(date)s)."
                )
                % {"date": enrollment.enrolled_on.isoformat()}
            }
        )
    return _enrollment_update(
        enrollment,
        {
            "status": Enrollment.Status.WITHDRAWN,
            "exit_date": on,
            "exit_reason": reason,
            "exit_notes": notes,
        },
        action="enrollment.withdraw",
        by=by,
        request=request,
    )


@transaction.atomic
def enrollment_complete(*, enrollment: Enrollment, on: date, by: User, request=None) -> Enrollment:
    """Record that the person finished the program with the cohort on ``on``."""
    if enrollment.status != Enrollment.Status.ENROLLED:
        raise ValidationError(_("Only an enrolled person can complete the program."))
    if enrollment.enrolled_on and on < enrollment.enrolled_on:
        raise ValidationError(
            {
                "on": _("The completion date cannot be before the enrollment date (%(date)s).")
                % {"date": enrollment.enrolled_on.isoformat()}
            }
        )
    return _enrollment_update(
        enrollment,
        {"status": Enrollment.Status.COMPLETED, "exit_date": on},
        action="enrollment.complete",
        by=by,
        request=request,
    )


# --- partners and referrals ---------------------------------------------------------------


def _create_audited(obj, *, action, by, request, **fields):
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.save()
    log_create(actor=by, action=action, obj=obj, request=request)
    return obj


def _check_partner_name(organisation, name, exclude_pk=None):
    clash = Partner.objects.filter(organisation=organisation, name__iexact=name)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": _("A partner agency with this name already exists.")})


@transaction.atomic
def partner_create(*, organisation: Organisation, by: User, request=None, **fields) -> Partner:
    _check_partner_name(organisation, fields.get("name", ""))
    return _create_audited(
        Partner(organisation=organisation),
        action="partner.create",
        by=by,
        request=request,
        **fields,
    )


@transaction.atomic
def partner_update(*, partner: Partner, by: User, request=None, **fields) -> Partner:
    _check_partner_name(partner.organisation_id, fields.get("name", partner.name), partner.pk)
    partner, _changes = model_update(
        instance=partner, data=fields, by=by, action="partner.update", request=request
    )
    return partner


def _check_referral(participant, partner, program):
    if participant.erased_at is not None:
        raise ValidationError(_("This participant was erased; no new referral can be made."))
    if partner.organisation_id != participant.organisation_id:
        raise ValidationError({"partner": _("The partner belongs to another organisation.")})
    if program is not None and program.organisation_id != participant.organisation_id:
        raise ValidationError({"program": _("The program belongs to another organisation.")})


@transaction.atomic
def referral_create(
    *, participant: Participant, partner: Partner, by: User, request=None, **fields
) -> Referral:
    _check_referral(participant, partner, fields.get("program"))
    return _create_audited(
        Referral(participant=participant, partner=partner, created_by=by),
        action="referral.create",
        by=by,
        request=request,
        **fields,
    )


@transaction.atomic
def referral_update(*, referral: Referral, by: User, request=None, **fields) -> Referral:
    _check_referral(
        referral.participant,
        fields.get("partner", referral.partner),
        fields.get("program", referral.program),
    )
    referral, _changes = model_update(
        instance=referral, data=fields, by=by, action="referral.update", request=request
    )
    return referral
