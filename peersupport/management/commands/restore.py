"""Restore an archive written by ``manage.py backup`` (``peersupport.backups``)."""

from django.core.management.base import BaseCommand, CommandError

from peersupport import backups


class Command(BaseCommand):
    help = (
        "Restore a backup archive: check all of it first (manifest, checksums, database "
        "vendor, schema), then replace the database with its dump and write its stored "
        "files back. Refuses a database that holds records unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="An archive written by manage.py backup.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace a database that already holds records.",
        )

    def handle(self, *args, path, force, **options):
        try:
            manifest = backups.backup_restore(path=path, force=force)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        stored = sum(1 for entry in manifest["files"] if entry["name"].startswith(backups.FILES))
        self.stdout.write(
            f"Restored the backup of {manifest['created_at']} (version {manifest['version']}): "
            f"the database and {stored} stored file(s)."
        )
        self.stdout.write(
            "Encrypted fields are read with FIELD_ENCRYPTION_KEY: it must hold the key(s) in "
            "use when the backup was made."
        )
