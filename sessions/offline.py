"""Attendance taken without a connection: what a facilitator's phone may keep, and the
changes it sends back when the connection returns (``docs/offline.md``).

The phone keeps, for each session of its cohorts in the last
``ATTENDANCE_EDIT_WINDOW_DAYS`` days and the next ``OFFLINE_DAYS_AHEAD`` days, the session's
date and number, the cohort's code, and each person's enrollment id, preferred name, code
and status (``offline_snapshot``). Every page load tells it which sessions it may still
keep (``offline_session_ids``): the rest is deleted on the phone.

Changes made offline carry an id made by the phone and the time they were made. Each is
applied once through the attendance service (``attendance_set``) or the session log
(``services.session_log``), so the rules, the locks and the audit entries are the usual
ones; the id is stored (``OfflineChange``) so the same change sent again is answered
again and changes nothing. The conflict rule: when the person's attendance was changed on
the server after the tap was made, the later action wins (by its own time); the tap is
recorded as overridden, with who changed it and when, and audited too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from participants.models import Enrollment
from peersupport.audit import log_action, log_names_shown, names_shown
from peersupport.permissions import FACILITATOR, STAFF_ROLES, membership_for
from programs.access import cohorts_for, reaches_cohort
from programs.models import Cohort

from . import services
from .attendance import (
    AttendanceError,
    attendance_set,
    attendance_sheet,
    check_status,
    session_refusal,
    version_of,
)
from .models import Attendance, OfflineChange, Session

#: Sessions this many days ahead are kept on the phone (the past: the editing window).
OFFLINE_DAYS_AHEAD = 7
#: The most changes one request may carry; the phone sends a longer queue in parts.
MAX_CHANGES = 500
#: Changes applied per commit.
COMMIT_EVERY = 50


@dataclass
class Change:
    """One change as the phone sent it (already checked for shape by the view)."""

    client_id: uuid.UUID
    session_id: int
    made_at: datetime
    enrollment_id: int | None = None
    status: str = ""
    log: dict[str, Any] | None = None


# --- What the phone may keep ----------------------------------------------------------


def owner_token(user) -> str:
    """Whose changes a phone holds, without saying who: queued changes are sent only
    while the same person is signed in (a shared phone)."""
    return salted_hmac("sessions.offline.owner", str(user.pk)).hexdigest()[:20]


def offline_sessions(*, membership, today: date) -> QuerySet[Session]:
    """The sessions a facilitator's phone may keep: their cohorts' sessions from
    ``ATTENDANCE_EDIT_WINDOW_DAYS`` days ago to ``OFFLINE_DAYS_AHEAD`` days ahead, not
    cancelled. Nothing for other roles: only facilitators' pages work offline."""
    if membership is None or membership.role != FACILITATOR:
        return Session.objects.none()
    since = today - timedelta(days=settings.ATTENDANCE_EDIT_WINDOW_DAYS)
    cohorts = cohorts_for(membership).exclude(
        status__in=[Cohort.Status.CANCELLED, Cohort.Status.COMPLETED]
    )
    return (
        Session.objects.filter(
            cohort__in=cohorts, date__range=(since, today + timedelta(days=OFFLINE_DAYS_AHEAD))
        )
        .exclude(status=Session.Status.CANCELLED)
        .select_related("cohort__organisation")
        .order_by("date", "start_time", "cohort__code")
    )


def offline_session_ids(*, membership, today: date) -> list[int]:
    return list(offline_sessions(membership=membership, today=today).values_list("pk", flat=True))


