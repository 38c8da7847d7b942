"""Export pages: choose an export, stream it or have a worker build it, download it.

Coordinators and evaluators of the organisation (facilitators 403, audited; other
organisations 404). Every export is audited with who, what and which filters. A job's
status and file are only for the person who asked for it.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from evaluation.models import EvaluationRun
from evaluation.runs import latest_done_per_request
from peersupport import jobs, storage
from peersupport.http import as_attachment
from peersupport.models import Job
from peersupport.permissions import (
    COORDINATOR,
    REPORT_ROLES,
    current_membership,
    get_for_user,
    require_role,
)
from peersupport.tasking import enqueue, run_in_background
from programs.access import get_program_for_user
from programs.models import Program

from . import files, report, services
from .forms import ExportForm
from .tasks import build_export
from .writers import CONTENT_TYPES

REPORT_FORMATS = ("csv", "xlsx", "pdf")
#: Report formats built by a background job, with a progress page (they take seconds).
REPORT_JOB_FORMATS = ("pdf",)


def _page(request, *, organisation, role, bound=None, status=200, extra=None):
    """The programs of ``organisation`` with their finished runs and export forms, for a
    member whose role there is ``role``."""
    programs = Program.objects.filter(organisation=organisation).order_by("name")
    runs = {}
    for run in latest_done_per_request(organisation=organisation).only(
        "id", "program_id", "period", "year", "date_from", "date_to", "finished_at", "parameters"
    ):
        runs.setdefault(run.program_id, [])
        if len(runs[run.program_id]) < 3:
            runs[run.program_id].append(run)
    cards = [
        {
            "program": program,
            "form": bound
            if bound is not None and bound.program.pk == program.pk
            else ExportForm(program=program, role=role),
            "runs": runs.get(program.pk, []),
        }
        for program in programs
    ]
    context = {
        "cards": cards,
        "is_coordinator_role": role == COORDINATOR,
        "report_formats": REPORT_FORMATS,
        "report_job_formats": REPORT_JOB_FORMATS,
        **(extra or {}),
    }
    return render(request, "exports/page.html", context, status=status)


@login_required
def exports(request):
    membership = current_membership(request, roles=REPORT_ROLES)
    return _page(request, organisation=membership.organisation, role=membership.role)


@login_required
@require_POST
def export_download(request, program_id: int):
    program, role = get_program_for_user(request, program_id, roles=REPORT_ROLES)
    form = ExportForm(request.POST, program=program, role=role)
    if not form.is_valid():
        return _page(request, organisation=program.organisation, role=role, bound=form, status=400)
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
        return as_attachment(response, filename)
    foreground = bool(request.POST.get("foreground"))
    job = services.start_job(
        program=program, kind=kind, fmt=fmt, part=part, options=options,
        user=request.user, what=what,
    )  # fmt: skip
    what["job"] = job.token
    if foreground:
        what["built"] = "foreground"
    services.audit_export(
        actor=request.user, program=program, what=what, action="export.build", request=request
    )
    if foreground:
        # The broker is down: built by a thread of this process, followed on the job's page.
        run_in_background(services.run_job, job.token, wait=settings.FOREGROUND_WAIT_SECONDS)
        return redirect("exports:status", token=job.token)
    task_id = enqueue(
        build_export, job.token, actor=request.user, organisation=program.organisation
    )
    if task_id is None:
        job.params["options"] = {}
        job.save(update_fields=["params"])
        jobs.job_set(job, state=Job.State.FAILED, error="queue")
        return _page(
            request,
            organisation=program.organisation,
            role=role,
            bound=form,
            extra={"queue_failed": program.pk, "posted": request.POST},
            status=503,
        )
    return redirect("exports:status", token=job.token)


def _job_for_user(request, token: str) -> Job:
    """The export job if it is the user's own; 404 otherwise (403 for a wrong role)."""
    job = files.get_job(token)
    if job is None:
        raise Http404
    require_role(request, job.organisation_id, REPORT_ROLES)
    if job.user_id != request.user.pk:
        raise Http404
    return job


