"""Write one archive holding the database and every stored file (``peersupport.backups``)."""

from django.core.management.base import BaseCommand, CommandError

from peersupport import backups


class Command(BaseCommand):
    help = (
        "Write a backup archive (.tar.gz) of the database and of every stored file "
        "(exports, uploads), with a manifest of checksums. The encryption key is not in it."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The archive to write, e.g. peersupport-2025-06-01.tar.gz")

    def handle(self, *args, path, **options):
        try:
            manifest = backups.backup_create(path=path)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        files = manifest["files"]
        size = sum(entry["size"] for entry in files)
        self.stdout.write(
            f"Wrote {path}: the {manifest['vendor']} database and {len(files) - 1} stored "
            f"file(s), {size} bytes before compression, version {manifest['version']}."
        )
        self.stdout.write(
            "The archive holds participants' records: keep it as safe as the database."
        )
        self.stdout.write(
            "It does NOT hold FIELD_ENCRYPTION_KEY, without which names and contact details "
            "cannot be read. Keep every key in use (all of FIELD_ENCRYPTION_KEY) in a "
            "password manager or safe, never in the same place as the backups."
        )