def offline_snapshot(*, membership, today: date, request) -> list[dict[str, Any]]:
    """What the phone keeps of each session it may keep: the minimum the roster needs.

    Each session's names are a read of names, audited like opening the sheet.
    """
    snapshot = []
    for session in offline_sessions(membership=membership, today=today):
        sheet = attendance_sheet(session=session)
        log_names_shown(
            request=request,
            action="attendance.offline_copy",
            obj=session,
            count=names_shown(row.participant for row in sheet),
        )
        snapshot.append(
            {
                "id": session.pk,
                "date": session.date.isoformat(),
                "number": session.number,
                "cohort": session.cohort.code,
                "held": session.status == Session.Status.HELD,
                "minutes": session.duration_minutes or session.cohort.session_minutes,
                "people": [
                    {
                        "e": row.enrollment.pk,
                        "name": row.participant.preferred_name or "",
                        "code": row.participant.code,
                        "status": row.status,
                    }
                    for row in sheet
                ],
            }
        )
    return snapshot


# --- Applying what the phone sends ----------------------------------------------------


def _answer(change: OfflineChange, message: str = "") -> dict[str, Any]:
    answer: dict[str, Any] = {
        "id": str(change.client_id),
        "kind": change.kind,
        "session": change.session_id,
        "result": change.result,
    }
    if change.kind == OfflineChange.Kind.TAP:
        answer["enrollment"] = change.enrollment_id
        answer["status"] = change.status
        if change.enrollment is not None:
            # The pseudonymous code, for a phone that no longer keeps the roster.
            answer["person"] = change.enrollment.participant.code
    if change.result == OfflineChange.Result.REFUSED:
        answer["code"] = change.reason
        answer["reason"] = message or _reason_message(change)
    if change.result == OfflineChange.Result.OVERRIDDEN:
        answer["by"] = str(change.overridden_by) if change.overridden_by else _("someone")
        answer["at"] = change.overridden_at.isoformat() if change.overridden_at else ""
        answer["kept"] = change.overridden_status
    return answer


def _reason_message(change: OfflineChange) -> str:
    """The reason of an earlier refusal, said again for the same change sent twice."""
    messages = {
        "not_yours": _("You do not run this group any more, so this change was not recorded."),
        "withdrawn": _(
            "This person was withdrawn from the group after your tap; it was not recorded."
        ),
        "not_enrolled": _("This person was not enrolled in the group on the session's date."),
        "cancelled": _("This session was cancelled, so no attendance can be recorded."),
        "closed": _(
            "This session is more than %(days)s days old; only a coordinator can change its "
            "attendance."
        )
        % {"days": settings.ATTENDANCE_EDIT_WINDOW_DAYS},
    }
    return messages.get(change.reason, _("This change could not be recorded."))


def _may_change(user, session: Session) -> bool:
    membership = membership_for(user, session.cohort.organisation_id)
    return (
        membership is not None
        and membership.role in STAFF_ROLES
        and reaches_cohort(membership, session.cohort_id)
    )


def _last_change_time(row: Attendance) -> datetime:
    """When the row's current status was decided: the time the tap was made on the phone
    when its last change came from a phone, else when the server saved it."""
    last = (
        OfflineChange.objects.filter(
            session_id=row.session_id,
            enrollment_id=row.enrollment_id,
            result=OfflineChange.Result.APPLIED,
            applied_at=row.updated_at,
        )
        .order_by("-made_at")
        .first()
    )
    return last.made_at if last is not None else row.updated_at


def _refuse(record: OfflineChange, code: str, message: str = "") -> dict[str, Any]:
    record.result = OfflineChange.Result.REFUSED
    record.reason = code
    record.save()
    return _answer(record, message)


