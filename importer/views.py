"""The upload page for import bundles: dry run and summary first, then "confirm import"."""

import io
import zipfile

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from peersupport import storage
from peersupport.http import as_attachment
from peersupport.jobs import is_stale, job_set
from peersupport.models import Job
from peersupport.permissions import COORDINATOR, current_membership, require_role
from peersupport.tasking import enqueue, run_in_background

from . import jobs, services, spec
from .tasks import check_uploaded_bundle, import_uploaded_bundle


class BundleUploadForm(forms.Form):
    bundle = forms.FileField(
        label=gettext_lazy("Import bundle (.zip)"),
        help_text=gettext_lazy(
            "A .zip of the CSV files (programs.csv, participants.csv, attendance.csv …), "
            "at its top or in one folder inside it."
        ),
    )

    def clean_bundle(self):
        bundle = self.cleaned_data["bundle"]
        if not bundle.name.lower().endswith(".zip"):
            raise forms.ValidationError(gettext_lazy("Choose a .zip file."))
        return bundle


def _job_for(request, token: str) -> Job:
    """The upload's job; 404 for a stranger or an unknown token, 403 for another role."""
    job = jobs.get_job(token)
    if job is None:
        raise Http404
    require_role(request, job.organisation_id, [COORDINATOR])
    return job


def _check(request, job: Job, *, organisation) -> None:
    """The dry run: here for a small bundle, by a worker for a large one (a web request is
    not held while hundreds of megabytes are read), here after all if no worker answers."""
    if job.params.get("size", 0) > jobs.FOREGROUND_MAX_BYTES:
        if enqueue(check_uploaded_bundle, job.token, actor=request.user, organisation=organisation):
            return
        messages.warning(
            request,
            _("The background worker could not be reached, so the bundle is checked here."),
        )
        _here(services.check_stored_upload, token=job.token)
        return
    services.dry_run_upload(job=job, organisation=organisation, request=request)


def _here(fn, **kwargs) -> None:
    """Run a job no worker takes in a thread of this process (``run_in_background``):
    the request waits a few seconds at most, then the status page follows the job."""
    run_in_background(fn, wait=settings.FOREGROUND_WAIT_SECONDS, **kwargs)


