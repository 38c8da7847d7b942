"""Writes for cohorts and their sessions. Each is atomic and audited.

Rule violations raise ``django.core.exceptions.ValidationError`` (with a field name where
one is to blame) before anything is written, so a view can show them on its form.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from peersupport.audit import log_action, log_create, log_delete, model_update
from programs.models import ClosureDate, Cohort, Program, Volunteer

from .models import Attendance, Session
from .schedule import ScheduleError, build_schedule, end_time_of

COHORT_FIELDS = (
    "code",
    "name",
    "start_date",
    "weekday",
    "start_time",
    "session_minutes",
    "location",
    "capacity",
    "status",
)


def _error(message, field=None) -> ValidationError:
    return ValidationError({field: [message]} if field else message)


def _check_cohort_start(program: Program, start: date | None) -> None:
    """A cohort starts within its program: not before the program starts, not after it
    ends (a cohort outside its program's years would be left out of every figure)."""
    if start is None:
        return
    if start < program.start_date:
        raise _error(
            _("A cohort cannot start before its program, which starts on %(date)s.")
            % {"date": formats.date_format(program.start_date)},
            "start_date",
        )
    if program.end_date and start > program.end_date:
        raise _error(
            _("A cohort cannot start after its program ends on %(date)s.")
            % {"date": formats.date_format(program.end_date)},
            "start_date",
        )


def _check_facilitators(organisation_id: int, facilitators: Iterable[Volunteer]) -> list:
    facilitators = list(facilitators)
    if any(v.organisation_id != organisation_id for v in facilitators):
        raise _error(_("Choose volunteers of this organisation."), "facilitators")
    return facilitators


def _closures(organisation_id: int) -> set[date]:
    return set(
        ClosureDate.objects.filter(organisation_id=organisation_id).values_list("date", flat=True)
    )


#: Cohort fields the dates and times of its sessions follow.
SCHEDULE_FIELDS = ("start_date", "weekday", "start_time", "session_minutes")


def _plan(cohort: Cohort, *, start: date, first_week: int = 1):
    """``build_schedule`` for ``cohort`` from ``start``; ValidationError if impossible."""
    program = cohort.program
    try:
        return build_schedule(
            start=start,
            weekday=cohort.weekday,
            modules=[(m, m.weeks) for m in program.modules.order_by("order")],
            topics=dict(program.topics.values_list("week", "title")),
            closures=_closures(cohort.organisation_id),
            start_time=cohort.start_time,
            session_minutes=cohort.session_minutes,
            program_end=program.end_date,
            first_week=first_week,
        )
    except ScheduleError as error:
        raise _error(error.message, error.field) from error


@transaction.atomic
def cohort_schedule_create(*, cohort: Cohort) -> list[Session]:
    """Generate the sessions of a new cohort (see ``sessions.schedule``)."""
    return Session.objects.bulk_create(
        Session(
            cohort=cohort,
            number=p.number,
            date=p.date,
            start_time=p.start_time,
            end_time=p.end_time,
            module=p.module,
            topic=p.topic,
        )
        for p in _plan(cohort, start=cohort.start_date)
    )


@transaction.atomic
def cohort_reschedule(*, cohort: Cohort, from_day: date | None = None) -> list[Session]:
    """Move the sessions still to come to the cohort's schedule; the moved sessions.

    A session is settled once it is held or cancelled or has attendance recorded, or
    falls before ``from_day`` when one is given; settled sessions never move. The
    sessions numbered after the last settled one (every session, when none is settled)
    take the dates and times the schedule rules give them, continuing weekly after that
    settled session. Modules, topics and everything else stay as they are; sessions
    added beyond the program's weeks are left alone. Raises ValidationError (and moves
    nothing) when a session would fall after the program ends or run past midnight.
    """
    sessions = list(
        cohort.sessions.order_by("number").annotate(
            has_attendance=Exists(Attendance.objects.filter(session=OuterRef("pk")))
        )
    )
    settled = [
        s
        for s in sessions
        if s.status != Session.Status.SCHEDULED
        or s.has_attendance
        or (from_day is not None and s.date < from_day)
    ]
    last = settled[-1] if settled else None
    if last is None:
        planned = _plan(cohort, start=cohort.start_date)
    else:
        planned = _plan(cohort, start=last.date + timedelta(days=1), first_week=last.number + 1)
    by_number = {p.number: p for p in planned}
    now = timezone.now()
    moved: list[Session] = []
    for session in sessions:
        plan = by_number.get(session.number)  # none for settled or extra sessions
        if plan is None:
            continue
        new = (plan.date, plan.start_time, plan.end_time)
        if (session.date, session.start_time, session.end_time) != new:
            session.date, session.start_time, session.end_time = new
            session.updated_at = now
            moved.append(session)
    Session.objects.bulk_update(moved, ["date", "start_time", "end_time", "updated_at"])
    return moved


@dataclass
class ClosureMoves:
    """What listing a closure did to the sessions: in how many cohorts sessions moved,
    and the codes of the cohorts whose sessions could not move (past the program's end)."""

    cohorts: int = 0
    stuck: list[str] = field(default_factory=list)


@transaction.atomic
def closure_reschedule(*, closure: ClosureDate, by, request=None) -> ClosureMoves:
    """A newly closed day: in each cohort with a session still to come on that day, that
    session and the later ones move to the next free week (``cohort_reschedule`` from
    that day). A cohort whose sessions would then fall after its program's end keeps its
    dates and is reported as stuck. Each moving cohort is audited."""
    result = ClosureMoves()
    cohorts = (
        Cohort.objects.filter(
            organisation_id=closure.organisation_id,
            sessions__date=closure.date,
            sessions__status=Session.Status.SCHEDULED,
        )
        .select_related("program")
        .distinct()
        .order_by("code")
    )
    for cohort in cohorts:
        try:
            with transaction.atomic():
                moved = cohort_reschedule(cohort=cohort, from_day=closure.date)
        except ValidationError:
            result.stuck.append(cohort.code)
            continue
        if moved:
            result.cohorts += 1
            log_action(
                actor=by,
                action="cohort.reschedule",
                obj=cohort,
                detail={
                    "closure": closure.date.isoformat(),
                    "sessions_moved": [s.number for s in moved],
                },
                request=request,
            )
    return result


@transaction.atomic
def cohort_create(*, program: Program, by, request=None, facilitators=(), **fields) -> Cohort:
    """Open a cohort of ``program`` and generate its weekly sessions, or nothing at all."""
    unknown = set(fields) - set(COHORT_FIELDS)
    if unknown:
        raise TypeError(f"unknown cohort fields: {sorted(unknown)}")
    if Cohort.objects.filter(
        organisation_id=program.organisation_id, code=fields.get("code")
    ).exists():
        raise _error(_("Another cohort of this organisation already has this code."), "code")
    _check_cohort_start(program, fields.get("start_date"))
    facilitators = _check_facilitators(program.organisation_id, facilitators)
    cohort = Cohort(program=program, **fields)
    cohort.save()
    if facilitators:
        cohort.facilitators.set(facilitators)
    sessions = cohort_schedule_create(cohort=cohort)
    log_create(
        actor=by,
        action="cohort.create",
        obj=cohort,
        detail={
            "sessions": len(sessions),
            "facilitators": sorted(v.pk for v in facilitators),
        },
        request=request,
    )
    return cohort


@transaction.atomic
def cohort_update(*, cohort: Cohort, by, request=None, **fields) -> Cohort:
    """Change a cohort's details. When its start date, weekday, start time or session
    length change, the sessions still to come move with them (``cohort_reschedule``);
    ``cohort.rescheduled`` is then the number of sessions moved."""
    unknown = set(fields) - set(COHORT_FIELDS)
    if unknown:
        raise TypeError(f"unknown cohort fields: {sorted(unknown)}")
    code = fields.get("code", cohort.code)
    if (
        Cohort.objects.filter(organisation_id=cohort.organisation_id, code=code)
        .exclude(pk=cohort.pk)
        .exists()
    ):
        raise _error(_("Another cohort of this organisation already has this code."), "code")
    if fields.get("start_date", cohort.start_date) != cohort.start_date:
        _check_cohort_start(cohort.program, fields["start_date"])
    schedule_before = [getattr(cohort, name) for name in SCHEDULE_FIELDS]
    cohort.rescheduled = 0  # type: ignore[attr-defined]

    def move_sessions() -> dict | None:
        # Called after the save, so the entry also says which sessions moved.
        if [getattr(cohort, name) for name in SCHEDULE_FIELDS] == schedule_before:
            return None
        moved = cohort_reschedule(cohort=cohort)
        cohort.rescheduled = len(moved)  # type: ignore[attr-defined]
        return {"sessions_moved": [s.number for s in moved]}

    model_update(
        instance=cohort,
        data=fields,
        by=by,
        action="cohort.update",
        detail=move_sessions,
        request=request,
    )
    return cohort


@transaction.atomic
def cohort_facilitators_set(
    *, cohort: Cohort, facilitators: Iterable[Volunteer], by, request=None
) -> Cohort:
    facilitators = _check_facilitators(cohort.organisation_id, facilitators)
    before = sorted(cohort.facilitators.values_list("pk", flat=True))
    cohort.facilitators.set(facilitators)
    after = sorted(v.pk for v in facilitators)
    log_action(
        actor=by,
        action="cohort.set_facilitators",
        obj=cohort,
        changes={"facilitators": [before, after]} if before != after else {},
        request=request,
    )
    return cohort


def _check_date(cohort: Cohort, day: date, *, exclude_pk: int | None = None) -> None:
    """A session day must fall within the cohort and on a day the organisation is open."""
    if day < cohort.start_date:
        raise _error(
            _("The date is before the cohort starts (%(start)s).")
            % {"start": cohort.start_date.isoformat()},
            "date",
        )
    end = cohort.program.end_date
    if end is not None and day > end:
        raise _error(
            _("The date is after the program ends (%(end)s).") % {"end": end.isoformat()},
            "date",
        )
    if ClosureDate.objects.filter(organisation_id=cohort.organisation_id, date=day).exists():
        raise _error(_("The organisation is closed on that day."), "date")
    clash = (
        cohort.sessions.filter(date=day)
        .exclude(status=Session.Status.CANCELLED)
        .exclude(pk=exclude_pk)  # type: ignore[misc]
        .first()
    )
    if clash is not None:
        raise _error(
            _("Session %(number)s is already on that day.") % {"number": clash.number}, "date"
        )


def _check_times(start_time: time | None, end_time: time | None) -> None:
    if start_time is not None and end_time is not None and end_time <= start_time:
        raise _error(_("The end time must be after the start time."), "end_time")


def _has_attendance(session: Session) -> bool:
    return Attendance.objects.filter(session=session).exists()


@transaction.atomic
def session_add(
    *,
    cohort: Cohort,
    date: date,
    by,
    start_time: time | None = None,
    end_time: time | None = None,
    topic: str = "",
    module=None,
    request=None,
) -> Session:
    """An extra session (numbered after the last one), e.g. to make up a cancelled week."""
    cohort = Cohort.objects.select_for_update().select_related("program").get(pk=cohort.pk)
    _check_date(cohort, date)
    if start_time is not None and end_time is None:
        end_time = end_time_of(date, start_time, cohort.session_minutes)
    _check_times(start_time, end_time)
    if module is not None and module.program_id != cohort.program_id:
        raise _error(_("Choose a module of this cohort's program."), "module")
    last = cohort.sessions.aggregate(last=Max("number"))["last"] or 0
    session = Session.objects.create(
        cohort=cohort,
        number=last + 1,
        date=date,
        start_time=start_time,
        end_time=end_time,
        topic=topic,
        module=module,
    )
    log_create(
        actor=by,
        action="session.create",
        obj=session,
        request=request,
    )
    return session


@transaction.atomic
def session_reschedule(
    *,
    session: Session,
    date: date,
    by,
    start_time: time | None = None,
    end_time: time | None = None,
    request=None,
) -> Session:
    """Move a scheduled session to another day or time within the cohort."""
    session = (
        Session.objects.select_for_update().select_related("cohort__program").get(pk=session.pk)
    )
    if session.status != Session.Status.SCHEDULED:
        raise _error(
            _("Only a scheduled session can be rescheduled; this one is %(status)s.")
            % {"status": session.get_status_display().lower()}
        )
    _check_date(session.cohort, date, exclude_pk=session.pk)
    _check_times(start_time, end_time)
    session, _changes = model_update(
        instance=session,
        data={"date": date, "start_time": start_time, "end_time": end_time},
        by=by,
        action="session.reschedule",
        detail={"operation": "reschedule"},
        request=request,
    )
    return session


@transaction.atomic
def session_cancel(*, session: Session, reason: str, by, request=None) -> Session:
    """Cancel a scheduled session, saying why. Held sessions and recorded attendance stay."""
    session = Session.objects.select_for_update().get(pk=session.pk)
    reason = (reason or "").strip()
    if not reason:
        raise _error(_("Say why the session is cancelled."), "reason")
    if session.status != Session.Status.SCHEDULED:
        raise _error(
            _("Only a scheduled session can be cancelled; this one is %(status)s.")
            % {"status": session.get_status_display().lower()}
        )
    if _has_attendance(session):
        raise _error(_("Attendance is recorded for this session; it cannot be cancelled."))
    session, _changes = model_update(
        instance=session,
        data={"status": Session.Status.CANCELLED, "cancel_reason": reason[:200]},
        by=by,
        action="session.cancel",
        detail={"operation": "cancel"},
        request=request,
    )
    return session


def session_delete_refusal(session: Session, today: date | None = None) -> str | None:
    """Why ``session`` may not be deleted, or None: only future scheduled sessions go."""
    today = today or timezone.localdate()
    if session.status == Session.Status.HELD:
        return _("A held session cannot be deleted.")
    if _has_attendance(session):
        return _("Attendance is recorded for this session; it cannot be deleted.")
    if session.status != Session.Status.SCHEDULED:
        return _("Only a scheduled session can be deleted; cancel keeps its record instead.")
    if session.date < today:
        return _("Only future sessions can be deleted.")
    return None


@transaction.atomic
def session_delete(*, session: Session, by, request=None) -> None:
    session = Session.objects.select_for_update().select_related("cohort").get(pk=session.pk)
    refusal = session_delete_refusal(session)
    if refusal:
        raise _error(refusal)
    log_delete(actor=by, action="session.delete", obj=session, request=request)
    session.delete()


@transaction.atomic
def session_log(
    *,
    session: Session,
    by,
    topics_covered: str,
    notes: str,
    incident_flagged: bool,
    incident_notes: str,
    facilitators: Iterable[Volunteer],
    duration_minutes: int | None,
    request=None,
) -> Session:
    """Record what happened at a session; this marks it held.

    The attendance sheet calls this when it is saved. A cancelled session or one that has
    not started yet cannot be logged.
    """
    session = Session.objects.select_for_update().select_related("cohort").get(pk=session.pk)
    if session.status == Session.Status.CANCELLED:
        raise _error(_("This session was cancelled; a cancelled session cannot be logged."))
    if session.date > timezone.localdate():
        raise _error(_("This session is in the future; log it on or after its day."))
    if incident_flagged and not (incident_notes or "").strip():
        raise _error(_("Describe the incident for the supervisor."), "incident_notes")
    if duration_minutes is not None and not 1 <= duration_minutes <= 24 * 60:
        raise _error(_("Give the duration in minutes, between 1 and 1440."), "duration_minutes")
    facilitators = _check_facilitators(session.cohort.organisation_id, facilitators)
    before_facilitators = sorted(session.facilitators.values_list("pk", flat=True))
    session.facilitators.set(facilitators)
    after_facilitators = sorted(v.pk for v in facilitators)
    session, _changes = model_update(
        instance=session,
        data={
            "topics_covered": topics_covered or "",
            "notes": notes or "",
            "incident_flagged": bool(incident_flagged),
            "incident_notes": (incident_notes or "") if incident_flagged else "",
            "duration_minutes": duration_minutes,
            "status": Session.Status.HELD,
            "logged_by": by if getattr(by, "is_authenticated", False) else None,
        },
        by=by,
        action="session.log",
        extra_changes=(
            {"facilitators": [before_facilitators, after_facilitators]}
            if after_facilitators != before_facilitators
            else None
        ),
        detail={"operation": "log"},
        request=request,
    )
    return session


@transaction.atomic
def incident_follow_up(*, session: Session, note: str, by, request=None) -> Session:
    """Record what was done about a session's flagged incident: who, when and what.

    The incident then leaves the coordinator's dashboard. The note is free text about a
    person, so it is encrypted and masked in the audit log.
    """
    session = Session.objects.select_for_update().select_related("cohort").get(pk=session.pk)
    if not session.incident_flagged:
        raise _error(_("No incident was flagged at this session."))
    note = (note or "").strip()
    if not note:
        raise _error(_("Say what was done about the incident."), "note")
    session, _changes = model_update(
        instance=session,
        data={
            "incident_follow_up": note,
            "incident_followed_up_at": timezone.now(),
            "incident_followed_up_by": by if getattr(by, "is_authenticated", False) else None,
        },
        by=by,
        action="session.incident_follow_up",
        request=request,
    )
    return session
