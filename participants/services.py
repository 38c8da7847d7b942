"""Writes for participants, consent, enrollment, partners and referrals.

Each service runs in one transaction and writes one audit entry per changed record.
Rule violations raise ``ValidationError`` keyed by the form field they concern, so a view
can hand them straight to ``form.add_error(None, exc)``; nothing is half-saved.
"""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError, Q
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _

from peersupport.audit import MASK, log_action, log_create, log_delete, model_update
from peersupport.models import Organisation, User
from programs.models import Cohort

from .models import (
    Consent,
    Enrollment,
    ErasureRequest,
    Participant,
    ParticipantNameTerm,
    Partner,
    Referral,
)
from .name_index import name_index_set
from .signals import participant_erased, participant_records_asked

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


def _empty_value(name: str):
    """What a cleared field holds: "" for text, else its default (None when nullable)."""
    field = Participant._meta.get_field(name)
    if isinstance(field, models.CharField | models.TextField):
        return ""
    assert isinstance(field, models.Field)  # a column of the participant, not a relation
    return None if field.null else field.get_default()


def _clear_identifying(participant: Participant) -> dict:
    """Clear the identifying fields and the free text about one person: the one way both
    erasure and the retention purge clear her details.

    Besides the identifying fields, the free-text exit reasons and notes of the person's
    enrollments and the reasons of their referrals are cleared: free text may name or
    locate them. Answers what was cleared, as names and counts, never values.
    """
    current = Participant.objects.select_for_update().get(pk=participant.pk)
    empty = {name: _empty_value(name) for name in ERASED_FIELDS}
    wiped = [name for name in ERASED_FIELDS if getattr(current, name) != empty[name]]
    for name, value in empty.items():
        setattr(participant, name, value)
    participant.save(update_fields=[*ERASED_FIELDS, "updated_at"])
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
    return {"fields": wiped, "exit_notes_cleared": notes, "referral_reasons_cleared": reasons}


@transaction.atomic
def participant_erase(*, participant: Participant, by: User, request=None) -> Participant:
    """Wipe everything that identifies the person, keep the code and the records.

    Called when a second coordinator approves an erasure request
    (``erasure_request_approve``). The identifying fields and free text are cleared
    (``_clear_identifying``); the apps that hold her survey answers remove them, or keep
    only the scores when the organisation's policy says so
    (``signals.participant_erased``). Attendance and enrollments stay: she still counts
    in participation and dosage figures, as an anonymous record. The audit entry records
    which fields were wiped and how many rows, never their values (nor did any earlier
    entry: these fields are masked in every diff).
    """
    cleared = _clear_identifying(participant)
    participant.erased_at = timezone.now()
    participant.save(update_fields=["erased_at"])
    keep_scores = participant.organisation.erasure_keeps_scores
    removed: dict[str, int] = {}
    for _receiver, counts in participant_erased.send(
        Participant, participant=participant, keep_scores=keep_scores
    ):
        if isinstance(counts, dict):
            removed.update(counts)
    log_action(
        actor=by,
        action="participant.erase",
        obj=participant,
        changes={name: [MASK, ""] for name in cleared["fields"]},
        detail={
            "exit_notes_cleared": cleared["exit_notes_cleared"],
            "referral_reasons_cleared": cleared["referral_reasons_cleared"],
            "survey_scores_kept": keep_scores,
            **removed,
        },
        request=request,
    )
    return participant


# --- erasure on request (two coordinators) --------------------------------------------------


