from evaluation.models import EvaluationRun
from tests.factories import ProgramFactory
from tests.matrix.base import Entry, reports


def build(world):
    world.report_program = ProgramFactory(organisation=world.org, code="matrix-report")
    world.report_run = EvaluationRun.objects.create(
        program=world.report_program,
        period=EvaluationRun.Period.ALL,
        request_key=f"matrix-report-{world.report_program.pk}",
    )


def _report_program(w):
    return {"program_id": w.report_program.pk}


def _report_run(w):
    return {"run_id": w.report_run.pk}


ENTRIES = [
    # Evaluation reports and runs: coordinators and evaluators, facilitators 403.
    Entry("evaluation:home", reports(outsider=200)),
    Entry("evaluation:report", reports(), kwargs=_report_program),
    Entry(
        "evaluation:run_request",
        reports(302),
        kwargs=_report_program,
        method="post",
        data=lambda w: {"period": "all"},
    ),
    Entry("evaluation:run_status", reports(), kwargs=_report_run),
    Entry("evaluation:run_now", reports(302), kwargs=_report_run, method="post"),
]
