"""Walk the audit log's hash chain and report the first entry that does not fit."""

from django.core.management.base import BaseCommand, CommandError

from peersupport.models import AuditEntry, audit_hash


def first_broken_link(entries) -> tuple[int, AuditEntry | None, str]:
    """``(entries checked, first entry that breaks the chain or None, why)``."""
    previous = ""
    count = 0
    for entry in entries:
        count += 1
        if entry.prev_hash != previous:
            return count, entry, "the entry before it was changed or removed"
        if audit_hash(entry) != entry.hash:
            return count, entry, "its contents were changed"
        previous = entry.hash
    return count, None, ""


class Command(BaseCommand):
    help = (
        "Check that no audit entry was changed or removed since it was written: each "
        "entry's hash covers its fields and the previous entry's hash. Exits with 1 at the "
        "first broken link."
    )

    def handle(self, *args, **options):
        entries = AuditEntry.objects.order_by("id").iterator(chunk_size=2000)
        try:
            count, broken, why = first_broken_link(entries)
        finally:
            # Stopping at a broken link: close the database cursor now, in this transaction.
            entries.close()
        if broken is not None:
            raise CommandError(
                f"Audit chain broken at entry {broken.pk} "
                f"({broken.created_at:%Y-%m-%d %H:%M:%S %Z}, {broken.action}): {why}."
            )
        last = AuditEntry.objects.order_by("-id").values_list("pk", "hash").first()
        self.stdout.write(f"{count} entries, chain intact.")
        if last is not None:
            # Removing the newest entries leaves a shorter chain that is still whole: keep
            # this line somewhere else to compare with next time.
            self.stdout.write(f"Last entry {last[0]}: {last[1]}")
