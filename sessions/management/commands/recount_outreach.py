"""Recount every running group's runs of missed sessions (the outreach list).

    python manage.py recount_outreach

The app keeps them up to date as attendance is taken (``sessions/outreach.py``); this is
for rows changed outside it, such as a correction made directly in the database.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from programs.models import Cohort
from sessions import outreach
from sessions.models import MissedRun


class Command(BaseCommand):
    help = "Recount the runs of missed sessions the outreach list reads, for every cohort."

    def handle(self, *args, **options):
        outreach.recount(Cohort.objects.values_list("pk", flat=True))
        missing = MissedRun.objects.count()
        self.stdout.write(
            f"Runs of missed sessions recounted: {missing} to reach out to or on the way."
        )
