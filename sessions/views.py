"""Cohort pages, session management and the coordinator dashboard."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from participants.selectors import EXPIRING_WITHIN_DAYS, consents_expiring
from peersupport.forms import add_errors
from peersupport.permissions import (
    COORDINATOR,
    STAFF_ROLES,
    current_membership,
)
from programs import selectors as program_selectors
from programs.access import cohorts_for, get_cohort_for_user
from programs.models import Cohort

from . import selectors, services
from .access import get_session_for_user
from .forms import (
    CancelForm,
    CohortFilterForm,
    CohortForm,
    FacilitatorsForm,
    IncidentFollowUpForm,
    RescheduleForm,
    SessionAddForm,
    SessionLogForm,
)
from .models import Session

COHORTS_PER_PAGE = 25
DASHBOARD_ROWS = 20


def _cohort_url(cohort):
    return redirect("groupsessions:cohort_detail", pk=cohort.pk)


@login_required
def cohort_list(request):
    membership = current_membership(request, roles=STAFF_ROLES)
    form = CohortFilterForm(request.GET or None, organisation=membership.organisation)
    filters = form.cleaned_data if form.is_valid() else {}
    cohorts = selectors.cohort_list(
        cohorts=cohorts_for(membership),
        q=filters.get("q", ""),
        program=filters.get("program"),
        status=filters.get("status", ""),
    )
    page = Paginator(cohorts, COHORTS_PER_PAGE).get_page(request.GET.get("page"))
    for cohort in page:
        cohort.fill = selectors.fill_percent(cohort)
    return render(request, "sessions/cohort_list.html", {"form": form, "page": page})


@login_required
def cohort_create(request):
    membership = current_membership(request, roles=[COORDINATOR])
    # From a program's page: that program is chosen already.
    initial = {"program": request.GET.get("program", "")} if request.method == "GET" else None
    form = CohortForm(request.POST or None, organisation=membership.organisation, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            cohort = services.cohort_create(
                program=form.cleaned_data["program"],
                facilitators=form.cleaned_data["facilitators"],
                by=request.user,
                request=request,
                **form.service_fields(),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            count = cohort.sessions.count()
            if count:
                messages.success(
                    request,
                    _("Cohort created with %(count)s sessions.") % {"count": count},
                )
            else:
                messages.warning(
                    request,
                    _("Cohort created. Its program has no modules, so no sessions were made."),
                )
            return _cohort_url(cohort)
    return render(request, "sessions/cohort_form.html", {"form": form})


@login_required
def cohort_update(request, pk):
    cohort, _role = get_cohort_for_user(request, pk, roles=[COORDINATOR])
    form = CohortForm(request.POST or None, instance=cohort, organisation=cohort.organisation_id)
    if request.method == "POST" and form.is_valid():
        cohort.refresh_from_db()  # the form changed the instance; the service diffs it
        try:
            services.cohort_update(
                cohort=cohort, by=request.user, request=request, **form.service_fields()
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Cohort saved."))
            if cohort.rescheduled:
                messages.info(
                    request,
                    ngettext(
                        "%(n)s session still to come moved to the new schedule; sessions "
                        "already held, cancelled or with attendance kept their dates.",
                        "%(n)s sessions still to come moved to the new schedule; sessions "
                        "already held, cancelled or with attendance kept their dates.",
                        cohort.rescheduled,
                    )
                    % {"n": cohort.rescheduled},
                )
            return _cohort_url(cohort)
    return render(request, "sessions/cohort_form.html", {"form": form, "cohort": cohort})


@login_required
def cohort_detail(request, pk):
    cohort, role = get_cohort_for_user(
        request,
        pk,
        roles=STAFF_ROLES,
        queryset=selectors.with_fill(Cohort.objects.select_related("program", "organisation")),
    )
    context = {
        "cohort": cohort,
        "fill": selectors.fill_percent(cohort),
        "sessions": selectors.cohort_sessions(cohort=cohort),
        "facilitators": program_selectors.cohort_facilitators(cohort=cohort),
        "today": timezone.localdate(),
        "can_manage": role == COORDINATOR,
    }
    return render(request, "sessions/cohort_detail.html", context)


@login_required
def cohort_facilitators(request, pk):
    cohort, _role = get_cohort_for_user(request, pk, roles=[COORDINATOR])
    form = FacilitatorsForm(request.POST or None, cohort=cohort)
    if request.method == "POST" and form.is_valid():
        try:
            services.cohort_facilitators_set(
                cohort=cohort,
                facilitators=form.cleaned_data["facilitators"],
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Facilitators saved."))
            return _cohort_url(cohort)
    return render(request, "sessions/cohort_facilitators.html", {"form": form, "cohort": cohort})


@login_required
def session_add(request, pk):
    cohort, _role = get_cohort_for_user(request, pk, roles=[COORDINATOR])
    form = SessionAddForm(request.POST or None, cohort=cohort)
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_add(
                cohort=cohort, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Session %(n)s added.") % {"n": session.number})
            return _cohort_url(cohort)
    context = {"form": form, "cohort": cohort, "title": _("Add a session")}
    return render(request, "sessions/session_form.html", context)


@login_required
def session_reschedule(request, pk):
    session, _role = get_session_for_user(request, pk, roles=[COORDINATOR])
    initial = {"date": session.date, "start_time": session.start_time, "end_time": session.end_time}
    form = RescheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_reschedule(
                session=session, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Session %(n)s rescheduled.") % {"n": session.number})
            return _cohort_url(session.cohort)
    context = {
        "form": form,
        "cohort": session.cohort,
        "session": session,
        "title": _("Reschedule session %(n)s") % {"n": session.number},
    }
    return render(request, "sessions/session_form.html", context)


@login_required
def session_cancel(request, pk):
    session, _role = get_session_for_user(request, pk, roles=[COORDINATOR])
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_cancel(
                session=session,
                reason=form.cleaned_data["reason"],
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Session %(n)s cancelled.") % {"n": session.number})
            return _cohort_url(session.cohort)
    context = {
        "form": form,
        "cohort": session.cohort,
        "session": session,
        "title": _("Cancel session %(n)s") % {"n": session.number},
        "danger": True,
    }
    return render(request, "sessions/session_form.html", context)


@login_required
def session_delete(request, pk):
    session, _role = get_session_for_user(request, pk, roles=[COORDINATOR])
    refusal = services.session_delete_refusal(session)
    if request.method == "POST" and refusal is None:
        try:
            services.session_delete(session=session, by=request.user, request=request)
        except ValidationError as error:
            refusal = " ".join(error.messages)
        else:
            messages.success(request, _("Session %(n)s deleted.") % {"n": session.number})
            return _cohort_url(session.cohort)
    status = 409 if request.method == "POST" and refusal else 200
    context = {"session": session, "cohort": session.cohort, "refusal": refusal}
    return render(request, "sessions/session_delete.html", context, status=status)


@login_required
def session_log(request, pk):
    session, _role = get_session_for_user(
        request, pk, roles=STAFF_ROLES, queryset=Session.objects.select_related("cohort__program")
    )
    form = SessionLogForm(request.POST or None, session=session, user=request.user)
    if request.method == "POST" and form.is_valid():
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
            messages.success(request, _("Session %(n)s logged as held.") % {"n": session.number})
            return _cohort_url(session.cohort)
    context = {"form": form, "session": session, "cohort": session.cohort}
    return render(request, "sessions/session_log.html", context)


@login_required
def coordinator_dashboard(request):
    membership = current_membership(request, roles=[COORDINATOR])
    org = membership.organisation
    today = timezone.localdate()
    threshold = settings.OUTREACH_ABSENCES
    cohorts = list(
        selectors.with_fill(
            org.cohorts.select_related("program").filter(status__in=Cohort.CURRENT)
        ).order_by("start_date", "code")[: DASHBOARD_ROWS + 1]
    )
    for cohort in cohorts:
        cohort.fill = selectors.fill_percent(cohort)
    monday, sunday = selectors.week_of(today)
    context = {
        "today": today,
        "monday": monday,
        "sunday": sunday,
        "week_sessions": list(
            selectors.week_sessions(organisation=org, today=today)[: DASHBOARD_ROWS + 1]
        ),
        "missing": list(
            selectors.sessions_missing_attendance(organisation=org, today=today)[
                : DASHBOARD_ROWS + 1
            ]
        ),
        "outreach": list(
            selectors.outreach_list(organisation=org, threshold=threshold)[: DASHBOARD_ROWS + 1]
        ),
        "threshold": threshold,
        "cohorts": cohorts,
        "volunteers_due": selectors.volunteers_due_for_supervision(
            organisation=org, today=today, limit=DASHBOARD_ROWS + 1
        ),
        "rows": DASHBOARD_ROWS,
        "incidents": list(selectors.open_incidents(organisation=org)[: DASHBOARD_ROWS + 1]),
        # Consents that lapse within 30 days (participants' panel; codes only).
        "expiring_consents": list(
            consents_expiring(organisation=org, today=today)[: DASHBOARD_ROWS + 1]
        ),
        "expiring_within": EXPIRING_WITHIN_DAYS,
    }
    return render(request, "sessions/coordinator_dashboard.html", context)


@login_required
def session_incident(request, pk):
    """A session's flagged incident and its follow-up: who did what, and when."""
    session, _role = get_session_for_user(
        request,
        pk,
        roles=[COORDINATOR],
        queryset=Session.objects.select_related("cohort", "incident_followed_up_by"),
    )
    if not session.incident_flagged:
        messages.info(request, _("No incident was flagged at this session."))
        return _cohort_url(session.cohort)
    form = IncidentFollowUpForm(request.POST or None)
    if request.method == "POST" and session.incident_followed_up_at is None and form.is_valid():
        try:
            services.incident_follow_up(
                session=session, note=form.cleaned_data["note"], by=request.user, request=request
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("Follow-up recorded for the incident at session %(n)s.") % {"n": session.number},
            )
            return redirect("groupsessions:coordinator_dashboard")
    context = {"form": form, "session": session, "cohort": session.cohort}
    return render(request, "sessions/session_incident.html", context)
