"""Self-completion links: a one-time link for a participant to answer a survey on her own
phone, spent when used or expired."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from participants.models import CONTACT_IN_PERSON, Enrollment
from peersupport.audit import log_action
from peersupport.models import hash_token

from .models import (
    Administration,
    Instrument,
    InstrumentItem,
    SurveyLink,
)
from .services import administration_create, check_can_answer, check_self_completion

#: How long a self-completion link stays usable unless settings say otherwise.
DEFAULT_LINK_HOURS = 72


def link_valid_hours() -> int:
    return int(getattr(settings, "SURVEY_LINK_VALID_HOURS", DEFAULT_LINK_HOURS))


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
    channel: str = CONTACT_IN_PERSON,
):
    """Issue a one-time link. Returns the link and the raw token (only its hash is stored).

    ``channel`` is how she gets it (in person, ``text`` or ``email``): a channel her
    safe-contact rules do not allow is refused, and nothing is saved."""
    refusal = enrollment.participant.contact_refusal(channel)
    if refusal:
        raise ValidationError(
            {
                "channel": [
                    _("%(why)s Give her the link in person (she scans the QR code).")
                    % {"why": refusal}
                ]
            }
        )
    check_can_answer(enrollment=enrollment, instrument=instrument, timepoint=timepoint)
    check_self_completion(cohort=enrollment.cohort, instrument=instrument, timepoint=timepoint)
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
        action="survey_link.create",
        obj=link,
        organisation=enrollment.cohort.organisation,
        detail={"timepoint": timepoint, "instrument": instrument.code, "channel": channel},
        request=request,
    )
    return link, token


def survey_link_usable(token: str) -> tuple[SurveyLink | None, str | None]:
    """``(link, None)`` when ``token`` may still be answered, else ``(link or None, reason)``
    with reason ``unknown``, ``used`` or ``expired``."""
    if not token or len(token) > 100:
        return None, "unknown"
    link = (
        SurveyLink.objects.select_related(
            "instrument", "enrollment__cohort__program", "enrollment__cohort__organisation"
        )
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
        action="survey_link.refused",
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
