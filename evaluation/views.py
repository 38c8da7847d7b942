"""Report pages: choose a period, request a run, watch it, read the figures.

Coordinators and evaluators only (facilitators 403, other organisations 404). Figures
come from stored runs (``evaluation.runs``); the page never computes them itself, except
when the user asks to compute a waiting run in the foreground.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from peersupport.permissions import (
    EVALUATOR,
    REPORT_ROLES,
    Access,
    current_membership,
    get_for_user,
)
from programs.access import get_program_for_user
from programs.models import Program

from . import periods, presenting, runs
from .models import EvaluationRun

#: A queued run not started after this long probably has no worker: offer "compute now".
WAITING_TOO_LONG = timedelta(seconds=30)


class PeriodForm(forms.Form):
    period = forms.ChoiceField(
        label=gettext_lazy("Period"),
        choices=EvaluationRun.Period.choices,
        initial=EvaluationRun.Period.ALL,
    )
    year = forms.IntegerField(label=gettext_lazy("Program year"), min_value=1, required=False)
    date_from = forms.DateField(
        label=gettext_lazy("Cohorts starting from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=gettext_lazy("to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    pool_versions = forms.BooleanField(
        label=gettext_lazy("Pool instrument versions that score differently"),
        required=False,
    )

    def clean(self):
        data = super().clean()
        period = data.get("period")
        if period == EvaluationRun.Period.YEAR and not data.get("year"):
            self.add_error("year", _("Choose a program year (1 is the first)."))
        if period == EvaluationRun.Period.RANGE:
            start, end = data.get("date_from"), data.get("date_to")
            if not start:
                self.add_error("date_from", _("Give the first cohort start date."))
            if not end:
                self.add_error("date_to", _("Give the last cohort start date."))
            if start and end and start > end:
                self.add_error("date_to", _("The last date is before the first."))
        if period != EvaluationRun.Period.YEAR:
            data["year"] = None
        if period != EvaluationRun.Period.RANGE:
            data["date_from"] = data["date_to"] = None
        return data

    def request_kwargs(self) -> dict:
        data = self.cleaned_data
        keys = ("period", "year", "date_from", "date_to", "pool_versions")
        return {k: data[k] for k in keys}

    def query(self) -> str:
        data = {k: v for k, v in self.request_kwargs().items() if v not in (None, "", False)}
        return urlencode({k: str(v) for k, v in data.items()})


def _run_for_user(request, pk) -> Access[EvaluationRun]:
    return get_for_user(
        request,
        EvaluationRun.objects.select_related("program__organisation"),
        roles=REPORT_ROLES,
        organisation_of=lambda run: run.program.organisation_id,
        pk=pk,
    )


def _report_url(program: Program, query: str = "") -> str:
    url = reverse("evaluation:report", args=[program.pk])
    return f"{url}?{query}" if query else url


def _run_query(run: EvaluationRun) -> str:
    data = {"period": run.period, "year": run.year, "date_from": run.date_from}
    data["date_to"] = run.date_to
    if run.parameters.get("pool_versions"):
        data["pool_versions"] = True
    return urlencode({k: str(v) for k, v in data.items() if v is not None})


@login_required
def home(request):
    """The evaluator's landing page: the organisation's programs, with their reports."""
    membership = current_membership(request, roles=REPORT_ROLES)
    programs = Program.objects.filter(organisation=membership.organisation).order_by("name")
    return render(request, "evaluation/reports/home.html", {"programs": programs})


@login_required
def report(request, program_id: int):
    program, role = get_program_for_user(request, program_id, roles=REPORT_ROLES)
    form = PeriodForm(request.GET or {"period": EvaluationRun.Period.ALL})
    context = {"program": program, "form": form, "years": periods.program_years(program)}
    if form.is_valid():
        key = runs.make_request_key(program=program, **form.request_kwargs())
        active = runs.active_run(key)
        external = role == EVALUATOR
        done = runs.latest_done(key, external=external)
        context.update(active=active, done=done, query=form.query())
        if active is not None:
            context["offer_foreground"] = _offer_foreground(active)
        if done is not None:
            # Evaluators are outside the organisation: they see what its exports show them.
            done.program = program  # the program read above: no second query
            context.update(
                present(done, external=external, cohort_page=request.GET.get("cohorts") or 1)
            )
    return render(request, "evaluation/reports/report.html", context)


def _offer_foreground(run: EvaluationRun) -> bool:
    """A run nobody queued (broker down), queued long ago and never started, or running
    for so long that its worker has probably died (``runs.is_stale``)."""
    if not run.task_id:
        return True
    if run.status == EvaluationRun.Status.RUNNING:
        return runs.is_stale(run)
    return run.status == EvaluationRun.Status.QUEUED and (
        timezone.now() - run.created_at > WAITING_TOO_LONG
    )


@login_required
@require_POST
def run_request(request, program_id: int):
    program, _role = get_program_for_user(request, program_id, roles=REPORT_ROLES)
    form = PeriodForm(request.POST)
    if not form.is_valid():
        context = {"program": program, "form": form, "years": periods.program_years(program)}
        return render(request, "evaluation/reports/report.html", context, status=400)
    try:
        asked = runs.request_run(program=program, by=request.user, **form.request_kwargs())
    except periods.ReportError:
        form.add_error(None, _("These figures cannot be computed for that period."))
        context = {"program": program, "form": form, "years": periods.program_years(program)}
        return render(request, "evaluation/reports/report.html", context, status=400)
    if not asked.queued:
        messages.warning(
            request,
            _(
                "The background worker cannot be reached right now. Your request is saved: "
                "compute the figures now on this page instead (it may take a little while)."
            ),
        )
    elif not asked.created:
        messages.info(request, _("These figures are already being computed; showing that run."))
    return redirect(_report_url(program, form.query()))


@login_required
def run_status(request, run_id: int):
    """The progress bar (polled by htmx); asks the page to reload once the run ends."""
    run, _role = _run_for_user(request, run_id)
    if run.status not in runs.ACTIVE:
        response = HttpResponse(status=204 if request.htmx else 200)
        if request.htmx:
            response["HX-Refresh"] = "true"
        else:
            response = redirect(_report_url(run.program, _run_query(run)))
        return response
    return render(
        request,
        "evaluation/reports/_progress.html",
        {"run": run, "offer_foreground": _offer_foreground(run)},
    )


@login_required
@require_POST
def run_now(request, run_id: int):
    """Compute a waiting run here and now (the broker or the worker is down)."""
    run, _role = _run_for_user(request, run_id)
    if run.status in runs.ACTIVE:
        run = runs.run_now(run=run, by=request.user, request=request)
        if run.status == EvaluationRun.Status.FAILED:
            messages.error(request, _("The figures could not be computed. The error is recorded."))
        elif run.status == EvaluationRun.Status.DONE:
            messages.success(request, _("The figures are computed."))
        else:
            messages.info(
                request,
                _("The figures are being computed here; this page shows how far it has got."),
            )
    return redirect(_report_url(run.program, _run_query(run)))


# --- presenting a stored result: evaluation.presenting ---------------------------------

present = presenting.present
summary = presenting.summary
