"""Re-encrypt every encrypted value under the first FIELD_ENCRYPTION_KEY (see
``peersupport.rotation``), or with ``--check`` count the values still under older keys."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from peersupport import rotation


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field of every model under the first key of "
        "FIELD_ENCRYPTION_KEY, in batches; safe to interrupt and run again. With --check, "
        "only count the values still under an older key (non-zero exit if any remain)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="Rows read and written per transaction (default 500).",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing: report how many values per field still use an old key.",
        )

    def handle(self, *args, batch_size, check, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        keys = len(settings.FIELD_ENCRYPTION_KEY)
        if check:
            self._check(batch_size)
            return
        self.stdout.write(
            f"{keys} key(s) configured; re-encrypting under the first, {batch_size} rows a batch."
        )
        counts = rotation.rotate(batch_size=batch_size, progress=self._progress)
        rotated = sum(c.rotated for c in counts)
        unreadable = sum(c.unreadable for c in counts)
        self.stdout.write(f"Done: {rotated} value(s) re-encrypted under the first key.")
        if unreadable:
            raise CommandError(
                f"{unreadable} value(s) could not be opened with any configured key: they "
                "were written under a key no longer in FIELD_ENCRYPTION_KEY. Add that key "
                "back (after the first) and run again."
            )
        self.stdout.write(
            "Run with --check to confirm that no value uses an old key before removing it."
        )

    def _progress(self, count):
        self.stdout.write(
            f"  {count.label}: {count.read} read, {count.rotated} re-encrypted"
            + (f", {count.unreadable} unreadable" if count.unreadable else "")
        )

    def _check(self, batch_size):
        counts = rotation.scan(batch_size=batch_size)
        for count in counts:
            line = f"{count.label}: {count.old} of {count.read} value(s) under an old key"
            if count.unreadable:
                line += f", {count.unreadable} under no configured key"
            self.stdout.write(line)
        old = sum(c.old for c in counts)
        unreadable = sum(c.unreadable for c in counts)
        if old or unreadable:
            raise CommandError(
                f"{old} value(s) still use an old key and {unreadable} use no configured "
                "key: run rotate_encryption_key (and keep every key in use configured)."
            )
        self.stdout.write(
            "0 values use an old key: every key but the first can be removed from "
            "FIELD_ENCRYPTION_KEY."
        )
