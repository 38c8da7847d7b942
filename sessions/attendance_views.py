"""Facilitator home and the attendance pages: the sheet (one tap per person), "mark all
present", saving the sheet, the printable sign-in sheet and keyed entry of a paper sheet."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from peersupport.audit import log_action, log_names_shown, names_shown
from peersupport.forms import add_errors
from peersupport.permissions import COORDINATOR, STAFF_ROLES, current_membership
from programs.access import cohorts_for
from programs.models import Cohort

from . import services
from .access import get_session_for_user
from .attendance import (
    AttendanceError,
    RosterRow,
    SheetErrors,
    attendance_mark_all,
    attendance_record_sheet,
    attendance_set,
    attendance_sheet,
    session_refusal,
    sessions_for_home,
)
from .attendance_forms import KeyedSheetForm, TapForm
from .forms import SessionLogForm
from .models import Attendance, Session

SESSIONS = Session.objects.select_related("cohort__program", "cohort__organisation")


def _session(request, pk) -> Session:
    return get_session_for_user(request, pk, roles=STAFF_ROLES, queryset=SESSIONS).obj


def _sheet_url(session: Session) -> str:
    return reverse("groupsessions:attendance_sheet", args=[session.pk])


@login_required
def facilitator_home(request):
    """A facilitator's groups and sessions: today's first, then the ones missing attendance."""
    membership = current_membership(request, roles=STAFF_ROLES)
    today = timezone.localdate()
    cohorts = cohorts_for(membership).exclude(
        status__in=[Cohort.Status.CANCELLED, Cohort.Status.COMPLETED]
    )
    context = {
        "today": today,
        "home": sessions_for_home(cohorts=cohorts, today=today),
        "cohorts": cohorts.select_related("program").order_by("start_date", "code"),
        "window_days": settings.ATTENDANCE_EDIT_WINDOW_DAYS,
    }
    return render(request, "sessions/attendance/facilitator_home.html", context)


def _log_sheet_read(request, session: Session, sheet: list[RosterRow], action: str) -> None:
    """The sheet shows the group's names: who opened it, and how many names it showed."""
    log_names_shown(
        request=request,
        action=action,
        obj=session,
        count=names_shown(row.participant for row in sheet),
    )


def _sheet_context(request, session: Session, role: str, log_form=None) -> dict:
    sheet = attendance_sheet(session=session)
    _log_sheet_read(request, session, sheet, "attendance.view")
    return {
        "session": session,
        "cohort": session.cohort,
        "sheet": sheet,
        "statuses": Attendance.Status.choices,
        # Every row posts its taps here: the address is worked out once, not per row.
        "mark_url": reverse("groupsessions:attendance_mark", args=[session.pk]),
        "refusal": session_refusal(session=session, user=request.user),
        "log_form": log_form or SessionLogForm(session=session, user=request.user),
        "is_coordinator": role == COORDINATOR,
    }


@login_required
def attendance_sheet_view(request, pk):
    """The sheet: the roster with one-tap status buttons, then "save the sheet"."""
    session, role = get_session_for_user(
        request,
        pk,
        roles=STAFF_ROLES,
        queryset=SESSIONS.prefetch_related("facilitators", "cohort__facilitators"),
    )
    context = _sheet_context(request, session, role)
    return render(request, "sessions/attendance/sheet.html", context)


def _error_fragment(request, session, enrollment_id, error: AttendanceError):
    response = render(
        request,
        "sessions/attendance/_row_error.html",
        {"error": error, "session": session, "enrollment_id": enrollment_id},
        status=error.http_status,
    )
    # Tells the page script to show this fragment beside the row (see static/js/app.js).
    response["X-Error-Fragment"] = "1"
    return response


@login_required
@require_POST
def attendance_mark(request, pk):
    """One tap: set one person's status. htmx gets the row's new state or an error beside it."""
    session = _session(request, pk)
    form = TapForm(request.POST)
    enrollment_id = None
    try:
        if not form.is_valid():
            raise AttendanceError("bad_request", _("Choose a person and a status."))
        enrollment_id = form.cleaned_data["enrollment"]
        row, changed, earlier = attendance_set(
            session=session,
            enrollment_id=enrollment_id,
            status=form.chosen_status(),
            by=request.user,
            seen_version=form.cleaned_data["version"],
            request=request,
        )
    except AttendanceError as error:
        if request.htmx:
            return _error_fragment(request, session, enrollment_id, error)
        messages.error(request, error.message)
        return redirect(_sheet_url(session))
    if not request.htmx:
        messages.success(request, _("Saved."))
        return redirect(_sheet_url(session))
    return render(
        request,
        "sessions/attendance/_row_state.html",
        {
            "row": RosterRow(row.enrollment, row),
            "saved": True,
            "changed": changed,
            "earlier": earlier,
        },
    )


