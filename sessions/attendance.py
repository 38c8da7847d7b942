"""Attendance: who came to a session. Writes (services) and the reads the pages share.

One row per session and enrollment (a unique constraint). Every write goes through
``_apply``: it locks the rows it touches, creates or changes them, writes nothing for a
status that is already recorded (so a repeated or retried tap is harmless), audits each
change with its old and new value, and reports the rows someone else changed after the
page was drawn, so the person tapping sees who changed them last. The later change wins:
it is made by someone who saw the row and tapped it, and the earlier one stays in the
audit log.

Rule violations raise ``AttendanceError`` before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from participants.models import Enrollment
from participants.selectors import cohort_roster
from peersupport.audit import log_action
from peersupport.permissions import COORDINATOR, membership_for
from programs.models import Cohort

from . import outreach
from .models import Attendance, Session

STATUSES = tuple(Attendance.Status.values)
#: Attempts at a write that raced another person's insert of the same row.
_ATTEMPTS = 3


class AttendanceError(Exception):
    """Why attendance cannot be recorded; ``http_status`` is what a view answers with."""

    def __init__(self, code: str, message: str, http_status: int = 422):
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status


class SheetErrors(Exception):
    """Errors of several rows (``{enrollment_id: message}``); nothing was saved."""

    def __init__(self, errors: dict[int, str]):
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class EarlierChange:
    """A change someone else made to a row after the page showing it was drawn."""

    enrollment_id: int
    status: str
    by: str
    at: datetime

    @property
    def status_label(self) -> str:
        return Attendance.Status(self.status).label


@dataclass
class Outcome:
    rows: dict[int, Attendance] = field(default_factory=dict)
    changed: int = 0
    earlier: dict[int, EarlierChange] = field(default_factory=dict)


# --- Rules ---------------------------------------------------------------------------


def version_of(row: Attendance | None) -> str:
    """The version a page carries for a row, to notice a change made since it was drawn."""
    return row.updated_at.isoformat() if row is not None and row.updated_at else ""


def edit_window_closed(session: Session, today: date) -> bool:
    return session.date < today - timedelta(days=settings.ATTENDANCE_EDIT_WINDOW_DAYS)


def _is_coordinator(user, session: Session) -> bool:
    membership = membership_for(user, session.cohort.organisation_id)
    return membership is not None and membership.role == COORDINATOR


def session_refusal(*, session: Session, user, today: date | None = None) -> AttendanceError | None:
    """Why ``user`` may not record attendance of ``session`` at all, or None."""
    today = today or timezone.localdate()
    if session.status == Session.Status.CANCELLED:
        return AttendanceError(
            "cancelled", _("This session was cancelled, so no attendance can be recorded.")
        )
    if session.date > today:
        return AttendanceError(
            "future",
            _("This session is on %(date)s; attendance can be recorded from that day.")
            % {"date": session.date.isoformat()},
        )
    if edit_window_closed(session, today) and not _is_coordinator(user, session):
        return AttendanceError(
            "closed",
            _(
                "This session is more than %(days)s days old; only a coordinator can change "
                "its attendance."
            )
            % {"days": settings.ATTENDANCE_EDIT_WINDOW_DAYS},
            http_status=403,
        )
    return None


def check_status(status: str) -> None:
    if status not in STATUSES:
        raise AttendanceError(
            "status",
            _("“%(status)s” is not a status; choose present, late, absent or excused.")
            % {"status": str(status)[:20]},
        )


def _not_enrolled() -> AttendanceError:
    return AttendanceError(
        "not_enrolled", _("This person was not enrolled in the group on the session's date.")
    )


# --- Selectors -----------------------------------------------------------------------


def roster(*, session: Session) -> QuerySet[Enrollment]:
    """Enrollments on the session's roster: enrolled in its cohort on its date."""
    return cohort_roster(cohort=session.cohort, on=session.date)


@dataclass
class RosterRow:
    enrollment: Enrollment
    attendance: Attendance | None

    @property
    def participant(self):
        return self.enrollment.participant

    @property
    def status(self) -> str:
        return self.attendance.status if self.attendance else ""

    @property
    def version(self) -> str:
        return version_of(self.attendance)


