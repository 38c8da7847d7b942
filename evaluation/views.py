"""Report pages: choose a period, request a run, watch it, read the figures.

Coordinators and evaluators only (facilitators 403, other organisations 404). Figures
come from stored runs (``evaluation.runs``); the page never computes them itself, except
when the user asks to compute a waiting run in the foreground.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from participants.models import Participant
from peersupport.permissions import REPORT_ROLES, Access, current_membership, get_for_user
from programs.access import get_program_for_user
from programs.models import Program
from surveys.instruments import score_note
from surveys.models import Instrument

from . import charts, periods, runs
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
    program, _role = get_program_for_user(request, program_id, roles=REPORT_ROLES)
    form = PeriodForm(request.GET or {"period": EvaluationRun.Period.ALL})
    context = {"program": program, "form": form, "years": periods.program_years(program)}
    if form.is_valid():
        key = runs.make_request_key(program=program, **form.request_kwargs())
        active = runs.active_run(key)
        done = runs.latest_done(key)
        context.update(active=active, done=done, query=form.query())
        if active is not None:
            context["offer_foreground"] = _offer_foreground(active)
        if done is not None:
            context.update(present(done, cohort_page=request.GET.get("cohorts")))
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


# --- presenting a stored result ----------------------------------------------------------


def _fmt(value, decimals=1) -> str:
    """Rounded half up (16.45 -> 16.5), in the reader's number format."""
    step = Decimal(1).scaleb(-decimals)
    return number_format(Decimal(repr(float(value))).quantize(step, ROUND_HALF_UP), decimals)


def _cell(obj: dict, key: str, *, kind: str = "num", prefix: str = "", min_cell: int = 5):
    """One table cell: "n<5" when suppressed, a dash when empty, else the formatted value."""
    if prefix + key in obj["suppressed"]:
        return {"text": _("n<%(min)s") % {"min": min_cell}, "suppressed": True}
    value = _lookup(obj, prefix + key)
    if value is None:
        return {"text": "—", "suppressed": False}
    if kind == "int":
        text = _fmt(value, 0)
    elif kind == "pct":  # a fraction 0..1
        text = _("%(v)s%%") % {"v": _fmt(100 * value, 0)}
    elif kind == "pct100":  # already 0..100
        text = _("%(v)s%%") % {"v": _fmt(value, 0)}
    elif kind == "p":
        text = "<0.001" if value < 0.001 else _fmt(value, 3)
    elif kind == "num2":
        text = _fmt(value, 2)
    else:
        text = _fmt(value, 1)
    return {"text": text, "suppressed": False}


def _lookup(obj: dict, dotted: str):
    if dotted.startswith("instruments."):
        _, code, key = dotted.split(".", 2)
        return obj["instruments"].get(code, {}).get(key)
    return obj.get(dotted)


def period_label(obj: dict) -> str:
    if obj.get("year"):
        return _("Year %(year)s") % {"year": obj["year"]}
    return _("%(start)s to %(end)s") % {"start": obj["period_start"], "end": obj["period_end"]}


def summary(obj: dict, names: dict[str, str], withheld: frozenset[str] = frozenset()) -> str:
    """One plain-language sentence from a period's figures; suppressed parts and withheld
    instruments are left out."""
    label = period_label(obj)
    n = obj["participants"]
    parts = []
    if n is None:
        parts.append(_("Fewer than %(min)s participants took part in %(period)s") % {
            "min": obj.get("_min_cell", 5), "period": label})  # fmt: skip
    else:
        parts.append(
            ngettext(
                "%(n)s participant took part in %(period)s",
                "%(n)s participants took part in %(period)s",
                n,
            )
            % {"n": _fmt(n, 0), "period": label}
        )
    attended, offered, rate = (
        obj["sessions_attended_mean"],
        obj["sessions_offered_mean"],
        obj["attendance_rate"],
    )
    if attended is not None and offered is not None and rate is not None:
        parts[0] += _(", attending %(mean)s (%(pct)s%%) of %(offered)s sessions on average") % {
            "mean": _fmt(attended),
            "pct": _fmt(100 * rate, 0),
            "offered": _fmt(offered, 0 if float(offered).is_integer() else 1),
        }
    for code, inst in obj["instruments"].items():
        if code in withheld:
            continue
        name = names.get(code, code)
        pct, target = inst["post_meeting_target_pct"], inst["target_pct"]
        if pct is not None and target is not None:
            parts.append(
                _("%(pct)s%% met the %(name)s target at post-test against a target of %(t)s%%")
                % {"pct": _fmt(pct, 0), "name": name, "t": _fmt(target, 0)}
            )
        elif pct is not None:
            parts.append(
                _("%(pct)s%% met the %(name)s target at post-test")
                % {"pct": _fmt(pct, 0), "name": name}
            )
        pre, post = inst["pre_mean"], inst["post_mean"]
        if pre is not None and post is not None:
            values = {"name": name, "pre": _fmt(pre), "post": _fmt(post)}
            if round(post, 1) > round(pre, 1):
                parts.append(_("mean %(name)s rose from %(pre)s to %(post)s") % values)
            elif round(post, 1) < round(pre, 1):
                parts.append(_("mean %(name)s fell from %(pre)s to %(post)s") % values)
            else:
                parts.append(_("mean %(name)s stayed at %(pre)s") % values)
    return "; ".join(parts) + "."