@login_required
@require_POST
def attendance_mark_all_view(request, pk):
    """Mark everyone not yet marked as present (taps already made stay as they are)."""
    session = _session(request, pk)
    try:
        count = attendance_mark_all(session=session, by=request.user, request=request)
    except AttendanceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            ngettext("%(count)d person marked present.", "%(count)d people marked present.", count)
            % {"count": count},
        )
    return redirect(_sheet_url(session))


@login_required
@require_POST
def attendance_save(request, pk):
    """Save the sheet: the session is marked held with its duration, topics and facilitators."""
    session, role = get_session_for_user(request, pk, roles=STAFF_ROLES, queryset=SESSIONS)
    form = SessionLogForm(request.POST, session=session, user=request.user)
    refusal = session_refusal(session=session, user=request.user)
    if refusal is not None:
        form.is_valid()
        form.add_error(None, refusal.message)
    elif form.is_valid():
        data = form.cleaned_data
        try:
            services.session_log(
                session=session,
                by=request.user,
                topics_covered=data["topics_covered"],
                notes=data["notes"],
                incident_flagged=data["incident_flagged"],
                incident_notes=data["incident_notes"],
                facilitators=data["facilitators"],
                duration_minutes=data["duration_minutes"],
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The session is saved as held. Thank you!"))
            return redirect("groupsessions:facilitator_home")
    return render(
        request,
        "sessions/attendance/sheet.html",
        _sheet_context(request, session, role, log_form=form),
        status=422,
    )


@login_required
def attendance_print(request, pk):
    """A sign-in sheet to print, for groups where phones are not used."""
    session = _session(request, pk)
    sheet = attendance_sheet(session=session)
    # Names leave the system on paper: recorded like an export.
    log_action(
        actor=request.user,
        action="attendance.print",
        obj=session,
        organisation=session.cohort.organisation,
        detail={"format": "sign-in sheet", "rows": len(sheet)},
        request=request,
    )
    return render(
        request,
        "sessions/attendance/print.html",
        {"session": session, "sheet": sheet, "statuses": Attendance.Status.choices},
    )


@login_required
def attendance_keyed(request, pk):
    """Key in a paper sign-in sheet: one choice per person, saved together or not at all."""
    session = _session(request, pk)
    sheet = attendance_sheet(session=session)
    form = KeyedSheetForm(request.POST or None, sheet=sheet)
    refusal = session_refusal(session=session, user=request.user)
    status = 200
    if request.method == "POST":
        status = 422
        if refusal is not None:
            messages.error(request, refusal.message)
        elif form.is_valid():
            try:
                outcome = attendance_record_sheet(
                    session=session,
                    statuses=form.statuses(),
                    by=request.user,
                    seen=form.versions(),
                    request=request,
                )
            except SheetErrors as errors:
                form.add_row_errors(errors.errors)
            except AttendanceError as error:
                form.add_error(None, error.message)
            else:
                _report_keyed(request, outcome, sheet)
                return redirect(_sheet_url(session))
    _log_sheet_read(request, session, sheet, "attendance.keyed_view")
    return render(
        request,
        "sessions/attendance/keyed.html",
        {"session": session, "form": form, "refusal": refusal},
        status=status,
    )


def _report_keyed(request, outcome, sheet) -> None:
    messages.success(
        request,
        ngettext("%(count)d change saved.", "%(count)d changes saved.", outcome.changed)
        % {"count": outcome.changed},
    )
    codes = {r.enrollment.pk: r.participant.code for r in sheet}
    for pk, earlier in outcome.earlier.items():
        messages.info(
            request,
            _("%(code)s had been marked %(status)s by %(by)s at %(time)s; your entry replaced it.")
            % {
                "code": codes.get(pk, ""),
                "status": earlier.status_label.lower(),
                "by": earlier.by,
                "time": timezone.localtime(earlier.at).strftime("%H:%M"),
            },
        )
