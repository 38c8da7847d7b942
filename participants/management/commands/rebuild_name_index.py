"""Rebuild the blind index of participants' preferred names (``participants.name_index``):
after changing ``NAME_INDEX_KEY``, or after names were written around the services."""

from django.core.management.base import BaseCommand, CommandError

from participants.models import Participant
from participants.name_index import name_index_rebuild
from peersupport.audit import log_action


class Command(BaseCommand):
    help = (
        "Rebuild the index that finds participants by preferred name, under the current "
        "NAME_INDEX_KEY, in batches; safe to interrupt and run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="Participants read and indexed per transaction (default 500).",
        )

    def handle(self, *args, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        done = name_index_rebuild(Participant.objects.all(), batch_size=batch_size)
        log_action(actor=None, action="name_index.rebuild", detail={"participants": done})
        self.stdout.write(self.style.SUCCESS(f"Indexed the names of {done} participants."))