def _apply_tap(change: Change, session: Session, *, by, request, today: date) -> dict[str, Any]:
    record = OfflineChange(
        client_id=change.client_id,
        kind=OfflineChange.Kind.TAP,
        session=session,
        enrollment_id=change.enrollment_id,
        status=change.status,
        by=by,
        made_at=change.made_at,
    )
    enrollment = (
        Enrollment.objects.select_related("participant")
        .filter(pk=change.enrollment_id or 0, cohort=session.cohort)
        .first()
    )
    if enrollment is None:
        record.enrollment_id = None
        return _refuse(record, "not_enrolled")
    record.enrollment = enrollment
    if not _may_change(by, session):
        return _refuse(record, "not_yours")
    if enrollment.status == Enrollment.Status.WITHDRAWN and enrollment.updated_at > change.made_at:
        return _refuse(record, "withdrawn")
    row = (
        Attendance.objects.select_for_update(of=("self",))
        .select_related("recorded_by")
        .filter(session=session, enrollment=enrollment)
        .first()
    )
    if row is not None and row.status != change.status:
        decided_at = _last_change_time(row)
        if decided_at > change.made_at:
            record.result = OfflineChange.Result.OVERRIDDEN
            record.overridden_by = row.recorded_by
            record.overridden_at = decided_at
            record.overridden_status = row.status
            record.save()
            log_action(
                actor=by,
                action="attendance.offline_overridden",
                obj=row,
                organisation=session.cohort.organisation,
                changes={"status": [row.status, change.status]},
                detail={
                    "session": session.pk,
                    "enrollment": enrollment.pk,
                    "made_at": change.made_at.isoformat(),
                    "kept": row.status,
                    "changed_at": decided_at.isoformat(),
                },
                request=request,
            )
            return _answer(record)
    try:
        row, _changed, _earlier = attendance_set(
            session=session,
            enrollment_id=enrollment.pk,
            status=change.status,
            by=by,
            seen_version=version_of(row),
            request=request,
            today=today,
        )
    except AttendanceError as error:
        if enrollment.status == Enrollment.Status.WITHDRAWN:
            return _refuse(record, "withdrawn")
        return _refuse(record, error.code, error.message)
    record.result = OfflineChange.Result.APPLIED
    record.applied_at = row.updated_at
    record.save()
    return _answer(record)


def _apply_log(change: Change, session: Session, *, by, request, today: date) -> dict[str, Any]:
    record = OfflineChange(
        client_id=change.client_id,
        kind=OfflineChange.Kind.LOG,
        session=session,
        by=by,
        made_at=change.made_at,
    )
    if not _may_change(by, session):
        return _refuse(record, "not_yours")
    refusal = session_refusal(session=session, user=by, today=today)
    if refusal is not None:
        return _refuse(record, refusal.code, refusal.message)
    log = change.log or {}
    facilitators = list(session.facilitators.all()) or [
        v for v in session.cohort.facilitators.all() if v.user_id == by.pk
    ]
    try:
        with transaction.atomic():
            services.session_log(
                session=session,
                by=by,
                topics_covered=log.get("topics_covered", ""),
                notes=log.get("notes", ""),
                incident_flagged=bool(log.get("incident_flagged")),
                incident_notes=log.get("incident_notes", ""),
                facilitators=facilitators,
                duration_minutes=log.get("duration_minutes"),
                request=request,
            )
    except ValidationError as error:
        return _refuse(record, "invalid", " ".join(error.messages))
    record.result = OfflineChange.Result.APPLIED
    record.save()
    return _answer(record)


def _apply_one(change: Change, session: Session | None, *, by, request, today) -> dict:
    done = (
        OfflineChange.objects.select_related("overridden_by", "enrollment__participant")
        .filter(client_id=change.client_id)
        .first()
    )
    if done is not None:
        if done.by_id != by.pk:
            # Ids are random: the same id from someone else is not their change to read.
            return {"id": str(change.client_id), "result": "refused", "code": "bad_request"}
        return _answer(done)
    if session is not None and membership_for(by, session.cohort.organisation_id) is None:
        session = None  # another organisation's: not even whether it exists
    if session is None:
        return {
            "id": str(change.client_id),
            "result": "refused",
            "code": "no_session",
            "reason": _("This session no longer exists."),
        }
    apply = _apply_tap if change.log is None else _apply_log
    try:
        with transaction.atomic():
            return apply(change, session, by=by, request=request, today=today)
    except IntegrityError:
        # The same change arrived twice at once: the other request applied it.
        done = OfflineChange.objects.filter(client_id=change.client_id).first()
        if done is None:
            raise
        return _answer(done)