def attendance_sheet(*, session: Session) -> list[RosterRow]:
    """The roster with each person's recorded attendance, by preferred name then code.

    Two queries whatever the size of the group (enrollments with participants; the
    session's attendance with who recorded it). Names are encrypted, so they are sorted
    here rather than in SQL.
    """
    enrollments = list(roster(session=session))
    rows = {
        a.enrollment_id: a
        for a in Attendance.objects.filter(session=session).select_related("recorded_by")
    }
    sheet = [RosterRow(e, rows.get(e.pk)) for e in enrollments]
    sheet.sort(key=lambda r: ((r.participant.preferred_name or "").casefold(), r.participant.code))
    return sheet


def sessions_for_home(*, cohorts: QuerySet[Cohort], today: date) -> dict[str, list[Session]]:
    """A facilitator's sessions for their home page, in one query.

    ``today``: today's sessions; ``missing``: sessions of the last
    ``ATTENDANCE_EDIT_WINDOW_DAYS`` days (not cancelled) with no attendance yet;
    ``upcoming``: the next sessions (within four weeks); ``recent``: the other sessions
    of the last two weeks. Each session has ``has_attendance``.
    """
    since = today - timedelta(days=settings.ATTENDANCE_EDIT_WINDOW_DAYS)
    sessions = (
        Session.objects.filter(
            cohort__in=cohorts.exclude(
                status__in=[Cohort.Status.CANCELLED, Cohort.Status.COMPLETED]
            ),
            date__range=(since, today + timedelta(days=28)),
        )
        .select_related("cohort")
        .annotate(has_attendance=Exists(Attendance.objects.filter(session=OuterRef("pk"))))
        .order_by("date", "start_time", "cohort__code")
    )
    home: dict[str, list[Session]] = {"today": [], "missing": [], "upcoming": [], "recent": []}
    for session in sessions:
        if session.date == today:
            home["today"].append(session)
        elif session.date > today:
            home["upcoming"].append(session)
        elif session.status != Session.Status.CANCELLED and not session.has_attendance:
            home["missing"].append(session)
        else:
            home["recent"].append(session)
    home["missing"].reverse()
    home["recent"].reverse()
    return home


# --- Services ------------------------------------------------------------------------


def _apply(
    *,
    session: Session,
    wanted: Mapping[Enrollment, str],
    by,
    seen: Mapping[int, str] | None = None,
    overwrite: bool = True,
    request=None,
) -> Outcome:
    """Set the status of each enrollment in ``wanted``; see the module docstring."""
    for attempt in range(_ATTEMPTS):
        try:
            with transaction.atomic():
                return _apply_once(
                    session=session,
                    wanted=wanted,
                    by=by,
                    seen=seen or {},
                    overwrite=overwrite,
                    request=request,
                )
        except IntegrityError:
            # Someone inserted one of these rows between our read and our insert; the
            # next attempt finds and locks it.
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _recorder(row: Attendance) -> str:
    return str(row.recorded_by) if row.recorded_by_id else _("someone")


def _apply_once(*, session, wanted, by, seen, overwrite, request) -> Outcome:
    ids = [e.pk for e in wanted]
    existing = {
        a.enrollment_id: a
        # Lock only the attendance rows: "recorded_by" is the nullable side of an outer
        # join, which PostgreSQL refuses to lock, and users need no lock.
        for a in Attendance.objects.select_for_update(of=("self",))
        .select_related("recorded_by")
        .filter(session=session, enrollment_id__in=ids)
    }
    outcome = Outcome()
    to_create: list[Attendance] = []
    to_update: list[tuple[Attendance, str]] = []
    now = timezone.now()
    for enrollment, status in wanted.items():
        row = existing.get(enrollment.pk)
        if row is None:
            to_create.append(
                Attendance(session=session, enrollment=enrollment, status=status, recorded_by=by)
            )
            continue
        outcome.rows[enrollment.pk] = row
        if not overwrite:
            continue
        if row.recorded_by_id != by.pk and seen.get(enrollment.pk, "") != version_of(row):
            outcome.earlier[enrollment.pk] = EarlierChange(
                enrollment.pk, row.status, _recorder(row), row.updated_at
            )
        if row.status == status:
            continue
        to_update.append((row, row.status))
        row.status = status
        row.recorded_by = by
        row.updated_at = now
    if to_create:
        Attendance.objects.bulk_create(to_create)
    if to_update:
        Attendance.objects.bulk_update(
            [row for row, _old in to_update], ["status", "recorded_by", "updated_at"]
        )
    organisation = session.cohort.organisation
    for row in to_create:
        outcome.rows[row.enrollment_id] = row
        _audit(row, None, by, organisation, request)
    for row, old in to_update:
        _audit(row, old, by, organisation, request)
    outcome.changed = len(to_create) + len(to_update)
    if outcome.changed:
        outreach.recount([session.cohort_id])
    return outcome


