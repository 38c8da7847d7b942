"""Making an export: options from a request, a file from an exporter, the audit entry.

Views and the background job both come here; views stay thin.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from datetime import date

from django.utils import translation

from evaluation import periods
from evaluation.models import EvaluationRun
from peersupport import jobs, storage
from peersupport.audit import log_action
from peersupport.models import Job
from programs.models import Program

from . import files, privacy, writers
from .base import DATES_NONE, Exporter, ExportOptions
from .registry import EXPORTERS

logger = logging.getLogger(__name__)

#: Formats streamed during the request; the others are built into a file.
STREAMED = ("csv",)
PROGRESS_EVERY = 5000


def export_options(
    *,
    program: Program,
    labels: bool = False,
    dates: str = DATES_NONE,
    external: bool = True,
    salt: str = "",
    year: int | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
) -> ExportOptions:
    """What an export page or ``manage.py export`` asked for: a program ``year`` (raises
    ``periods.ReportError`` before Year 1) or cohort start dates, and pseudonyms keyed by
    the project ``salt`` (a new random salt when empty)."""
    if year is not None:
        period = periods.year_period(program, year)
        period_start, period_end = period.start, period.end
    return ExportOptions(
        labels=labels,
        dates=dates,
        external=external,
        pseudonym_key=privacy.pseudonym_key(salt or privacy.new_salt()),
        period_start=period_start,
        period_end=period_end,
        year=year,
    )


def make_exporter(program: Program, kind: str, options: ExportOptions) -> Exporter:
    return EXPORTERS[kind](program=program, options=options)


def audit_export(
    *, actor, program: Program, what: dict, action: str = "export.download", request=None
) -> None:
    """Who exported what, with which filters: never a salt, key or identifying value.
    ``action``: ``export.download``, ``export.build`` (queued) or ``report.download``."""
    log_action(
        actor=actor,
        action=action,
        obj=program,
        detail={"export": what},
        request=request,
    )


def describe(kind: str, fmt: str, part: str, options: ExportOptions, *, project_salt: bool) -> dict:
    return {
        "kind": kind,
        "format": fmt,
        "part": part,
        "labels": options.labels,
        "dates": options.dates,
        "external": options.external,
        "period_start": options.period_start.isoformat() if options.period_start else None,
        "period_end": options.period_end.isoformat() if options.period_end else None,
        "year": options.year,
        "project_salt": project_salt,
        "min_cell": options.min_cell,
    }


def csv_stream(exporter: Exporter, part: str):
    if part == "codebook":
        return writers.csv_chunks(
            writers.codebook_variables(), writers.codebook_rows(exporter.variables())
        )
    return writers.csv_chunks(exporter.variables(), exporter.rows(), labels=exporter.options.labels)


def _counting(rows, total: int | None, progress: Callable[[int], object] | None):
    if progress is None:
        yield from rows
        return
    for n, row in enumerate(rows, start=1):
        if n % PROGRESS_EVERY == 0 and total:
            progress(min(95, 5 + int(90 * n / total)))
        yield row


def build_file(
    exporter: Exporter,
    fmt: str,
    part: str,
    target,
    *,
    progress: Callable[[int], object] | None = None,
) -> None:
    """Write the export (or its codebook) in ``fmt`` to ``target`` (a path or a file)."""
    variables = exporter.variables()
    if part == "codebook":
        variables, rows, labels = (
            writers.codebook_variables(),
            writers.codebook_rows(variables),
            False,
        )
    else:
        total = exporter.count() if progress else None
        rows, labels = _counting(exporter.rows(), total, progress), exporter.options.labels
    if fmt == "csv":
        with open(target, "wb") as out:
            for chunk in writers.csv_chunks(variables, rows, labels=labels):
                out.write(chunk)
    elif fmt == "xlsx":
        writers.write_xlsx(
            target, variables, rows, labels=labels, title=exporter.identifier,
            notes=exporter.codebook_notes(),
        )  # fmt: skip
    elif fmt in ("sav", "dta"):
        writers.write_statistical(
            str(target), fmt, variables, rows, file_label=str(exporter.verbose_name)
        )
    else:
        raise ValueError(f"Unknown format {fmt!r}")


def write_report(run, fmt: str, target, *, external: bool) -> None:
    """The report of a finished evaluation run as CSV, XLSX or PDF into ``target`` (a
    path or a binary file): what the report links of the pages and ``manage.py export``
    download."""
    from . import report

    if fmt == "xlsx":
        report.write_xlsx(run, target, external=external)
        return
    if fmt == "csv":
        data = b"".join(report.csv_chunks(run, external=external))
    elif fmt == "pdf":
        from .pdf import render_pdf

        data = render_pdf(run, external=external)
    else:
        raise ValueError(f"Unknown report format {fmt!r}")
    if hasattr(target, "write"):
        target.write(data)
    else:
        with open(target, "wb") as out:
            out.write(data)


# --- background jobs ----------------------------------------------------------------------


def options_to_json(options: ExportOptions) -> dict:
    data = asdict(options)
    data["pseudonym_key"] = options.pseudonym_key.hex()
    for key in ("period_start", "period_end"):
        data[key] = data[key].isoformat() if data[key] else None
    return data


def options_from_json(data: dict) -> ExportOptions:
    data = dict(data)
    data["pseudonym_key"] = bytes.fromhex(data.get("pseudonym_key", ""))
    for key in ("period_start", "period_end"):
        data[key] = date.fromisoformat(data[key]) if data.get(key) else None
    return ExportOptions(**data)


def start_job(*, program, kind, fmt, part, options, user, what) -> Job:
    """Save a job's description (committed before any worker looks)."""
    return files.new_job(
        organisation_id=program.organisation_id,
        user_id=user.pk,
        program=program.pk,
        kind=kind,
        format=fmt,
        part=part,
        options=options_to_json(options),
        what=what,
        # Labels, codebook and notes are written in the language of whoever asked.
        language=translation.get_language(),
    )


