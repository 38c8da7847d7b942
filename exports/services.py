"""Making an export: options from a request, a file from an exporter, the audit entry.

Views and the background job both come here; views stay thin.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict
from datetime import date

from peersupport.audit import log_action
from peersupport.models import AuditEntry
from programs.models import Program

from . import files, writers
from .base import Exporter, ExportOptions
from .registry import EXPORTERS

logger = logging.getLogger(__name__)

#: Formats streamed during the request; the others are built into a file.
STREAMED = ("csv",)
PROGRESS_EVERY = 5000


def make_exporter(program: Program, kind: str, options: ExportOptions) -> Exporter:
    return EXPORTERS[kind](program=program, options=options)


def audit_export(*, actor, program: Program, what: dict, request=None) -> None:
    """Who exported what, with which filters: never a salt, key or identifying value."""
    log_action(
        actor=actor,
        action=AuditEntry.Action.EXPORT,
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


def _counting(rows, total: int | None, progress: Callable[[int], None] | None):
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
    progress: Callable[[int], None] | None = None,
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


def start_job(*, program, kind, fmt, part, options, user, what) -> str:
    """Save a job's description (committed before any worker looks); its token."""
    return files.new_job(
        organisation=program.organisation_id,
        user=user.pk,
        program=program.pk,
        kind=kind,
        format=fmt,
        part=part,
        options=options_to_json(options),
        what=what,
    )


def run_job(token: str) -> dict | None:
    """Build the file of a queued job; safe to run twice (a finished job is left alone)."""
    status = files.read_status(token)
    if status is None or status.get("state") in ("done", "failed"):
        return status
    files.write_status(token, state="running", progress=5)
    try:
        program = Program.objects.get(pk=status["program"])
        exporter = make_exporter(program, status["kind"], options_from_json(status["options"]))
        ext = status["format"]
        build_file(
            exporter, ext, status["part"], files.file_path(token, ext),
            progress=lambda p: files.write_status(token, progress=p),
        )  # fmt: skip
        name = exporter.filename(ext)
        if status["part"] == "codebook":
            name = name.replace(f".{ext}", f"_codebook.{ext}")
    except Exception as exc:
        logger.exception("Export job failed")
        options = {**status["options"], "pseudonym_key": ""}
        return files.write_status(token, state="failed", error=type(exc).__name__, options=options)
    # The key is not needed any more: forget it.
    options = {**status["options"], "pseudonym_key": ""}
    return files.write_status(token, state="done", progress=100, filename=name, options=options)