@login_required
def import_upload(request):
    membership = current_membership(request, roles=[COORDINATOR])
    form = BundleUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = jobs.store_upload(
                form.cleaned_data["bundle"],
                organisation=membership.organisation,
                user=request.user,
            )
        except storage.StorageUnavailable:
            form.add_error(
                "bundle",
                _(
                    "The file store cannot be reached right now, so nothing was kept. "
                    "Please try again in a few minutes."
                ),
            )
        except jobs.UploadTooLarge:
            form.add_error(
                "bundle",
                _("The file is larger than %(mb)s MB.") % {"mb": jobs.MAX_UPLOAD_BYTES // 1024**2},
            )
        else:
            _check(request, job, organisation=membership.organisation)
            return redirect("importer:status", token=job.token)
    return render(request, "importer/upload.html", {"form": form, "files": _file_columns()})


#: The values a column accepts, shown beside it on the upload page (docs/import-format.md).
ALLOWED = {
    ("instrument_items.csv", "reverse"): ("0", "1"),
    ("sessions.csv", "status"): spec.SESSION_STATUSES,
    ("participants.csv", "consent_evaluation"): spec.CONSENT,
    ("enrollments.csv", "status"): spec.ENROLLMENT_STATUSES,
    ("attendance.csv", "status"): spec.ATTENDANCE_STATUSES,
    ("survey_responses.csv", "timepoint"): spec.TIMEPOINTS,
}


def _file_columns() -> list[dict]:
    """Each file of a bundle, in the order they are read, with its columns."""
    return [
        {
            "name": file.name,
            "columns": [
                {
                    "name": column,
                    "required": column in file.required,
                    "allowed": "/".join(ALLOWED.get((file.name, column), ())),
                }
                for column in file.columns
            ],
        }
        for file in spec.SPECS
    ]


@login_required
def import_template(request):
    """A .zip holding every file of a bundle with its header row: fill in the ones you
    need, delete the others."""
    current_membership(request, roles=[COORDINATOR])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for file in spec.SPECS:
            bundle.writestr(f"import-bundle/{file.name}", ",".join(file.columns) + "\r\n")
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    return as_attachment(response, "import-bundle-template.zip")


#: The page that lists what each file of a bundle creates, in the order of the files.
IMPORTED_PAGES = {
    "programs.csv": ("programs:program_list", gettext_lazy("Programs")),
    "modules.csv": ("programs:program_list", gettext_lazy("Programs")),
    "program_targets.csv": ("programs:program_list", gettext_lazy("Programs")),
    "instruments.csv": ("surveys:instrument_list", gettext_lazy("Instruments")),
    "instrument_items.csv": ("surveys:instrument_list", gettext_lazy("Instruments")),
    "cohorts.csv": ("groupsessions:cohort_list", gettext_lazy("Cohorts")),
    "sessions.csv": ("groupsessions:cohort_list", gettext_lazy("Cohorts")),
    "attendance.csv": ("groupsessions:cohort_list", gettext_lazy("Cohorts")),
    "participants.csv": ("participants:list", gettext_lazy("Participants")),
    "enrollments.csv": ("participants:list", gettext_lazy("Participants")),
    "survey_responses.csv": ("surveys:survey_overview", gettext_lazy("Surveys")),
}


def _imported_pages(report: dict) -> list[tuple[str, str]]:
    """``(label, url)`` of the pages that show what an import created or changed."""
    pages: dict[str, str] = {}
    for counts in report.get("files", []):
        page = IMPORTED_PAGES.get(counts["file"])
        if page and (counts.get("created") or counts.get("updated")):
            pages.setdefault(reverse(page[0]), str(page[1]))
    return [(label, url) for url, label in pages.items()]


@login_required
def import_status(request, token):
    job = _job_for(request, token)
    stale = is_stale(job)
    return render(
        request,
        "importer/status.html",
        {
            "token": token,
            "job": job,
            "report": job.result.get("report") or {},
            "imported_pages": _imported_pages(job.result.get("report") or {})
            if job.state == Job.State.DONE
            else [],
            "busy": job.state in Job.WAITING and not stale,
            "stale": stale,
        },
    )


@login_required
@require_POST
def import_check_here(request, token):
    """A check no worker took up (the broker was down, the worker died): run it here."""
    job = _job_for(request, token)
    if job.state in (Job.State.UPLOADED, Job.State.CHECKING) and is_stale(job):
        _here(services.check_stored_upload, token=job.token)
    return redirect("importer:status", token=token)


@login_required
@require_POST
def import_confirm(request, token):
    job = _job_for(request, token)
    stale = is_stale(job) and job.state not in (Job.State.UPLOADED, Job.State.CHECKING)
    if job.state != Job.State.CHECKED and not stale:
        messages.info(request, _("This upload has already been imported or cannot be imported."))
        return redirect("importer:status", token=token)
    if job.params.get("size", 0) > jobs.FOREGROUND_MAX_BYTES and not stale:
        job_set(job, state=Job.State.QUEUED, progress=0)
        task_id = enqueue(
            import_uploaded_bundle,
            token,
            request.user.pk,
            actor=request.user,
            organisation=request.membership.organisation
            if request.membership and request.membership.organisation_id == job.organisation_id
            else None,
        )
        if task_id is not None:
            return redirect("importer:status", token=token)
        messages.warning(
            request,
            _(
                "The background worker could not be reached, so the import runs here; "
                "this page shows how far it has got."
            ),
        )
        _here(services.run_stored_import, token=token, actor_id=request.user.pk)
        return redirect("importer:status", token=token)
    if stale:
        _here(services.run_stored_import, token=token, actor_id=request.user.pk)
        return redirect("importer:status", token=token)
    if job.state == Job.State.CHECKED:
        job_set(job, state=Job.State.CONFIRMED)
    state = services.run_stored_import(token=token, actor_id=request.user.pk, request=request)
    if state == "done":
        messages.success(request, _("The bundle was imported."))
    return redirect("importer:status", token=token)
