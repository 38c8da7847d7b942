"""Export pages: access, audit, streaming, background jobs, expiring links, bad input."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evaluation import runs
from evaluation.models import EvaluationRun
from exports import views as export_views
from peersupport.models import AuditEntry
from tests.exports.test_export_data import build

FORM = {
    "kind": "dataset",
    "format": "csv",
    "part": "data",
    "values": "coded",
    "dates": "none",
    "period": "all",
    "audience": "external",
}


@pytest.fixture(autouse=True)
def small_cells_suppressed(settings):
    settings.MIN_CELL = 5


@pytest.fixture
def w(org, coordinator):
    return build(org, coordinator)


def download_url(w):
    return reverse("exports:download", args=[w.program.pk])


def body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


@pytest.mark.django_db
def test_evaluator_streams_the_dataset_as_csv_and_the_export_is_audited(w, evaluator, client_for):
    response = client_for(evaluator).post(download_url(w), FORM)
    assert response.status_code == 200
    assert response.streaming
    assert 'filename="exp_dataset.csv"' in response["Content-Disposition"]
    data = body(response)
    assert data.startswith(b"\xef\xbb\xbfpseudonym,cohort,program_year,age_band")
    # Every cohort of this small program is hidden in the report for outside the
    # organisation (c2 has two enrollments, so c1 is hidden with it): no row leaves.
    assert data.count(b"\r\n") == 1
    entry = AuditEntry.objects.get(action="export.download")
    assert entry.actor == evaluator
    assert entry.object_type == "programs.Program" and entry.object_id == str(w.program.pk)
    assert entry.detail["export"] == {
        "kind": "dataset",
        "format": "csv",
        "part": "data",
        "labels": False,
        "dates": "none",
        "external": True,
        "period_start": None,
        "period_end": None,
        "year": None,
        "project_salt": False,
        "min_cell": 5,
    }


@pytest.mark.django_db
def test_the_project_salt_is_never_written_to_the_audit_log(w, evaluator, client_for):
    salt = "our-secret-project-salt"
    client = client_for(evaluator)
    first = body(client.post(download_url(w), {**FORM, "salt": salt}))
    second = body(client.post(download_url(w), {**FORM, "salt": salt}))
    assert first.split(b"\r\n")[1][:12] == second.split(b"\r\n")[1][:12]
    for entry in AuditEntry.objects.filter(action="export.download"):
        assert entry.detail["export"]["project_salt"] is True
        assert salt not in str(entry.detail) and salt not in str(entry.changes)


@pytest.mark.django_db
def test_a_facilitator_is_refused_and_the_refusal_is_audited(w, facilitator, client_for):
    response = client_for(facilitator).post(download_url(w), FORM)
    assert response.status_code == 403
    assert AuditEntry.objects.filter(actor=facilitator, action="access.denied").exists()
    assert not AuditEntry.objects.filter(action__startswith="export.").exists()


@pytest.mark.django_db
def test_another_organisation_gets_404_and_no_export(w, outsider, client_for):
    assert client_for(outsider).post(download_url(w), FORM).status_code == 404
    run = EvaluationRun.objects.create(
        program=w.program, period="all", request_key="x", status="done", result={"program": "EXP"}
    )
    url = reverse("exports:report", args=[run.pk, "csv"])
    assert client_for(outsider).get(url).status_code == 404
    assert not AuditEntry.objects.filter(action__startswith="export.").exists()


@pytest.mark.django_db
def test_an_evaluator_cannot_ask_for_unsuppressed_counts(w, evaluator, coordinator, client_for):
    form = {**FORM, "kind": "attendance", "audience": "internal"}
    response = client_for(evaluator).post(download_url(w), form)
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    inside = body(client_for(coordinator).post(download_url(w), form))
    assert inside.split(b"\r\n")[2] == b"c1,1,2,2,1,2,1,1,0,0,2,0"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"period": "year"}, "year", b"Choose a program year"),
        ({"salt": "short"}, "salt", b"at least 12 characters"),
        ({"format": "exe"}, "format", b"Select a valid choice"),
        ({"kind": "names"}, "kind", b"Select a valid choice"),
        ({"year": "-1", "period": "year"}, "year", b"greater than or equal to 1"),
    ],
)
def test_bad_export_requests_say_what_is_wrong(w, evaluator, client_for, change, field, message):
    response = client_for(evaluator).post(download_url(w), {**FORM, **change})
    assert response.status_code == 400
    assert message in response.content
    assert not AuditEntry.objects.filter(action__startswith="export.").exists()


@pytest.mark.django_db
def test_a_year_limits_the_export_to_that_years_cohorts(w, evaluator, client_for):
    data = body(client_for(evaluator).post(download_url(w), {**FORM, "period": "year", "year": 2}))
    assert data.count(b"\r\n") == 1  # the header only: every cohort is in Year 1


@pytest.mark.django_db
def test_a_file_is_built_in_the_background_and_downloaded_from_an_expiring_link(
    w, evaluator, coordinator, client_for, settings
):
    client = client_for(evaluator)
    response = client.post(download_url(w), {**FORM, "format": "sav"})
    assert response.status_code == 302
    status_url = response["Location"]
    page = client.get(status_url)
    assert page.status_code == 200
    link = page.context["link"]
    assert link and b"Download" in page.content
    file_response = client.get(link)
    assert file_response.status_code == 200
    assert 'filename="exp_dataset.sav"' in file_response["Content-Disposition"]
    assert body(file_response)[:4] == b"$FL2"
    # Only the person who asked may see the job and use the link.
    other = client_for(coordinator)
    assert other.get(status_url).status_code == 404
    assert other.get(link).status_code == 404
    # Once the link's lifetime has passed, it no longer works.
    client = client_for(evaluator)
    settings.EXPORT_LINK_HOURS = -1
    assert client.get(link).status_code == 410


@pytest.mark.django_db
def test_a_dead_broker_is_said_and_csv_or_a_foreground_build_is_offered(
    w, evaluator, client_for, monkeypatch
):
    monkeypatch.setattr(export_views, "enqueue", lambda *a, **k: None)
    client = client_for(evaluator)
    response = client.post(download_url(w), {**FORM, "format": "xlsx"})
    assert response.status_code == 503
    assert b"background worker cannot be reached" in response.content
    assert b"Download as CSV now" in response.content
    # Built by this process (a thread of its own, inline in the tests), not the request:
    # the job's page follows it and gives the link.
    built = client.post(download_url(w), {**FORM, "format": "xlsx", "foreground": "1"})
    assert built.status_code == 302 and "/exports/jobs/" in built.url
    page = client.get(built.url)
    assert page.context["job"].state == "done"
    assert body(client.get(page.context["link"]))[:2] == b"PK"
    built_here = [
        entry.detail["export"].get("built")
        for entry in AuditEntry.objects.filter(action="export.build")
    ]
    assert sorted(built_here, key=str) == [None, "foreground"]


@pytest.mark.django_db
def test_the_exports_page_lists_programs_finished_runs_and_options(w, evaluator, client_for):
    run = EvaluationRun.objects.create(
        program=w.program, period="all", request_key="page-run", parameters={"min_cell": 5}
    )
    runs.execute(run_id=run.pk)
    response = client_for(evaluator).get(reverse("exports:index"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Circle of Strength EXP" in content
    assert reverse("exports:report_build", args=[run.pk, "pdf"]) in content
    assert "Project salt" in content and "De-identified participant-level dataset" in content
    # Evaluators are offered only the suppressed (outside) audience.
    assert 'value="internal"' not in content


@pytest.mark.django_db
def test_computing_the_same_period_twice_lists_it_once_with_the_latest_run(
    w, evaluator, client_for
):
    key = runs.make_request_key(program=w.program, period="all")
    done = []
    for _ in range(2):  # the same period computed twice, one after the other
        run = EvaluationRun.objects.create(
            program=w.program, period="all", request_key=key, parameters={"min_cell": 5}
        )
        runs.execute(run_id=run.pk)
        done.append(run)
    pooled = EvaluationRun.objects.create(
        program=w.program,
        period="all",
        request_key=runs.make_request_key(program=w.program, period="all", pool_versions=True),
        parameters={"min_cell": 5},
    )
    runs.execute(run_id=pooled.pk)  # other options: other figures, listed on their own
    response = client_for(evaluator).get(reverse("exports:index"))
    (card,) = [c for c in response.context["cards"] if c["program"] == w.program]
    assert [r.pk for r in card["runs"]] == [pooled.pk, done[1].pk]
    content = response.content.decode()
    assert reverse("exports:report", args=[done[1].pk, "xlsx"]) in content
    assert reverse("exports:report", args=[done[0].pk, "xlsx"]) not in content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fmt, start", [("csv", b"\xef\xbb\xbfProgram code,"), ("xlsx", b"PK"), ("pdf", b"%PDF")]
)
def test_a_finished_run_exports_as_csv_xlsx_and_pdf(w, evaluator, client_for, fmt, start):
    run = EvaluationRun.objects.create(
        program=w.program, period="all", request_key="r", parameters={"min_cell": 5}
    )
    runs.execute(run_id=run.pk)
    response = client_for(evaluator).get(reverse("exports:report", args=[run.pk, fmt]))
    assert response.status_code == 200
    assert body(response).startswith(start)
    entry = AuditEntry.objects.get(action="report.download")
    assert entry.detail["export"] == {
        "kind": "report",
        "run": run.pk,
        "format": fmt,
        "external": True,
    }


@pytest.mark.django_db
def test_a_run_not_finished_or_an_unknown_format_is_not_found(w, evaluator, client_for):
    run = EvaluationRun.objects.create(program=w.program, period="all", request_key="q")
    client = client_for(evaluator)
    assert client.get(reverse("exports:report", args=[run.pk, "csv"])).status_code == 404
    run.status, run.result = "done", {"program": "EXP"}
    run.save()
    assert client.get(reverse("exports:report", args=[run.pk, "exe"])).status_code == 404


def _finished_run(w):
    run = EvaluationRun.objects.create(
        program=w.program, period="all", request_key="pdf-job", parameters={"min_cell": 5}
    )
    runs.execute(run_id=run.pk)
    return run


@pytest.mark.django_db
def test_the_report_pdf_is_built_by_a_job_whose_page_shows_progress_then_the_file(
    w, evaluator, client_for
):
    run = _finished_run(w)
    client = client_for(evaluator)
    page = client.get(reverse("exports:index")).content.decode()
    build_url = reverse("exports:report_build", args=[run.pk, "pdf"])
    # The PDF is asked for with a button that shows it is working, not a plain link.
    assert f'action="{build_url}"' in page and "data-busy=" in page
    assert 'href="' + reverse("exports:report", args=[run.pk, "pdf"]) not in page
    response = client.post(build_url)
    assert response.status_code == 302
    status = client.get(response["Location"])
    assert status.context["job"].state == "done"
    file_response = client.get(status.context["link"])
    assert body(file_response).startswith(b"%PDF")
    assert f"{w.program.code}_report_{run.pk}.pdf" in file_response["Content-Disposition"]
    build = AuditEntry.objects.get(action="export.build")
    assert build.detail["export"]["kind"] == "report"
    assert build.detail["export"]["external"] is True  # an evaluator's is always suppressed
    assert AuditEntry.objects.filter(action="export.download").count() == 1


@pytest.mark.django_db
def test_a_report_job_no_worker_takes_shows_its_progress_page_and_builds_here(
    w, evaluator, client_for, monkeypatch
):
    monkeypatch.setattr(export_views, "enqueue", lambda *a, **k: None)
    run = _finished_run(w)
    client = client_for(evaluator)
    response = client.post(reverse("exports:report_build", args=[run.pk, "pdf"]))
    status = client.get(response["Location"])
    assert status.context["job"].state == "failed"
    content = status.content.decode()
    assert "Build it here now" in content and "data-busy=" in content
    built = client.post(reverse("exports:build_here", args=[status.context["token"]]))
    assert client.get(built["Location"]).context["job"].state == "done"


@pytest.mark.django_db
def test_a_job_page_shows_a_progress_bar_while_the_file_is_built(w, evaluator, client_for):
    from exports import services
    from peersupport.models import Job

    run = _finished_run(w)
    job = services.start_report_job(
        run=run, fmt="pdf", external=True, user=evaluator, what={"kind": "report"}
    )
    Job.objects.filter(pk=job.pk).update(state="running", progress=40)
    content = client_for(evaluator).get(reverse("exports:status", args=[job.token])).content
    assert b'<progress class="run-progress" max="100" value="40"' in content


@pytest.mark.django_db
def test_only_a_finished_runs_report_can_be_built(w, evaluator, client_for):
    run = EvaluationRun.objects.create(program=w.program, period="all", request_key="q")
    client = client_for(evaluator)
    assert client.post(reverse("exports:report_build", args=[run.pk, "pdf"])).status_code == 404
    done = _finished_run(w)
    assert client.post(reverse("exports:report_build", args=[done.pk, "exe"])).status_code == 404
    assert client.get(reverse("exports:report_build", args=[done.pk, "pdf"])).status_code == 405