def _job_page(request, job: Job, *, status: int = 200):
    link = reverse("exports:file", args=[files.sign(job.token)]) if job.state == "done" else None
    context = {
        "job": job,
        "token": job.token,
        "link": link,
        "hours": files.link_hours(),
        "stale": jobs.is_stale(job),
    }
    template = "exports/_job.html" if request.htmx else "exports/job.html"
    return render(request, template, context, status=status)


@login_required
def export_status(request, token: str):
    return _job_page(request, _job_for_user(request, token))


@login_required
@require_POST
def export_build_here(request, token: str):
    """A job no worker has taken up (the broker was down, the worker died): build it in a
    thread of this process instead; the request waits a few seconds at most."""
    job = _job_for_user(request, token)
    if job.state == Job.State.FAILED or jobs.is_stale(job):
        if job.state == Job.State.FAILED:
            jobs.job_set(job, state=Job.State.QUEUED, error="")
        run_in_background(services.run_job, job.token, wait=settings.FOREGROUND_WAIT_SECONDS)
    return redirect("exports:status", token=job.token)


@login_required
def export_file(request, signed: str):
    token = files.unsign(signed)
    if token is None:
        return render(request, "exports/expired.html", status=410)
    job = _job_for_user(request, token)
    name = files.file_name(job)
    try:
        if job.state != Job.State.DONE or not storage.exists(name):
            return render(request, "exports/expired.html", status=410)
        handle = storage.open_file(name)
    except storage.StorageUnavailable:
        return render(request, "exports/storage_down.html", status=503)
    program = Program.objects.get(pk=job.params["program"])
    what = {"job": job.token, "downloaded": job.params.get("what", {}).get("kind", "")}
    services.audit_export(actor=request.user, program=program, what=what, request=request)
    response = FileResponse(handle, content_type=CONTENT_TYPES[job.params["format"]])
    return as_attachment(response, job.result.get("filename") or name.rsplit("/", 1)[-1])


@login_required
@require_POST
def report_build(request, run_id: int, fmt: str):
    """Have the report file of a finished run built in the background, then follow its
    progress on the job page (which offers to build it here if no worker takes it)."""
    run, role = get_for_user(
        request,
        EvaluationRun.objects.select_related("program__organisation"),
        roles=REPORT_ROLES,
        organisation_of=lambda r: r.program.organisation_id,
        pk=run_id,
    )
    if fmt not in REPORT_JOB_FORMATS or run.status != EvaluationRun.Status.DONE or not run.result:
        raise Http404
    external = role != COORDINATOR or request.POST.get("audience") != "internal"
    what = {"kind": "report", "run": run.pk, "format": fmt, "external": external}
    job = services.start_report_job(
        run=run, fmt=fmt, external=external, user=request.user, what=what
    )
    services.audit_export(
        actor=request.user,
        program=run.program,
        what={**what, "job": job.token},
        action="export.build",
        request=request,
    )
    task_id = enqueue(
        build_export, job.token, actor=request.user, organisation=run.program.organisation
    )
    if task_id is None:
        jobs.job_set(job, state=Job.State.FAILED, error="queue")
    return redirect("exports:status", token=job.token)


@login_required
def report_export(request, run_id: int, fmt: str):
    """The figures of a finished run as CSV, XLSX or PDF."""
    run, role = get_for_user(
        request,
        EvaluationRun.objects.select_related("program__organisation"),
        roles=REPORT_ROLES,
        organisation_of=lambda r: r.program.organisation_id,
        pk=run_id,
    )
    if fmt not in REPORT_FORMATS or run.status != EvaluationRun.Status.DONE or not run.result:
        raise Http404
    external = role != COORDINATOR or request.GET.get("audience") != "internal"
    services.audit_export(
        actor=request.user,
        program=run.program,
        what={"kind": "report", "run": run.pk, "format": fmt, "external": external},
        action="report.download",
        request=request,
    )
    name = services.report_file_name(run, fmt)
    if fmt == "csv":
        body = report.csv_chunks(run, external=external)
        return as_attachment(StreamingHttpResponse(body, content_type=CONTENT_TYPES["csv"]), name)
    buffer = io.BytesIO()
    services.write_report(run, fmt, buffer, external=external)
    return as_attachment(HttpResponse(buffer.getvalue(), content_type=CONTENT_TYPES[fmt]), name)
