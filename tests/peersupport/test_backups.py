"""``backup`` writes one archive (manifest, database dump, stored files) without the
encryption key; ``restore`` checks all of it before touching anything. Runs on the
configured database: PostgreSQL (pg_dump / pg_restore) in CI, SQLite otherwise."""

import base64
import gzip
import io
import json
import os
import tarfile
from contextlib import contextmanager

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from evaluation.models import EvaluationRun
from exports import files as export_files
from participants.models import Participant
from peersupport import backups
from peersupport.jobs import job_create
from peersupport.models import AuditEntry, Job
from tests.factories import ParticipantFactory, ProgramFactory

pytestmark = pytest.mark.django_db(transaction=True)

NAMES = {"SH-001": ("Rosa", "Rosa Martínez"), "SH-002": ("Lena", "Lena Okafor")}
FIGURES = {"participants": 304, "mean_sessions": 16.4, "mean_share": 0.82}
EXPORT_BYTES = b"pseudonym,cohort,sessions\nSH-001,C1,12\n"


def run(command: str, *args) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def records(org):
    """An organisation with participants (encrypted names), a finished evaluation run and
    a stored export file, committed (pg_dump sees only committed rows)."""
    for code, (preferred, legal) in NAMES.items():
        ParticipantFactory(organisation=org, code=code, preferred_name=preferred, legal_name=legal)
    EvaluationRun.objects.create(
        program=ProgramFactory(organisation=org, code="PEER"),
        period="all",
        request_key="peer-all",
        status="done",
        result=FIGURES,
    )
    job = job_create(
        kind=Job.Kind.EXPORT,
        organisation_id=org.pk,
        user_id=None,
        state="done",
        params={"format": "csv"},
    )
    name = export_files.file_name(job)
    default_storage.save(name, ContentFile(EXPORT_BYTES))
    return name


@pytest.fixture
def archive(records, tmp_path):
    path = tmp_path / "backup.tar.gz"
    run("backup", str(path))
    return path


@contextmanager
def fresh_database(tmp_path):
    """Point the default connection at a new, empty database for the duration."""
    params = connection.settings_dict
    original = params["NAME"]
    if connection.vendor == "postgresql":
        name = f"{original}_restored"[:63]
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
        connection.close()
        params["NAME"] = name
        try:
            yield
        finally:
            connection.close()
            params["NAME"] = original
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
    else:
        # an in-memory test database disappears when closed: set it aside, reopen after
        kept = connection.connection
        connection.connection = None
        params["NAME"] = str(tmp_path / "restored.sqlite3")
        try:
            yield
        finally:
            connection.close()
            params["NAME"] = original
            connection.connection = kept


def members(path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar}