def _audit(row: Attendance, old: str | None, by, organisation, request) -> None:
    log_action(
        actor=by,
        action="attendance.set",
        obj=row,
        organisation=organisation,
        changes={"status": [old, row.status]},
        detail={"session": row.session_id, "enrollment": row.enrollment_id},
        request=request,
    )


def _on_roster(session: Session, enrollment_ids: Iterable[int]) -> dict[int, Enrollment]:
    ids = {i for i in enrollment_ids if isinstance(i, int)}
    return {e.pk: e for e in roster(session=session).filter(pk__in=ids)}


def attendance_set(
    *,
    session: Session,
    enrollment_id: int,
    status: str,
    by,
    seen_version: str = "",
    request=None,
    today: date | None = None,
) -> tuple[Attendance, bool, EarlierChange | None]:
    """Record one tap: ``(row, changed, earlier change by someone else or None)``.

    ``seen_version`` is the row's version when the page was drawn (``version_of``).
    """
    check_status(status)
    refusal = session_refusal(session=session, user=by, today=today)
    if refusal is not None:
        raise refusal
    with transaction.atomic():
        enrollment = _on_roster(session, [enrollment_id]).get(enrollment_id)
        if enrollment is None:
            raise _not_enrolled()
        outcome = _apply(
            session=session,
            wanted={enrollment: status},
            by=by,
            seen={enrollment_id: seen_version},
            request=request,
        )
    return outcome.rows[enrollment_id], bool(outcome.changed), outcome.earlier.get(enrollment_id)


def attendance_mark_all(
    *,
    session: Session,
    by,
    status: str = Attendance.Status.PRESENT,
    request=None,
    today: date | None = None,
) -> int:
    """Mark everyone on the roster who has no status yet as ``status``; return how many.

    Rows already set are left alone, so "mark all present" never undoes a tap, by this
    person or another, and pressing it twice changes nothing the second time.
    """
    check_status(status)
    refusal = session_refusal(session=session, user=by, today=today)
    if refusal is not None:
        raise refusal
    with transaction.atomic():
        enrollments = list(roster(session=session))
        outcome = _apply(
            session=session,
            wanted=dict.fromkeys(enrollments, status),
            by=by,
            overwrite=False,
            request=request,
        )
    return outcome.changed


def attendance_record_sheet(
    *,
    session: Session,
    statuses: Mapping[int, str],
    by,
    seen: Mapping[int, str] | None = None,
    request=None,
    today: date | None = None,
) -> Outcome:
    """Save a keyed-in paper sheet, ``{enrollment_id: status}``, all or nothing.

    A blank status leaves the row as it is. Raises ``SheetErrors`` naming each bad row.
    """
    refusal = session_refusal(session=session, user=by, today=today)
    if refusal is not None:
        raise refusal
    statuses = {pk: s for pk, s in statuses.items() if s}
    with transaction.atomic():
        members = _on_roster(session, statuses)
        errors: dict[int, str] = {}
        for pk, status in statuses.items():
            if pk not in members:
                errors[pk] = _not_enrolled().message
                continue
            try:
                check_status(status)
            except AttendanceError as error:
                errors[pk] = error.message
        if errors:
            raise SheetErrors(errors)
        return _apply(
            session=session,
            wanted={members[pk]: status for pk, status in statuses.items()},
            by=by,
            seen=seen,
            request=request,
        )
