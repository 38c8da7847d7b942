import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.matrix.base import Entry, coordinator_only


def build(world):
    """A checked upload of ``world.org`` waiting for confirmation."""
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


ENTRIES = [
    # Coordinators only; another organisation's coordinator sees their own upload page.
    Entry("importer:upload", coordinator_only(outsider=200)),
    Entry("importer:template", coordinator_only(outsider=200)),
    Entry(
        "importer:status",
        coordinator_only(),
        kwargs=lambda w: {"token": w.import_token},
    ),
    # Only for a check no worker took up (this one is checked): back to its page.
    Entry(
        "importer:check_here",
        coordinator_only(302),
        method="post",
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
