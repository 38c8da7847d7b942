from evaluation.models import EvaluationRun
from tests.factories import ProgramFactory
from tests.matrix.base import Entry, reports


def build(world):
    """A finished run, and a finished export job of ``world.coordinator``."""
    from evaluation import figures
    from exports import files

    world.export_program = ProgramFactory(organisation=world.org, code="matrix-export")
    world.export_run = EvaluationRun.objects.create(
        program=world.export_program,
        period=EvaluationRun.Period.ALL,
        request_key=f"matrix-export-{world.export_program.pk}",
        status=EvaluationRun.Status.DONE,
        result=figures.report_all_years(world.export_program),
        parameters={"min_cell": 5},
    )
    world.export_token = files.new_job(
        organisation=world.org.pk,
        user=world.coordinator.pk,
        program=world.export_program.pk,
        kind="attendance",
        format="csv",
        part="data",
        options={},
    )
    files.file_path(world.export_token, "csv").write_bytes(b"\xef\xbb\xbfcohort\r\n")
    files.write_status(world.export_token, state="done", progress=100, filename="a.csv")


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
    Entry("exports:status", _mine_only(), kwargs=lambda w: {"token": w.export_token}),
    Entry(
        "exports:file",
        _mine_only(),
        kwargs=_signed_file,
    ),
]
