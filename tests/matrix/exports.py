from evaluation.models import EvaluationRun
from tests.factories import ProgramFactory
from tests.matrix.base import Entry, reports


def build(world):
    """A finished run, and a finished export job of ``world.coordinator``."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from evaluation import figures
    from exports import files
    from peersupport.jobs import job_set

    world.export_program = ProgramFactory(organisation=world.org, code="matrix-export")
    world.export_run = EvaluationRun.objects.create(
        program=world.export_program,
        period=EvaluationRun.Period.ALL,
        request_key=f"matrix-export-{world.export_program.pk}",
        status=EvaluationRun.Status.DONE,
        result=figures.report_all_years(world.export_program),
        parameters={"min_cell": 5},
    )
    job = files.new_job(
        organisation_id=world.org.pk,
        user_id=world.coordinator.pk,
        program=world.export_program.pk,
        kind="attendance",
        format="csv",
        part="data",
        options={},
    )
    default_storage.save(files.file_name(job), ContentFile(b"\xef\xbb\xbfcohort\r\n"))
    job_set(job, state="done", progress=100, result={"filename": "a.csv"})
    world.export_token = job.token


def _signed_file(w):
    from exports import files

    return {"signed": files.sign(w.export_token)}


def _mine_only(ok: int = 200) -> dict[str, int]:
    """A job's page and file: only the coordinator who asked (others of the org 404)."""
    return {**reports(ok), "evaluator": 404}


ENTRIES = [
    # Coordinators and evaluators; another organisation's coordinator sees their own page.
    Entry("exports:index", reports(outsider=200)),
    Entry(
        "exports:download",
        reports(),
        method="post",
        kwargs=lambda w: {"program_id": w.export_program.pk},
        data=lambda w: {
            "kind": "attendance",
            "format": "csv",
            "part": "data",
            "values": "coded",
            "dates": "none",
            "period": "all",
            "audience": "external",
        },
    ),
    Entry(
        "exports:report",
        reports(),
        kwargs=lambda w: {"run_id": w.export_run.pk, "fmt": "csv"},
    ),
    Entry(
        "exports:report_build",
        reports(302),
        method="post",
        kwargs=lambda w: {"run_id": w.export_run.pk, "fmt": "pdf"},
    ),
    Entry("exports:status", _mine_only(), kwargs=lambda w: {"token": w.export_token}),
    # Only for a job no worker took up (this one is done): back to its page.
    Entry(
        "exports:build_here",
        _mine_only(302),
        method="post",
        kwargs=lambda w: {"token": w.export_token},
    ),
    Entry(
        "exports:file",
        _mine_only(),
        kwargs=_signed_file,
    ),
]
