from datetime import date, timedelta

from evaluation.models import EvaluationRun
from programs.models import Volunteer
from tests.factories import (
    CohortFactory,
    EnrollmentFactory,
    ProgramFactory,
    ProgramInstrumentFactory,
    make_instrument,
)
from tests.matrix.base import ROLES, Entry, coordinator_only, reports, staff_only


def build(world):
    _build_import(world)
    _build_reports(world)
    _build_surveys(world)
    _build_exports(world)


# --- Evaluation reports and runs (issue 6) ---


def _build_reports(world):
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
    # Evaluation reports and runs (issue 6): coordinators and evaluators, facilitators 403.
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
    # Instruments and surveys (issue 5). Pages of "my organisation": the outsider sees
    # their own (200).
    Entry("surveys:instrument_list", reports(outsider=200)),
    Entry("surveys:instrument_create", reports(outsider=200)),
    Entry("surveys:instrument_detail", reports(), kwargs=lambda w: _survey(w, "instrument")),
    Entry("surveys:instrument_edit", reports(), kwargs=lambda w: _survey(w, "instrument")),
    Entry("surveys:program_instruments", coordinator_only(), kwargs=lambda w: _survey_program(w)),
    Entry(
        "surveys:program_instrument_catalog_add",
        coordinator_only(302),
        method="post",
        kwargs=lambda w: {**_survey_program(w), "key": "self-esteem"},
        data=lambda w: {"self-esteem-target_pct": "70"},
    ),
    Entry(
        "surveys:program_instrument_remove",
        coordinator_only(302),
        method="post",
        kwargs=lambda w: {**_survey_program(w), "pk": w.survey_program_instrument.pk},
    ),
    Entry("surveys:survey_overview", {**staff_only(), "outsider": 200}),
    Entry("surveys:survey_todo", staff_only(), kwargs=lambda w: _survey_cohort(w)),
    Entry(
        "surveys:administration_enter",
        staff_only(),
        kwargs=lambda w: {**_survey_cohort(w), "code": "GSE", "timepoint": "post"},
    ),
    Entry(
        "surveys:administration_detail",
        staff_only(),
        kwargs=lambda w: _survey(w, "administration"),
    ),
    Entry(
        "surveys:administration_edit",
        staff_only(),
        kwargs=lambda w: _survey(w, "administration"),
    ),
    Entry(
        "surveys:survey_link_new",
        staff_only(),
        kwargs=lambda w: {"enrollment_pk": w.survey_enrollment.pk},
    ),
    Entry("surveys:kiosk_start", staff_only(), kwargs=lambda w: _survey_cohort(w)),
    # Without a kiosk started in this browser session, staff are sent to start one.
    Entry("surveys:kiosk_next", staff_only(302), kwargs=lambda w: _survey_cohort(w)),
    Entry("surveys:kiosk_answer", staff_only(302), kwargs=lambda w: _survey_cohort(w)),
    Entry("surveys:kiosk_handback", staff_only(), kwargs=lambda w: _survey_cohort(w)),
    # Public pages: no sign-in; a bad token is a 404 whoever asks.
    Entry("surveys:survey_done", dict.fromkeys(ROLES, 200)),
    Entry(
        "surveys:survey_respond",
        dict.fromkeys(ROLES, 404),
        kwargs=lambda w: {"token": "not-a-real-token"},
    ),
]


# --- Instruments and surveys (issue 5) ---


def _build_surveys(world):
    """A program using GSE, a cohort the world's facilitator runs, one enrollment with a
    recorded pre (``world.survey_*``)."""
    from surveys.services import administration_create

    volunteer, _created = Volunteer.objects.get_or_create(
        user=world.facilitator,
        defaults={"organisation": world.org, "name": "Matrix facilitator"},
    )
    world.survey_program = ProgramFactory(organisation=world.org, code="matrix-surveys")
    world.survey_instrument = make_instrument(organisation=world.org, code="GSE")
    world.survey_program_instrument = ProgramInstrumentFactory(
        program=world.survey_program, instrument_code="GSE"
    )
    world.survey_cohort = CohortFactory(
        program=world.survey_program,
        code="matrix-surveys",
        start_date=date.today() - timedelta(days=7),
        facilitators=[volunteer],
    )
    world.survey_enrollment = EnrollmentFactory(cohort=world.survey_cohort)
    world.survey_administration = administration_create(
        enrollment=world.survey_enrollment,
        instrument=world.survey_instrument,
        timepoint="pre",
        date=date.today(),
        mode="staff",
        answers={1: 1, 2: 2, 3: 3, 4: 4},
        by=world.coordinator,
    )


def _survey(w, name):
    return {"pk": getattr(w, f"survey_{name}").pk}


def _survey_program(w):
    return {"program_pk": w.survey_program.pk}


def _survey_cohort(w):
    return {"cohort_pk": w.survey_cohort.pk}


# --- Import bundles (issue 7) ---


def _build_import(world):
    """A checked upload of ``world.org`` waiting for confirmation."""
    import io
    import zipfile

    from django.core.files.uploadedfile import SimpleUploadedFile

    from importer import jobs, services

    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr(
            "programs.csv", "code,name,start_date\nmatrix-import,Imported,2020-04-01\n"
        )
    upload = SimpleUploadedFile("bundle.zip", data.getvalue(), content_type="application/zip")
    job = jobs.store_upload(upload, organisation=world.org, user=world.coordinator)
    services.dry_run_upload(job=job, organisation=world.org)
    world.import_token = job.token


ENTRIES += [
    # Coordinators only; another organisation's coordinator sees their own upload page.
    Entry("importer:upload", coordinator_only(outsider=200)),
    Entry(
        "importer:status",
        coordinator_only(),
        kwargs=lambda w: {"token": w.import_token},
    ),
    # The coordinator confirms (and the import runs) first; the others are refused.
    Entry(
        "importer:confirm",
        coordinator_only(302),
        method="post",
        kwargs=lambda w: {"token": w.import_token},
    ),
]


# --- Exports (issue 7) ---


def _build_exports(world):
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


ENTRIES += [
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
