"""Write one export of a program to a file, as the Exports page would.

    python manage.py export --program BIY --kind report --format pdf --all-years -o biy.pdf
    python manage.py export --program BIY --kind dataset --format sav --year 5 \\
        --salt "our project salt" --user evaluator@example.org -o biy_y5.sav
    python manage.py export --program BIY --kind attendance --format csv \\
        --from 2024-01-01 --to 2024-12-31 --audience internal -o attendance.csv
    python manage.py export --program BIY --kind report --format xlsx --language fr -o biy.xlsx

The same exporters as the pages (``exports.registry``, ``exports.services``; the report
of an evaluation run through ``exports.services.write_report``), computing the report's
figures from the latest records. Every export is audited: as ``--user`` (who must be a
coordinator or evaluator of the program's organisation; only coordinators may ask for
the internal audience), or, without ``--user``, as the system with a note saying so.

Bad input (an unknown program or user, a format the kind has no writer for, a year
before the program started, reversed dates) is a one-line error and exit status 1.
"""

from __future__ import annotations

import os
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from evaluation import periods, runs
from evaluation.models import EvaluationRun
from peersupport.permissions import COORDINATOR, REPORT_ROLES, membership_for
from programs.models import Program

from ... import services
from ...base import DATE_CHOICES, DATES_NONE
from ...forms import MIN_SALT
from ...registry import EXPORTERS

REPORT = "report"
REPORT_FORMATS = ("csv", "xlsx", "pdf")
FORMATS = ("csv", "xlsx", "sav", "dta", "pdf")
SYSTEM_NOTE = "run by the system (manage.py export without --user)"


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{option} {value!r} is not a date; write it as YYYY-MM-DD.") from exc


class Command(BaseCommand):
    help = "Write an export of a program (report, dataset, items, attendance, feedback)."

    def add_arguments(self, parser):
        parser.add_argument("--program", required=True, help="program code")
        parser.add_argument(
            "--organisation", help="organisation short name (when several use the code)"
        )
        parser.add_argument("--kind", required=True, choices=(REPORT, *EXPORTERS))
        parser.add_argument("--format", required=True, choices=FORMATS, dest="fmt")
        parser.add_argument("--audience", choices=("internal", "external"), default="external")
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--year", type=int, help="program year (1 is the first)")
        which.add_argument("--all-years", action="store_true", help="every year (the default)")
        which.add_argument("--from", dest="date_from", help="first cohort start date")
        parser.add_argument("--to", dest="date_to", help="last cohort start date (with --from)")
        parser.add_argument("--salt", default="", help="project salt: the same pseudonyms")
        parser.add_argument("--labels", action="store_true", help="categories as words")
        parser.add_argument(
            "--dates", choices=[c for c, _label in DATE_CHOICES], default=DATES_NONE
        )
        parser.add_argument("--codebook", action="store_true", help="the codebook, not data")
        parser.add_argument("--user", help="the e-mail of the person the export is for")
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="language of the labels, notes and PDF",
        )
        parser.add_argument("-o", "--output", required=True, help="file to write")

    def handle(self, *args, **options):
        with translation.override(options["language"]):
            self._handle(options)

    def _handle(self, options):
        kind, fmt = options["kind"], options["fmt"]
        allowed = REPORT_FORMATS if kind == REPORT else EXPORTERS[kind].formats
        if fmt not in allowed:
            raise CommandError(
                f"--kind {kind} has no {fmt} format; choose one of: {', '.join(allowed)}."
            )
        if kind == REPORT and (options["codebook"] or options["labels"] or options["salt"]):
            raise CommandError("--codebook, --labels and --salt do not apply to --kind report.")
        if options["salt"] and len(options["salt"]) < MIN_SALT:
            raise CommandError(f"--salt needs at least {MIN_SALT} characters.")
        if options["date_to"] and not options["date_from"]:
            raise CommandError("--to goes with --from.")
        if options["date_from"] and not options["date_to"]:
            raise CommandError("--from needs --to (the last cohort start date).")
        start = _date(options["date_from"], "--from") if options["date_from"] else None
        end = _date(options["date_to"], "--to") if options["date_to"] else None
        if start and end and start > end:
            raise CommandError("--to is before --from.")
        folder = os.path.dirname(os.path.abspath(options["output"]))
        if not os.path.isdir(folder):
            raise CommandError(f"The folder {folder} does not exist.")
        program = self._program(options["program"], options["organisation"])
        user = self._user(options["user"], program)
        external = options["audience"] == "external"
        if not external and user is not None and self._role(user, program) != COORDINATOR:
            raise CommandError(
                "Only a coordinator of the program's organisation may have the internal "
                "export; use --audience external."
            )
        try:
            if kind == REPORT:
                what = self._report(program, fmt, options, start, end, external, user)
            else:
                what = self._data(program, kind, fmt, options, start, end, external)
        except periods.ReportError as exc:
            raise CommandError(str(exc)) from exc
        what["via"] = "manage.py export"
        if user is None:
            what["note"] = SYSTEM_NOTE
        services.audit_export(
            actor=user,
            program=program,
            what=what,
            action="report.download" if kind == REPORT else "export.download",
        )
        self.stdout.write(f"Wrote {options['output']}")

    # --- the two kinds of export -----------------------------------------------------

    def _data(self, program, kind, fmt, options, start, end, external) -> dict:
        export_options = services.export_options(
            program=program,
            labels=options["labels"],
            dates=options["dates"],
            external=external,
            salt=options["salt"],
            year=options["year"],
            period_start=start,
            period_end=end,
        )
        part = "codebook" if options["codebook"] else "data"
        exporter = services.make_exporter(program, kind, export_options)
        services.build_file(exporter, fmt, part, options["output"])
        return services.describe(
            kind, fmt, part, export_options, project_salt=bool(options["salt"])
        )

    def _report(self, program, fmt, options, start, end, external, user) -> dict:
        if options["year"] is not None:
            period = {"period": EvaluationRun.Period.YEAR, "year": options["year"]}
        elif start is not None:
            period = {"period": EvaluationRun.Period.RANGE, "date_from": start, "date_to": end}
        else:
            period = {"period": EvaluationRun.Period.ALL}
        asked = runs.request_run(program=program, by=user, queue_job=False, **period)
        run = runs.run_now(run=asked.run, by=user) if asked.run.status in runs.ACTIVE else asked.run
        if run.status != EvaluationRun.Status.DONE or not run.result:
            raise CommandError("The figures could not be computed. The error is recorded.")
        services.write_report(run, fmt, options["output"], external=external)
        return {"kind": REPORT, "run": run.pk, "format": fmt, "external": external}

    # --- who and what ------------------------------------------------------------------

    def _program(self, code: str, organisation: str | None) -> Program:
        programs = Program.objects.filter(code=code).select_related("organisation")
        if organisation:
            programs = programs.filter(organisation__slug=organisation)
        found = list(programs[:2])
        if not found:
            raise CommandError(f"No program has the code {code!r}.")
        if len(found) > 1:
            raise CommandError(
                f"Several organisations have a program {code!r}: add --organisation."
            )
        return found[0]

    def _user(self, email: str | None, program: Program):
        if not email:
            return None
        user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user has the e-mail {email!r}.")
        if self._role(user, program) not in REPORT_ROLES:
            raise CommandError(
                f"{email} is not a coordinator or evaluator of the organisation that runs "
                f"{program.code}."
            )
        return user

    @staticmethod
    def _role(user, program: Program) -> str | None:
        membership = membership_for(user, program.organisation_id)
        return membership.role if membership else None