def rewrite(path, content: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in content.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def with_manifest(path, change) -> None:
    content = members(path)
    manifest = json.loads(content["manifest.json"])
    change(manifest)
    content["manifest.json"] = json.dumps(manifest).encode()
    rewrite(path, content)


def test_a_backup_restored_into_an_empty_database_gives_back_names_figures_and_files(
    archive, records, tmp_path, settings
):
    manifest = json.loads(members(archive)["manifest.json"])
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        assert manifest["vendor"] == "postgresql"
    assert manifest["schema"] == backups.code_schema()
    listed = {entry["name"] for entry in manifest["files"]}
    assert listed == {backups.DUMPS[connection.vendor], f"files/{records}"}
    settings.MEDIA_ROOT = str(tmp_path / "new-media")

    with fresh_database(tmp_path):
        assert not backups.database_holds_records(connection)
        out = run("restore", str(archive))

        assert "Restored the backup" in out and "1 stored file(s)" in out
        names = {p.code: (p.preferred_name, p.legal_name) for p in Participant.objects.all()}
        assert names == NAMES
        assert EvaluationRun.objects.get(request_key="peer-all").result == FIGURES
        with default_storage.open(records, "rb") as stored:
            assert stored.read() == EXPORT_BYTES
        assert AuditEntry.objects.filter(action="backup.restore").count() == 1


def test_the_archive_never_holds_the_encryption_key(archive, settings):
    compressed = archive.read_bytes()
    raw = gzip.decompress(compressed)
    for key in settings.FIELD_ENCRYPTION_KEY:
        for form in (key.encode(), base64.urlsafe_b64decode(key)):
            assert form not in raw and form not in compressed
    assert b"Rosa" not in raw  # names are in the dump encrypted, as in the database


def test_the_backup_says_where_the_key_must_be_kept_and_is_audited(records, tmp_path):
    out = run("backup", str(tmp_path / "b.tar.gz"))

    assert "does NOT hold FIELD_ENCRYPTION_KEY" in out
    assert "never in the same place as the backups" in out
    entry = AuditEntry.objects.get(action="backup.create")
    assert entry.detail["stored_files"] == 1
    assert oct((tmp_path / "b.tar.gz").stat().st_mode & 0o777) == "0o600"


def test_a_backup_never_replaces_an_existing_file(archive):
    before = archive.read_bytes()
    with pytest.raises(CommandError, match="already exists"):
        run("backup", str(archive))
    assert archive.read_bytes() == before


def test_a_truncated_archive_is_refused_and_nothing_is_touched(archive, records):
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    Participant.objects.all().delete()

    with pytest.raises(CommandError, match="damaged or incomplete"):
        run("restore", str(archive))

    assert Participant.objects.count() == 0
    assert not AuditEntry.objects.filter(action="backup.restore").exists()


def test_an_archive_with_a_wrong_checksum_is_refused(archive):
    with_manifest(archive, lambda m: m["files"][0].update(sha256="0" * 64))
    Participant.objects.all().delete()

    with pytest.raises(CommandError, match="checksum of 'database.* does not match"):
        run("restore", str(archive))
    assert Participant.objects.count() == 0


def test_an_archive_whose_file_was_changed_is_refused(archive, records):
    content = members(archive)
    content[f"files/{records}"] = EXPORT_BYTES.replace(b"12", b"99")
    rewrite(archive, content)

    with pytest.raises(CommandError, match=f"checksum of 'files/{records}'"):
        run("restore", str(archive), "--force")


def test_an_archive_of_another_schema_is_refused(archive):
    with_manifest(archive, lambda m: m["schema"].update(participants=["0099_future"]))

    with pytest.raises(CommandError, match="another version of the database schema"):
        run("restore", str(archive), "--force")


def test_an_archive_of_another_database_vendor_is_refused(archive):
    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    with_manifest(archive, lambda m: m.update(vendor=other))

    with pytest.raises(CommandError, match=f"is a backup of a {other} database"):
        run("restore", str(archive), "--force")


def test_an_archive_without_a_manifest_is_refused(archive, tmp_path):
    content = members(archive)
    del content["manifest.json"]
    rewrite(archive, content)

    with pytest.raises(CommandError, match="no manifest.json"):
        run("restore", str(archive), "--force")
    with pytest.raises(CommandError, match="is not a file"):
        run("restore", str(tmp_path / "missing.tar.gz"))


def test_a_database_holding_records_is_replaced_only_with_force(archive, org):
    ParticipantFactory(organisation=org, code="SH-003", preferred_name="Added later")

    with pytest.raises(CommandError, match="already holds records"):
        run("restore", str(archive))
    assert Participant.objects.filter(code="SH-003").exists()

    run("restore", str(archive), "--force")

    assert sorted(Participant.objects.values_list("code", flat=True)) == sorted(NAMES)
    assert Participant.objects.get(code="SH-001").preferred_name == "Rosa"


def test_an_archive_with_a_path_outside_its_folder_is_refused(archive):
    content = members(archive)
    content["../escaped.txt"] = b"x"
    rewrite(archive, content)

    with pytest.raises(CommandError, match="unexpected entry: '../escaped.txt'"):
        run("restore", str(archive), "--force")


def test_a_restore_inside_a_transaction_is_refused(archive):
    with transaction.atomic(), pytest.raises(backups.BackupError, match="inside a transaction"):
        backups.backup_restore(path=archive, force=True)


def test_a_backup_into_a_missing_folder_is_refused(records, tmp_path):
    with pytest.raises(CommandError, match="is not a directory"):
        run("backup", str(tmp_path / "missing" / "b.tar.gz"))


def test_a_missing_or_failing_database_client_is_reported():
    with pytest.raises(backups.BackupError, match="not-a-pg-dump is not installed"):
        backups._run(["not-a-pg-dump"], dict(os.environ))
    with pytest.raises(backups.BackupError, match="sh failed: connection refused"):
        backups._run(["sh", "-c", "echo connection refused >&2; exit 1"], dict(os.environ))
