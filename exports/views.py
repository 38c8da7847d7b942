"""Export pages: choose an export, stream it or have a worker build it, download it.

Coordinators and evaluators of the organisation (facilitators 403, audited; other
organisations 404). Every export is audited with who, what and which filters. A job's
status and file are only for the person who asked for it.
"""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from evaluation.models import EvaluationRun
from peersupport.permissions import (
    COORDINATOR,
    REPORT_ROLES,
    current_membership,
    get_for_user,
    membership_for,
    require_role,
)
from peersupport.tasking import enqueue
from programs.access import get_program_for_user
from programs.models import Program

from . import files, report, services
from .forms import ExportForm
from .tasks import build_export
from .writers import CONTENT_TYPES

REPORT_FORMATS = ("csv", "xlsx", "pdf")


def _attachment(response, filename: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _page(request, membership, *, bound=None, status=200, extra=None):
    programs = Program.objects.filter(organisation=membership.organisation).order_by("name")
    runs = {}
    for run in (
        EvaluationRun.objects.filter(
            program__organisation=membership.organisation, status=EvaluationRun.Status.DONE
        )
        .order_by("program_id", "-finished_at")
        .only("id", "program_id", "period", "year", "date_from", "date_to", "finished_at")
    ):
        runs.setdefault(run.program_id, [])
        if len(runs[run.program_id]) < 3:
            runs[run.program_id].append(run)
    cards = [
        {
            "program": program,
            "form": bound
            if bound is not None and bound.program.pk == program.pk
            else ExportForm(program=program, role=membership.role),
            "runs": runs.get(program.pk, []),
        }
        for program in programs
    ]
    context = {
        "cards": cards,
        "is_coordinator_role": membership.role == COORDINATOR,
        "report_formats": REPORT_FORMATS,
        **(extra or {}),
    }
    return render(request, "exports/page.html", context, status=status)


@login_required
def exports(request):
    membership = current_membership(request, roles=REPORT_ROLES)
    return _page(request, membership)


@login_required
@require_POST
def export_download(request, program_id: int):
    program = get_program_for_user(request, program_id, roles=REPORT_ROLES)
    membership = membership_for(request.user, program.organisation)
    form = ExportForm(request.POST, program=program, role=membership.role)
    if not form.is_valid():
        return _page(request, membership, bound=form, status=400)
    data = form.cleaned_data
    kind, fmt, part = data["kind"], data["format"], data["part"]
    options = form.options()
    what = services.describe(kind, fmt, part, options, project_salt=bool(data["salt"]))
    exporter = services.make_exporter(program, kind, options)
    filename = exporter.filename(fmt)
    if part == "codebook":
        filename = filename.replace(f".{fmt}", f"_codebook.{fmt}")
    if fmt in services.STREAMED:
        services.audit_export(actor=request.user, program=program, what=what, request=request)
        response = StreamingHttpResponse(
            services.csv_stream(exporter, part), content_type=CONTENT_TYPES["csv"]
        )
        return _attachment(response, filename)
    if request.POST.get("foreground"):
        what["built"] = "foreground"
        services.audit_export(actor=request.user, program=program, what=what, request=request)
        path = files.export_dir() / f"{files.secrets.token_urlsafe(24)}.{fmt}"
        try:
            services.build_file(exporter, fmt, part, path)
            handle = open(path, "rb")  # noqa: SIM115 - readable until closed, name removed
        finally:
            path.unlink(missing_ok=True)
        response = FileResponse(handle, content_type=CONTENT_TYPES[fmt])
        return _attachment(response, filename)
    token = services.start_job(
        program=program, kind=kind, fmt=fmt, part=part, options=options,
        user=request.user, what=what,
    )  # fmt: skip
    what["job"] = token
    services.audit_export(
        actor=request.user, program=program, what=what, action="export.build", request=request
    )
    task_id = enqueue(build_export, token, actor=request.user, organisation=program.organisation)
    if task_id is None:
        files.write_status(token, state="failed", error="queue", options={})
        return _page(
            request,
            membership,
            bound=form,
            extra={"queue_failed": program.pk, "posted": request.POST},
            status=503,
        )
    return redirect("exports:status", token=token)


def _job_for_user(request, token: str) -> dict:
    """The job's status if it is the user's own; 404 otherwise (403 for a wrong role)."""
    status = files.read_status(token)
    if status is None:
        raise Http404
    require_role(request, status["organisation"], REPORT_ROLES)
    if status.get("user") != request.user.pk:
        raise Http404
    return status


@login_required
def export_status(request, token: str):
    status = _job_for_user(request, token)
    link = None
    if status.get("state") == "done":
        link = reverse("exports:file", args=[files.sign(token)])
    context = {"token": token, "status": status, "link": link, "hours": files.link_hours()}
    template = "exports/_job.html" if request.htmx else "exports/job.html"
    return render(request, template, context)


@login_required
def export_file(request, signed: str):
    token = files.unsign(signed)
    if token is None:
        return render(request, "exports/expired.html", status=410)
    status = _job_for_user(request, token)
    path = files.file_path(token, status["format"])
    if status.get("state") != "done" or not path.exists():
        return render(request, "exports/expired.html", status=410)
    handle = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    response = FileResponse(handle, content_type=CONTENT_TYPES[status["format"]])
    return _attachment(response, status.get("filename") or path.name)


@login_required
def report_export(request, run_id: int, fmt: str):
    """The figures of a finished run as CSV, XLSX or PDF."""
    run = get_for_user(
        request,
        EvaluationRun.objects.select_related("program__organisation"),
        roles=REPORT_ROLES,
        organisation_of=lambda r: r.program.organisation_id,
        pk=run_id,
    )
    if fmt not in REPORT_FORMATS or run.status != EvaluationRun.Status.DONE or not run.result:
        raise Http404
    membership = membership_for(request.user, run.program.organisation)
    external = membership.role != COORDINATOR or request.GET.get("audience") != "internal"
    services.audit_export(
        actor=request.user,
        program=run.program,
        what={"kind": "report", "run": run.pk, "format": fmt, "external": external},
        action="report.download",
        request=request,
    )
    name = f"{run.program.code}_report_{run.pk}.{fmt}"
    if fmt == "csv":
        from .writers import csv_chunks

        body = csv_chunks(report.variables(), report.rows(run, external=external))
        return _attachment(StreamingHttpResponse(body, content_type=CONTENT_TYPES["csv"]), name)
    if fmt == "xlsx":
        buffer = io.BytesIO()
        report.write_xlsx(run, buffer, external=external)
        return _attachment(
            HttpResponse(buffer.getvalue(), content_type=CONTENT_TYPES["xlsx"]), name
        )
    from .pdf import render_pdf

    pdf = render_pdf(run, external=external)
    return _attachment(HttpResponse(pdf, content_type=CONTENT_TYPES["pdf"]), name)