@transaction.atomic
def erasure_request_create(
    *, participant: Participant, reason: str, by: User, request=None
) -> ErasureRequest:
    """A coordinator asks for one participant to be erased; nothing is erased yet."""
    if participant.erased_at is not None:
        raise ValidationError(_("This participant was already erased."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why this participant is to be erased.")})
    Participant.objects.select_for_update().filter(pk=participant.pk).first()
    if ErasureRequest.objects.filter(
        participant=participant, status=ErasureRequest.Status.PENDING
    ).exists():
        raise ValidationError(
            _("An erasure of %(code)s is already waiting for a second coordinator.")
            % {"code": participant.code}
        )
    erasure = ErasureRequest.objects.create(participant=participant, reason=reason, requested_by=by)
    log_create(
        actor=by,
        action="erasure.request",
        obj=erasure,
        detail={"participant": participant.code},
        request=request,
    )
    return erasure


def _decide(erasure: ErasureRequest, *, by: User, status: str, request) -> ErasureRequest:
    current = ErasureRequest.objects.select_for_update().get(pk=erasure.pk)
    if current.status != ErasureRequest.Status.PENDING:
        raise ValidationError(
            _("This request was already decided (%(status)s).")
            % {"status": current.get_status_display().lower()}
        )
    if current.requested_by_id == by.pk:
        raise ValidationError(
            _(
                "You asked for this erasure: another coordinator must approve or reject it. "
                "Two people decide an erasure, so that no one can erase a record alone."
            )
        )
    erasure, _changes = model_update(
        instance=erasure,
        data={"status": status, "decided_by": by, "decided_at": timezone.now()},
        by=by,
        action=f"erasure.{'approve' if status == ErasureRequest.Status.APPROVED else 'reject'}",
        detail={"participant": erasure.participant.code},
        request=request,
    )
    return erasure


@transaction.atomic
def erasure_request_approve(*, erasure: ErasureRequest, by: User, request=None) -> ErasureRequest:
    """A second coordinator approves: the participant is erased (``participant_erase``)."""
    erasure = _decide(erasure, by=by, status=ErasureRequest.Status.APPROVED, request=request)
    participant_erase(participant=erasure.participant, by=by, request=request)
    return erasure


@transaction.atomic
def erasure_request_reject(*, erasure: ErasureRequest, by: User, request=None) -> ErasureRequest:
    """A second coordinator rejects: nothing is erased."""
    return _decide(erasure, by=by, status=ErasureRequest.Status.REJECTED, request=request)


# --- retention schedule ---------------------------------------------------------------------


@transaction.atomic
def retention_purge(*, organisation: Organisation, on: date, by: User | None = None) -> dict:
    """Purge the identifying fields and free text of everyone the organisation's
    retention schedule makes due on ``on`` (``selectors.retention_due``).

    The pseudonymous records (code, demographic answers, enrollments, attendance,
    surveys) stay, so every figure stays the same. One audit entry per run, with counts,
    never codes or content; nothing is logged when nothing was due.
    """
    from .selectors import retention_due

    due = list(retention_due(organisation=organisation, on=on).only("id", "organisation_id"))
    totals = {"participants": 0, "fields_cleared": 0, "exit_notes_cleared": 0}
    totals["referral_reasons_cleared"] = 0
    now = timezone.now()
    for participant in due:
        cleared = _clear_identifying(participant)
        Participant.objects.filter(pk=participant.pk).update(identifiers_purged_at=now)
        totals["participants"] += 1
        totals["fields_cleared"] += len(cleared["fields"])
        totals["exit_notes_cleared"] += cleared["exit_notes_cleared"]
        totals["referral_reasons_cleared"] += cleared["referral_reasons_cleared"]
    if due:
        log_action(
            actor=by,
            action="retention.purge",
            organisation=organisation,
            object_type="participants.Participant",
            detail={
                **totals,
                "retention_months": organisation.retention_months,
                "on": on.isoformat(),
            },
        )
    return totals


@transaction.atomic
def retention_policy_update(
    *, organisation: Organisation, by: User, request=None, **fields
) -> Organisation:
    """Change the organisation's retention schedule or erasure policy (audited)."""
    organisation, _changes = model_update(
        instance=organisation,
        data=fields,
        fields=["retention_months", "erasure_keeps_scores"],
        by=by,
        action="retention.policy_update",
        request=request,
    )
    return organisation


# --- consent ------------------------------------------------------------------------------


def _latest_evaluation_consent(participant: Participant) -> Consent | None:
    return (
        Consent.objects.filter(participant=participant, kind=Consent.Kind.EVALUATION)
        .order_by("-date", "-id")
        .first()
    )


def consent_sync(*, participant: Participant) -> dict:
    """Keep ``Participant.evaluation_consent`` and its expiry date in step with the latest
    evaluation consent.

    Returns the changes (``{"evaluation_consent": [old, new], ...}``) or ``{}``.
    """
    latest = _latest_evaluation_consent(participant)
    if latest is None:
        value, expires = Participant.Consent.UNKNOWN, None
    elif latest.is_current_yes:
        value, expires = Participant.Consent.YES, latest.expires_on
    else:
        value, expires = Participant.Consent.NO, None
    changes: dict = {}
    if value != participant.evaluation_consent:
        changes["evaluation_consent"] = [participant.evaluation_consent, value]
    if expires != participant.evaluation_consent_expires_on:
        old = participant.evaluation_consent_expires_on
        changes["evaluation_consent_expires_on"] = [
            old.isoformat() if old else None,
            expires.isoformat() if expires else None,
        ]
    if changes:
        Participant.objects.filter(pk=participant.pk).update(
            evaluation_consent=value, evaluation_consent_expires_on=expires
        )
        participant.evaluation_consent = value
        participant.evaluation_consent_expires_on = expires
    return changes


@transaction.atomic
def consent_add(
    *,
    participant: Participant,
    kind: str,
    given: bool,
    on: date,
    text_version: str,
    by: User,
    expires_on: date | None = None,
    partner: Partner | None = None,
    request=None,
) -> Consent:
    """Record a consent for one purpose; a referral-sharing consent names its partner."""
    if kind == Consent.Kind.REFERRAL:
        if partner is None:
            raise ValidationError(
                {"partner": _("Choose the partner agency she agrees to share details with.")}
            )
        if partner.organisation_id != participant.organisation_id:
            raise ValidationError({"partner": _("The partner belongs to another organisation.")})
    elif partner is not None:
        raise ValidationError(
            {"partner": _("Only a consent to share details with a partner names a partner.")}
        )
    if expires_on is not None and expires_on <= on:
        raise ValidationError(
            {"expires_on": _("The expiry date must be after the date the consent was given.")}
        )
    consent = Consent.objects.create(
        participant=participant,
        kind=kind,
        partner=partner,
        given=given,
        date=on,
        expires_on=expires_on,
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
    if on > timezone.localdate():
        raise ValidationError({"withdrawn_on": _("The withdrawal date cannot be in the future.")})
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


def referral_consent_current(*, participant: Participant, partner: Partner, on: date) -> bool:
    """True when her latest consent (given by ``on``) to share details with ``partner`` was
    given, and neither withdrawn nor expired on ``on``."""
    latest = (
        Consent.objects.filter(
            participant=participant, kind=Consent.Kind.REFERRAL, partner=partner, date__lte=on
        )
        .order_by("-date", "-id")
        .first()
    )
    return latest is not None and latest.is_current_on(on)


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


def _check_referral(participant, partner, program, *, shares_details=False, on=None):
    if participant.erased_at is not None:
        raise ValidationError(_("This participant was erased; no new referral can be made."))
    if partner.organisation_id != participant.organisation_id:
        raise ValidationError({"partner": _("The partner belongs to another organisation.")})
    if program is not None and program.organisation_id != participant.organisation_id:
        raise ValidationError({"program": _("The program belongs to another organisation.")})
    on = on or timezone.localdate()
    if shares_details and not referral_consent_current(
        participant=participant, partner=partner, on=on
    ):
        raise ValidationError(
            {
                "shares_details": _(
                    "%(code)s has no current consent to share her details with %(partner)s "
                    "on %(date)s. Record her consent to share details with this partner "
                    "first, or make the referral without sharing her details."
                )
                % {"code": participant.code, "partner": partner.name, "date": on.isoformat()}
            }
        )


@transaction.atomic
def referral_create(
    *, participant: Participant, partner: Partner, by: User, request=None, **fields
) -> Referral:
    _check_referral(
        participant,
        partner,
        fields.get("program"),
        shares_details=fields.get("shares_details", False),
        on=fields.get("date"),
    )
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
        shares_details=fields.get("shares_details", referral.shares_details),
        on=fields.get("date", referral.date),
    )
    referral, _changes = model_update(
        instance=referral, data=fields, by=by, action="referral.update", request=request
    )
    return referral