def start_report_job(*, run, fmt: str, external: bool, user, what: dict) -> Job:
    """Save the job that builds a finished run's report file (a PDF takes seconds: the
    person watches its progress instead of a page that does not answer)."""
    return files.new_job(
        organisation_id=run.program.organisation_id,
        user_id=user.pk,
        program=run.program_id,
        kind="report",
        run=run.pk,
        format=fmt,
        part="data",
        external=external,
        what=what,
    )


def build_report_file(run_id: int, fmt: str, external: bool, path: str) -> str:
    """Write the report of run ``run_id`` in ``fmt`` to ``path`` (``write_report``);
    answers its file name, the one the report links give it."""
    run = EvaluationRun.objects.select_related("program").get(pk=run_id)
    write_report(run, fmt, path, external=external)
    return report_file_name(run, fmt)


def report_file_name(run, fmt: str) -> str:
    return f"{run.program.code}_report_{run.pk}.{fmt}"


def _forget_key(job: Job) -> dict:
    """The job's parameters without the pseudonym key, which is not needed any more."""
    if "options" not in job.params:
        return job.params
    return {**job.params, "options": {**job.params["options"], "pseudonym_key": ""}}


def run_job(token: str) -> Job | None:
    """Build the file of a queued job into storage; safe to run twice (a job finished or
    being built elsewhere is left alone), and by any host: nothing is read from disk."""
    job = files.get_job(token)
    if job is None or not jobs.job_claim(job, from_states=[Job.State.QUEUED]):
        return job
    params = job.params
    ext = params["format"]
    jobs.job_progress(job, 5)
    if params["kind"] == "report":
        return _run_report_job(job)
    try:
        program = Program.objects.get(pk=params["program"])
        with translation.override(params.get("language")), tempfile.TemporaryDirectory() as folder:
            exporter = make_exporter(program, params["kind"], options_from_json(params["options"]))
            path = os.path.join(folder, f"export.{ext}")
            build_file(
                exporter, ext, params["part"], path,
                progress=lambda percent: jobs.job_progress(job, percent),
            )  # fmt: skip
            storage.save(files.file_name(job), path)
        name = exporter.filename(ext)
        if params["part"] == "codebook":
            name = name.replace(f".{ext}", f"_codebook.{ext}")
    except Exception as exc:
        logger.exception("Export job failed")
        Job.objects.filter(pk=job.pk).update(params=_forget_key(job))
        return jobs.job_set(job, state=Job.State.FAILED, error=type(exc).__name__)
    Job.objects.filter(pk=job.pk).update(params=_forget_key(job))
    return jobs.job_set(job, state=Job.State.DONE, progress=100, result={"filename": name})


def _run_report_job(job: Job) -> Job:
    params = job.params
    jobs.job_progress(job, 10)
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, f"report.{params['format']}")
            name = build_report_file(params["run"], params["format"], params["external"], path)
            jobs.job_progress(job, 90)
            storage.save(files.file_name(job), path)
    except Exception as exc:
        logger.exception("Report job failed")
        return jobs.job_set(job, state=Job.State.FAILED, error=type(exc).__name__)
    return jobs.job_set(job, state=Job.State.DONE, progress=100, result={"filename": name})