def _participation_row(obj, min_cell, label=None):
    c = lambda key, kind="num": _cell(obj, key, kind=kind, min_cell=min_cell)  # noqa: E731
    return {
        "label": period_label(obj) if label is None else label,
        "cells": [
            c("participants", "int"),
            c("enrollments", "int"),
            c("sessions_offered_mean"),
            c("sessions_attended_mean"),
            c("attendance_rate", "pct"),
            c("completion_rate", "pct"),
        ],
    }


def _instrument_row(obj, code, min_cell):
    prefix = f"instruments.{code}."

    def c(key, kind="num"):
        return _cell(obj, key, kind=kind, prefix=prefix, min_cell=min_cell)

    return {
        "label": period_label(obj),
        "cells": [
            c("pre_n", "int"),
            c("post_n", "int"),
            c("matched_n", "int"),
            c("pre_mean"),
            c("post_mean"),
            c("mean_change"),
            c("p_value", "p"),
            c("wilcoxon_p", "p"),
            c("effect_size_dz", "num2"),
            c("post_meeting_target_pct", "pct100"),
            c("target_pct", "pct100"),
        ],
    }


#: The by-cohort table shows this many cohorts a page (the largest program has thousands;
#: the downloads hold them all).
COHORT_ROWS = 50


def _cohort_page(by_cohort: list, asked) -> dict:
    pages = max(1, -(-len(by_cohort) // COHORT_ROWS))
    try:
        number = min(max(1, int(asked or 1)), pages)
    except (TypeError, ValueError):
        number = 1
    first = (number - 1) * COHORT_ROWS
    return {
        "number": number,
        "pages": pages,
        "total": len(by_cohort),
        "first": first + 1,
        "last": min(first + COHORT_ROWS, len(by_cohort)),
        "previous": number - 1 if number > 1 else None,
        "next": number + 1 if number < pages else None,
        "rows": by_cohort[first : first + COHORT_ROWS],
    }


def present(run: EvaluationRun, *, cohort_page=None) -> dict:
    """Tables, charts and summary sentences for a finished run; the by-cohort table
    shows page ``cohort_page`` of ``COHORT_ROWS`` cohorts."""
    result = run.result or {}
    min_cell = run.parameters.get("min_cell", 5)
    objects = [*result["years"], result["total"]] if "years" in result else [result]
    periods = result.get("years", [result])
    codes = list(objects[0]["instruments"]) if objects else []
    current = {
        i.code: i
        for i in Instrument.objects.filter(
            organisation_id=run.program.organisation_id, code__in=codes, is_current=True
        )
    }
    names = {code: i.name for code, i in current.items()}
    for obj in objects:
        obj["_min_cell"] = min_cell
    details = run.details or {}
    pooled = bool(run.parameters.get("pool_versions"))
    versions = {code: version_note(code, details, pooled=pooled) for code in codes}
    withheld = frozenset(code for code, v in versions.items() if v["withheld"])
    instruments = [
        {
            "code": code,
            "name": names.get(code, code),
            "note": score_note(current[code]) if code in current else "",
            "versions": versions[code],
            "rows": []
            if code in withheld
            else [_instrument_row(obj, code, min_cell) for obj in objects],
        }
        for code in codes
    ]
    last = objects[-1]
    chart_list = [
        charts.bar_chart(
            _("Attendance rate by year (%)"),
            [(period_label(o), _pct(o["attendance_rate"])) for o in periods],
            top=100,
        )
    ]
    for code in codes:
        if code in withheld:
            continue
        target = periods[0]["instruments"][code]["target_pct"] if periods else None
        name = names.get(code, code)
        chart_list.append(
            charts.bar_chart(
                _("%(name)s: %% meeting the target at post-test") % {"name": name},
                [
                    (period_label(o), o["instruments"][code]["post_meeting_target_pct"])
                    for o in periods
                ],
                top=100,
                target=target,
                target_text=_("target %(t)s%%") % {"t": _fmt(target, 0)} if target else "",
            )
        )
        ci = details.get("intervals", {}).get(code, {})
        inst = last["instruments"][code]
        chart_list.append(
            charts.interval_chart(
                _("%(name)s: mean before and after (95%% confidence interval)")
                % {"name": names.get(code, code)},
                [
                    (_("Pre"), inst["pre_mean"], ci.get("pre_ci")),
                    (_("Post"), inst["post_mean"], ci.get("post_ci")),
                ],
            )
        )
    return {
        "participation_headers": [
            _("Participants"),
            _("Enrollments"),
            _("Sessions offered (mean)"),
            _("Sessions attended (mean)"),
            _("Attendance"),
            _("Completion"),
        ],
        "instrument_headers": [
            _("Pre n"),
            _("Post n"),
            _("Matched n"),
            _("Pre mean"),
            _("Post mean"),
            _("Change"),
            _("p (t-test)"),
            _("p (Wilcoxon)"),
            _("Effect size d"),
            _("% meeting target"),
            _("Program target"),
        ],
        "module_headers": [_("Sessions offered"), _("Sessions attended"), _("Attendance")],
        "participation_rows": [_participation_row(o, min_cell) for o in objects],
        "instrument_tables": instruments,
        "summaries": [summary(o, names, withheld) for o in periods if o["enrollments"] != 0],
        "withheld": sorted(withheld),
        "charts": chart_list,
        "min_cell": min_cell,
        "details": details,
        "module_rows": [
            {
                "label": m["module"] or _("No module"),
                "cells": [
                    _cell(m, "sessions_offered", kind="int", min_cell=min_cell),
                    _cell(m, "sessions_attended", kind="int", min_cell=min_cell),
                    _cell(m, "attendance_rate", kind="pct", min_cell=min_cell),
                ],
            }
            for m in details.get("by_module", [])
        ],
        "cohort_page": (page := _cohort_page(details.get("by_cohort", []), cohort_page)),
        "cohort_rows": [_participation_row(c, min_cell, c["group"]) for c in page["rows"]],
        "group_tables": [
            {
                "title": GROUP_TITLES.get(field, field),
                "rows": [
                    _participation_row(g, min_cell, _group_label(field, g["group"])) for g in groups
                ],
            }
            for field, groups in details.get("by_group", {}).items()
        ],
    }


def _and(versions: list[int]) -> str:
    numbers = [str(v) for v in versions]
    if len(numbers) == 1:
        return numbers[0]
    return _("%(list)s and %(last)s") % {"list": ", ".join(numbers[:-1]), "last": numbers[-1]}


def version_note(code: str, details: dict, *, pooled: bool) -> dict:
    """What the page says about the versions an instrument's figures combine (from the
    run's ``details``; nothing for one version, or a run stored before versions were
    recorded), and whether its figures are withheld: versions that score differently are
    only shown pooled when the run asked for it."""
    use = details.get("versions", {}).get(code)
    if not use or len(use["versions"]) < 2:
        return {"text": "", "withheld": False, "differs": False}
    values = {"versions": _and(use["versions"]), "code": code}
    if use["same_scoring"]:
        text = _("Combines versions %(versions)s of %(code)s, which score answers the same way.")
        return {"text": text % values, "withheld": False, "differs": False}
    if pooled:
        text = _(
            "Pools versions %(versions)s of %(code)s, as asked, although they score answers "
            "differently: read these figures with that in mind."
        )
        return {"text": text % values, "withheld": False, "differs": True}
    text = _(
        "The figures for %(code)s are withheld: its surveys in this period were answered on "
        "versions %(versions)s, which score answers differently. To compute them pooled "
        "anyway, tick “Pool instrument versions that score differently” and compute again."
    )
    return {"text": text % values, "withheld": True, "differs": True}


GROUP_TITLES = {
    "gender_identity": gettext_lazy("By gender identity"),
    "indigenous_identity": gettext_lazy("By Indigenous identity"),
    "racialised": gettext_lazy("By racialised / visible minority"),
}


def _group_label(field: str, value) -> str:
    if not value:
        return _("Not recorded")
    choices = dict(Participant._meta.get_field(field).choices)
    return str(choices.get(value, value))


def _pct(value):
    return None if value is None else 100 * value