def offline_apply(
    *, changes: Iterable[Change], by, request=None, today: date | None = None
) -> list[dict[str, Any]]:
    """Apply changes made offline, in the order they were made; one answer per change.

    Each change is its own savepoint: a refused one does not undo the others.
    """
    today = today or timezone.localdate()
    ordered = sorted(changes, key=lambda c: c.made_at)
    sessions = Session.objects.select_related("cohort__organisation").in_bulk(
        {c.session_id for c in ordered}
    )
    answers = []
    for start in range(0, len(ordered), COMMIT_EVERY):
        # One commit per part of the queue (each change in its own savepoint): a phone's
        # queue is applied at the speed of the database's writes, not of its commits.
        with transaction.atomic():
            for change in ordered[start : start + COMMIT_EVERY]:
                answers.append(
                    _apply_checked(change, sessions, by=by, request=request, today=today)
                )
    return answers


def _apply_checked(change: Change, sessions, *, by, request, today) -> dict[str, Any]:
    if change.log is None:
        try:
            check_status(change.status)
        except AttendanceError as error:
            return {
                "id": str(change.client_id),
                "result": "refused",
                "code": "status",
                "reason": error.message,
            }
    return _apply_one(change, sessions.get(change.session_id), by=by, request=request, today=today)


def parse_changes(payload: Any, *, now: datetime) -> tuple[list[Change], list[dict[str, Any]]]:
    """The changes of a sync request, and an answer for each one that is malformed.

    Times are the phone's milliseconds since the epoch; ``sent`` is the phone's clock when
    it sent the request, so a phone whose clock is wrong is corrected by the difference
    (a change is never later than its arrival).
    """
    if not isinstance(payload, dict):
        raise ValueError(_("The request is not a JSON object."))
    items = payload.get("changes", [])
    if not isinstance(items, list):
        raise ValueError(_("“changes” must be a list."))
    if len(items) > MAX_CHANGES:
        raise ValueError(_("Send at most %(count)d changes at a time.") % {"count": MAX_CHANGES})
    sent = payload.get("sent")
    offset = timedelta(0)
    if isinstance(sent, int | float) and not isinstance(sent, bool):
        offset = now - _from_ms(sent)
    changes: list[Change] = []
    bad: list[dict[str, Any]] = []
    for item in items:
        try:
            changes.append(_parse_one(item, offset=offset, now=now))
        except (KeyError, TypeError, ValueError, OverflowError):
            ident = item.get("id") if isinstance(item, dict) else None
            bad.append(
                {
                    "id": str(ident)[:40] if ident is not None else "",
                    "result": "refused",
                    "code": "bad_request",
                    "reason": _("This change was not understood, so it was not recorded."),
                }
            )
    return changes, bad


def _from_ms(value: float) -> datetime:
    return datetime.fromtimestamp(float(value) / 1000, tz=UTC)


def _parse_one(item: Any, *, offset: timedelta, now: datetime) -> Change:
    if not isinstance(item, dict):
        raise TypeError
    made = item["at"]
    if isinstance(made, bool) or not isinstance(made, int | float):
        raise TypeError
    made_at = min(_from_ms(made) + offset, now)
    session_id = item["session"]
    if isinstance(session_id, bool) or not isinstance(session_id, int):
        raise TypeError
    change = Change(client_id=uuid.UUID(str(item["id"])), session_id=session_id, made_at=made_at)
    if item.get("kind", "tap") == "log":
        change.log = _parse_log(item)
    else:
        enrollment = item["enrollment"]
        if isinstance(enrollment, bool) or not isinstance(enrollment, int):
            raise TypeError
        change.enrollment_id = enrollment
        change.status = str(item["status"])[:20]
    return change


def _parse_log(item: dict) -> dict[str, Any]:
    minutes = item.get("duration_minutes")
    minutes = None if minutes in ("", None) else int(minutes)
    texts = {k: item.get(k) or "" for k in ("topics_covered", "notes", "incident_notes")}
    if not all(isinstance(v, str) and len(v) <= 10_000 for v in texts.values()):
        raise ValueError
    return {**texts, "duration_minutes": minutes, "incident_flagged": bool(item.get("incident"))}
