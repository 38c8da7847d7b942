"""Purge what each organisation's retention schedule makes due today, as the nightly job
does (for a server that runs no Celery beat: call it from cron once a day).

    python manage.py purge_retention
    python manage.py purge_retention --dry-run     # how many are due, per organisation

Prints counts per organisation, never codes or names. Every purge is audited.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from participants import services
from participants.selectors import retention_due
from peersupport.models import Organisation


class Command(BaseCommand):
    help = "Purge identifying details due under each organisation's retention schedule."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what is due; change nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        today = timezone.localdate()
        for organisation in Organisation.objects.filter(retention_months__isnull=False):
            if dry_run:
                due = retention_due(organisation=organisation, on=today).count()
                self.stdout.write(f"{organisation.slug}: {due} due")
            else:
                counts = services.retention_purge(organisation=organisation, on=today)
                self.stdout.write(f"{organisation.slug}: {counts['participants']} purged")
