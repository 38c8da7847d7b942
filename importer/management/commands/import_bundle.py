"""``python manage.py import_bundle PATH [--dry-run] [--organisation SLUG]``."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from importer.run import import_bundle
from peersupport.models import Organisation


class Command(BaseCommand):
    help = (
        "Load an import bundle (a folder or .zip of CSV files, docs/import-format.md). "
        "All or nothing: any problem is listed as file:line: message and nothing is saved."
    )
    # Django's system checks import every view of the project (and with them SciPy,
    # ReportLab and the rest): 100 MB and seconds an import does not need. Deployments
    # run ``manage.py check --deploy`` on their own.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("path", help="a folder or a .zip holding the CSV files")
        parser.add_argument("--dry-run", action="store_true", help="check and count; save nothing")
        parser.add_argument(
            "--organisation", help="slug of the organisation (required if there are several)"
        )
        parser.add_argument(
            "--exclusive",
            action="store_true",
            help=(
                "only when nobody else uses the database (a first set-up): check the "
                "foreign keys once per table, not once per row; everyone else waits until "
                "the import ends"
            ),
        )

    def _organisation(self, slug):
        if slug:
            organisation = Organisation.objects.filter(slug=slug).first()
            if organisation is None:
                raise CommandError(f"There is no organisation {slug!r}.")
            return organisation
        organisations = list(Organisation.objects.all()[:2])
        if len(organisations) != 1:
            raise CommandError(
                "Say which organisation to import into: --organisation SLUG."
                if organisations
                else "There is no organisation yet; create one first."
            )
        return organisations[0]

    def handle(self, *args, path, dry_run, organisation, exclusive=False, **options):
        org = self._organisation(organisation)
        started = time.monotonic()

        def progress(phase, name, done, total):
            verb = "checking" if phase == "check" else ("counting" if dry_run else "saving")
            of = f"/{total}" if total is not None else ""
            elapsed = time.monotonic() - started
            print(f"[{elapsed:6.1f}s] {verb} {name}: {done}{of} rows", file=sys.stderr, flush=True)

        report = import_bundle(
            path=path, organisation=org, dry_run=dry_run, progress=progress, exclusive=exclusive
        )
        for counts in report.files.values():
            unit = "surveys" if counts.unit == "surveys" else "records"
            self.stdout.write(
                f"{counts.file}: {counts.rows} rows; {unit} created {counts.created}, "
                f"updated {counts.updated}, unchanged {counts.unchanged}"
            )
        for note in report.notes:
            self.stdout.write(note)
        if not report.ok:
            for line in report.problem_lines():
                self.stderr.write(line)
            raise CommandError(
                f"{len(report.problems) + report.problems_left_out} problem(s); nothing was saved."
            )
        if dry_run:
            self.stdout.write("Dry run: nothing was saved.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported into {org.slug}."))
