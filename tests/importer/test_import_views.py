"""The upload page: dry run and summary first, nothing saved until "confirm import"."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from importer import jobs
from importer import views as import_views
from importer.tasks import check_uploaded_bundle
from participants.models import Participant
from peersupport.models import AuditEntry, Job
from programs.models import Program
from sessions.models import Attendance
from tests.importer.import_bundles import SECRET_NAME, VALID, changed

pytestmark = pytest.mark.django_db


def zipped(files) -> SimpleUploadedFile:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return SimpleUploadedFile("bundle.zip", data.getvalue(), content_type="application/zip")


def upload(client, files):
    return client.post(reverse("importer:upload"), {"bundle": zipped(files)}, follow=True)


def token_of(response) -> str:
    return response.redirect_chain[-1][0].rstrip("/").split("/")[-1]


def test_upload_shows_the_dry_run_summary_and_saves_nothing(client_for, coordinator):
    client = client_for(coordinator)

    response = upload(client, VALID)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Dry run: nothing has been saved yet" in html
    assert "attendance.csv" in html and "Confirm import" in html
    assert not Program.objects.exists() and not Participant.objects.exists()
    assert SECRET_NAME not in html


def test_confirming_applies_the_import_and_audits_it(client_for, coordinator):
    client = client_for(coordinator)
    token = token_of(upload(client, VALID))

    response = client.post(reverse("importer:confirm", args=[token]), follow=True)

    assert "The bundle was imported." in response.content.decode()
    assert Attendance.objects.count() == 3
    entry = AuditEntry.objects.get(action="import.confirm")
    assert entry.actor == coordinator and entry.detail["source"] == "upload"
    assert not default_storage.exists(jobs.zip_name(jobs.get_job(token))), "removed once imported"


def test_confirming_twice_imports_once(client_for, coordinator):
    client = client_for(coordinator)
    token = token_of(upload(client, VALID))
    client.post(reverse("importer:confirm", args=[token]))

    response = client.post(reverse("importer:confirm", args=[token]), follow=True)

    assert "already been imported" in response.content.decode()
    assert AuditEntry.objects.filter(action="import.confirm").count() == 1


def test_a_bad_bundle_lists_its_problems_and_offers_no_confirmation(client_for, coordinator):
    client = client_for(coordinator)
    attendance = VALID["attendance.csv"].replace("late", "here")

    response = upload(client, changed(attendance_csv=attendance))

    html = response.content.decode()
    assert "attendance.csv:3: participant P-001: status must be one of" in html
    assert "Confirm import" not in html
    assert not Program.objects.exists()
    token = token_of(response)
    client.post(reverse("importer:confirm", args=[token]))
    assert not Program.objects.exists()


def test_a_zip_that_climbs_out_is_reported_not_a_500(client_for, coordinator):
    client = client_for(coordinator)
    response = upload(client, {"../../etc/programs.csv": VALID["programs.csv"]})
    assert response.status_code == 200
    assert "points outside the bundle folder" in response.content.decode()


def test_a_file_that_is_not_a_zip_is_a_form_error(client_for, coordinator):
    client = client_for(coordinator)
    response = client.post(
        reverse("importer:upload"),
        {"bundle": SimpleUploadedFile("records.csv", b"code,name\n")},
    )
    assert response.status_code == 200
    assert "Choose a .zip file." in response.content.decode()


def test_a_large_bundle_runs_as_a_background_job(client_for, coordinator, monkeypatch):
    monkeypatch.setattr(jobs, "FOREGROUND_MAX_BYTES", 0)
    client = client_for(coordinator)
    token = token_of(upload(client, VALID))

    client.post(reverse("importer:confirm", args=[token]))

    # without a broker, Celery runs the job in-process (task_always_eager)
    job = jobs.get_job(token)
    assert (job.state, job.progress) == ("done", 100)
    assert Attendance.objects.count() == 3


def test_when_the_broker_is_down_the_import_runs_in_the_foreground(
    client_for, coordinator, monkeypatch
):
    monkeypatch.setattr(jobs, "FOREGROUND_MAX_BYTES", 0)
    monkeypatch.setattr(import_views, "enqueue", lambda *a, **k: None)
    client = client_for(coordinator)
    token = token_of(upload(client, VALID))

    response = client.post(reverse("importer:confirm", args=[token]), follow=True)

    assert "background worker could not be reached" in response.content.decode()
    assert Attendance.objects.count() == 3


def test_progress_is_shown_while_an_import_runs(client_for, coordinator):
    client = client_for(coordinator)
    token = token_of(upload(client, VALID))
    Job.objects.filter(token=token).update(state="running", progress=40, updated_at=timezone.now())

    html = client.get(reverse("importer:status", args=[token])).content.decode()

    assert '<progress class="run-progress" value="40" max="100"' in html
    assert 'http-equiv="refresh"' in html


@pytest.mark.parametrize("role", ["facilitator", "evaluator"])
def test_only_coordinators_may_upload(client_for, role, request):
    client = client_for(request.getfixturevalue(role))
    assert client.get(reverse("importer:upload")).status_code == 403
    response = client.post(reverse("importer:upload"), {"bundle": zipped(VALID)})
    assert response.status_code == 403
    assert not Program.objects.exists()


def test_another_organisation_cannot_see_or_confirm_an_upload(
    client, coordinator, outsider, facilitator
):
    client.force_login(coordinator)
    token = token_of(upload(client, VALID))

    client.force_login(outsider)
    assert client.get(reverse("importer:status", args=[token])).status_code == 404
    assert client.post(reverse("importer:confirm", args=[token])).status_code == 404
    client.force_login(facilitator)
    assert client.post(reverse("importer:confirm", args=[token])).status_code == 403
    assert not Program.objects.exists()


def test_an_unknown_or_malformed_token_is_a_404(client_for, coordinator):
    client = client_for(coordinator)
    for token in ["x" * 32, "..%2F..%2Fetc"]:
        assert client.get(f"/import/{token}/").status_code == 404


def test_the_upload_imports_into_the_coordinators_own_organisation(client, outsider, other_org):
    client.force_login(outsider)
    programs = VALID["programs.csv"].replace("safe-harbour", "elsewhere")
    token = token_of(upload(client, changed(programs_csv=programs)))
    client.post(reverse("importer:confirm", args=[token]))
    assert Program.objects.get().organisation == other_org


def test_an_import_no_worker_took_up_is_offered_and_run_here(
    client_for, coordinator, monkeypatch, settings
):
    monkeypatch.setattr(jobs, "FOREGROUND_MAX_BYTES", 0)
    monkeypatch.setattr(import_views, "enqueue", lambda *a, **k: "task-id")  # never runs
    settings.JOB_STALE_MINUTES = 10
    client = client_for(coordinator)
    token = token_of(upload(client, VALID))
    check_uploaded_bundle(token)  # a worker checked it, then no worker took the import
    client.post(reverse("importer:confirm", args=[token]))
    assert jobs.get_job(token).state == "queued"
    assert b"Import it here now" not in client.get(reverse("importer:status", args=[token])).content

    an_hour_ago = timezone.now() - timedelta(hours=1)
    Job.objects.filter(token=token).update(updated_at=an_hour_ago)
    assert b"Import it here now" in client.get(reverse("importer:status", args=[token])).content
    client.post(reverse("importer:confirm", args=[token]))

    assert jobs.get_job(token).state == "done"
    assert Attendance.objects.count() == 3


def test_the_upload_page_lists_every_file_and_its_columns_and_offers_a_template(
    client_for, coordinator
):
    from importer import spec

    client = client_for(coordinator)
    html = client.get(reverse("importer:upload")).content.decode()
    for file in spec.SPECS:
        assert f"<code>{file.name}</code>" in html
        for column in file.required:
            assert f"<strong><code>{column}</code></strong>" in html
    assert "(present/late/absent/excused)" in html
    template = client.get(reverse("importer:template"))
    assert "import-bundle-template.zip" in template["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(template.content)) as archive:
        headers = {
            name.rsplit("/", 1)[-1]: archive.read(name).decode().strip()
            for name in archive.namelist()
        }
    assert list(headers) == spec.ORDER
    assert headers["sessions.csv"] == (
        "cohort_code,session_number,date,status,duration_minutes,module_order,topic"
    )


def test_the_template_bundle_filled_in_is_accepted(client_for, coordinator):
    from importer import spec

    client = client_for(coordinator)
    template = client.get(reverse("importer:template"))
    with zipfile.ZipFile(io.BytesIO(template.content)) as archive:
        header = archive.read("import-bundle/programs.csv").decode()
    row = dict(
        zip(spec.FILES["programs.csv"].columns, ["BIY", "Believe", "2020-04-01", ""], strict=True)
    )
    filled = header + ",".join(row.values()) + "\n"
    html = upload(client, {"programs.csv": filled}).content.decode()
    assert "Dry run: nothing has been saved yet" in html


def test_after_an_import_the_page_links_to_what_was_imported(client_for, coordinator):
    client = client_for(coordinator)
    token = token_of(upload(client, VALID))
    client.post(reverse("importer:confirm", args=[token]))
    response = client.get(reverse("importer:status", args=[token]))
    assert dict(response.context["imported_pages"]) == {
        "Programs": reverse("programs:program_list"),
        "Instruments": reverse("surveys:instrument_list"),
        "Cohorts": reverse("groupsessions:cohort_list"),
        "Participants": reverse("participants:list"),
        "Surveys": reverse("surveys:survey_overview"),
    }
    html = response.content.decode()
    assert f'href="{reverse("groupsessions:cohort_list")}"' in html


def test_a_failed_check_shows_what_the_sound_files_would_create(client_for, coordinator):
    client = client_for(coordinator)
    attendance = VALID["attendance.csv"].replace("late", "here")
    response = upload(client, changed(attendance_csv=attendance))
    files = {f["file"]: f for f in response.context["report"]["files"]}
    assert files["programs.csv"]["created"] == 1 and files["programs.csv"]["counted"]
    assert files["participants.csv"]["created"] == VALID["participants.csv"].count("\n") - 1
    assert files["attendance.csv"]["counted"] is False
    html = response.content.decode()
    assert "counted once its problems" in html
    assert not Program.objects.exists() and not Participant.objects.exists()
    # Counting adds no problem of its own: only the attendance file's are listed.
    problems = response.context["report"]["problems"]
    assert problems and all(p.startswith("attendance.csv") for p in problems)
