"""Hostile or broken uploads: refused with a clear ``file:line`` message, never a 500,
never read whole into memory, never half-saved."""

from __future__ import annotations

import io
import os
import tracemalloc
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from importer import jobs
from importer import views as import_views
from importer.run import import_bundle
from participants.models import Participant
from peersupport.models import Job
from programs.models import Program
from tests.factories import ParticipantFactory
from tests.importer.import_bundles import VALID, changed, write_folder, write_zip

pytestmark = pytest.mark.django_db

HEADER = "participant_code,consent_evaluation,preferred_name,birth_year\n"


def problems(org, path) -> list[str]:
    report = import_bundle(path=path, organisation=org)
    assert not report.saved
    assert not Program.objects.exists(), "nothing may be saved"
    return report.problem_lines()


def test_an_overlong_line_is_refused_without_being_read_whole(org, tmp_path):
    huge = "P-009,yes," + os.urandom(10 * 1024 * 1024).hex() + ",1980\n"  # not a zip bomb
    bundle = write_zip(
        tmp_path / "b.zip", changed(participants_csv=HEADER + "P-001,yes,A,\n" + huge)
    )

    tracemalloc.start()
    lines = problems(org, bundle)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert "participants.csv:3: the line is longer than 1 MB; refused." in lines
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes: the line was read whole"


def test_a_header_with_too_many_columns_is_refused(org, tmp_path):
    wide = ",".join(f"c{i}" for i in range(150)) + "\n"
    lines = problems(org, write_folder(tmp_path / "b", changed(participants_csv=wide)))

    assert "participants.csv:1: the header names 150 columns; this file has at most 4." in lines


def test_a_nul_byte_in_a_cell_names_its_line(org, tmp_path):
    files = changed(participants_csv=HEADER + "P-001,yes,A,\nP-002,no,B\x00ad,\n")

    lines = problems(org, write_zip(tmp_path / "b.zip", files))

    assert (
        "participants.csv:3: the line holds a NUL byte (a control character); remove it." in lines
    )


def _corrupt(path, *, at: str) -> None:
    """Flip bytes inside one entry's compressed data (a bad CRC or corrupt deflate)."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("attendance.csv")
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    spot = start + (info.compress_size // 2 if at == "middle" else 0)
    data[spot] ^= 0xFF
    data[spot + 1] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("at", ["start", "middle"])
def test_a_damaged_zip_says_so(org, tmp_path, at):
    bundle = write_zip(tmp_path / "b.zip", VALID)
    _corrupt(bundle, at=at)

    lines = problems(org, bundle)

    assert any("the .zip file is damaged and cannot be read" in line for line in lines), lines


def test_symbolic_links_in_a_folder_bundle_are_refused(org, tmp_path):
    secret = tmp_path / "outside.csv"
    secret.write_text(HEADER + "P-001,yes,Someone Else,\n")
    folder = write_folder(
        tmp_path / "b", {k: v for k, v in VALID.items() if k != "participants.csv"}
    )
    os.symlink(secret, folder / "participants.csv")

    lines = problems(org, folder)

    assert "b: 'participants.csv' is a symbolic link; a bundle holds plain files only." in lines


def test_a_name_in_the_code_column_is_refused_without_repeating_it(org, tmp_path):
    files = changed(participants_csv=HEADER + "Jane Misplaced Name,yes,A,\nP-002,no,B,\n")

    lines = problems(org, write_folder(tmp_path / "b", files))

    assert any(
        line.startswith("participants.csv:2: participant_code must look like a participant code")
        for line in lines
    ), lines
    assert not any("Jane" in line for line in lines)


def test_codes_that_differ_only_in_case_are_refused(org, tmp_path):
    files = changed(participants_csv=HEADER + "D-1,yes,A,\nd-1,no,B,\n")

    lines = problems(org, write_folder(tmp_path / "b", files))

    assert (
        "participants.csv:3: participant d-1: duplicate participant code (first on line 2)."
        in lines
    )


def test_a_code_that_differs_from_an_existing_one_only_in_case_is_refused(org, tmp_path):
    ParticipantFactory(organisation=org, code="D-1")
    files = changed(participants_csv=HEADER + "d-1,yes,A,\n")

    lines = problems(org, write_folder(tmp_path / "b", files))

    assert (
        "participants.csv:2: participant d-1: participant code 'd-1' differs from the existing "
        "code 'D-1' only "
        "in upper or lower case; use the same spelling." in lines
    )
    assert Participant.objects.count() == 1


# --- through the upload page ------------------------------------------------------------


def zipped(files) -> SimpleUploadedFile:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return SimpleUploadedFile("bundle.zip", data.getvalue(), content_type="application/zip")


def upload(client, files):
    response = client.post(reverse("importer:upload"), {"bundle": zipped(files)})
    assert response.status_code == 302, response.content[:500]
    return Job.objects.get(token=response["Location"].rstrip("/").rsplit("/", 1)[-1])


def test_a_rejected_upload_is_deleted_at_once(client_for, coordinator):
    job = upload(client_for(coordinator), changed(participants_csv=HEADER + "P 1,yes,A,\n"))

    job.refresh_from_db()
    assert job.state == "rejected"
    assert not default_storage.exists(jobs.zip_name(job))


def test_a_large_upload_is_checked_by_the_worker_not_the_request(
    client_for, coordinator, monkeypatch
):
    monkeypatch.setattr(jobs, "FOREGROUND_MAX_BYTES", 0)
    queued = []
    monkeypatch.setattr(
        import_views, "enqueue", lambda task, *args, **kw: queued.append(args) or "id"
    )
    client = client_for(coordinator)

    job = upload(client, VALID)

    job.refresh_from_db()
    assert job.state == "uploaded" and queued == [(job.token,)]
    page = client.get(reverse("importer:status", args=[job.token]))
    assert b"Checking the bundle" in page.content and b'http-equiv="refresh"' in page.content
    from importer import tasks

    assert tasks.check_uploaded_bundle(job.token) == "checked"
    assert b"Confirm import" in client.get(reverse("importer:status", args=[job.token])).content


def test_without_a_worker_a_large_upload_is_checked_here(client_for, coordinator, monkeypatch):
    monkeypatch.setattr(jobs, "FOREGROUND_MAX_BYTES", 0)
    monkeypatch.setattr(import_views, "enqueue", lambda *a, **k: None)

    job = upload(client_for(coordinator), VALID)

    job.refresh_from_db()
    assert job.state == "checked"
