"""Print a program's evaluation figures as the JSON of docs/figures.md (or CSV).

    python manage.py evaluation_report --program BIY --year 5
    python manage.py evaluation_report --program BIY --all-years --format csv
    python manage.py evaluation_report --program BIY --from 2021-04-01 --to 2021-09-30
    python manage.py evaluation_report --all-programs --organisation agency --all-years

Under the figures, stderr says for each instrument what its score is (e.g. SWEMWBS
"metric score") and who chose its target ("set by your organisation; the scale has no
published cut-off").

``--all-programs`` prints a JSON array with the all-years report of each program (of one
organisation, or of every organisation), all counted together.

Bad input (an unknown program, a year before the program started, reversed dates) is a
one-line error on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import csv
import json
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from evaluation import disclosure, figures, periods
from peersupport.audit import log_action
from programs.models import Program
from surveys.instruments import score_note
from surveys.models import Instrument

TOP_KEYS = (
    "program",
    "year",
    "period_start",
    "period_end",
    "participants",
    "enrollments",
    "sessions_offered_mean",
    "sessions_attended_mean",
    "attendance_rate",
    "completion_rate",
)
INSTRUMENT_KEYS = (
    "pre_n",
    "post_n",
    "matched_n",
    "incomplete_n",
    "pre_mean",
    "post_mean",
    "mean_change",
    "sd_change",
    "t",
    "p_value",
    "wilcoxon_p",
    "wilcoxon_method",
    "effect_size_dz",
    "target_score",
    "post_meeting_target_n",
    "post_meeting_target_pct",
    "target_pct",
)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date; write it as YYYY-MM-DD.") from exc


def csv_rows(objects: list[dict]):
    """A header and one row per period object; instrument figures as ``CODE.key``
    columns, suppressed keys ``;``-separated in the last column, empty cells for None."""
    codes = sorted({code for obj in objects for code in obj["instruments"]})
    header = [*TOP_KEYS] + [f"{c}.{k}" for c in codes for k in INSTRUMENT_KEYS] + ["suppressed"]
    yield header
    for obj in objects:
        row = [obj.get(k) for k in TOP_KEYS]
        for code in codes:
            inst = obj["instruments"].get(code, {})
            row += [inst.get(k) for k in INSTRUMENT_KEYS]
        row.append(";".join(obj["suppressed"]))
        yield ["" if v is None else repr(v) if isinstance(v, float) else v for v in row]


class Command(BaseCommand):
    help = "Print a program's evaluation figures (docs/figures.md)."
    # Read-only and run often (by hand, from cron): the system checks belong to a deploy
    # (``manage.py check --deploy``), not to every report, which they slowed by a second.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        programs = parser.add_mutually_exclusive_group(required=True)
        programs.add_argument("--program", help="program code")
        programs.add_argument(
            "--all-programs",
            action="store_true",
            help="every program (of --organisation, if given); goes with --all-years",
        )
        parser.add_argument(
            "--organisation", help="organisation short name (when several use the code)"
        )
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--year", type=int, help="program year (1 is the first)")
        which.add_argument("--all-years", action="store_true", help="every year and the total")
        which.add_argument("--from", dest="date_from", help="first cohort start date")
        parser.add_argument("--to", dest="date_to", help="last cohort start date (with --from)")
        parser.add_argument("--format", choices=("json", "csv"), default="json")
        parser.add_argument(
            "--external",
            action="store_true",
            help="for external audiences: also suppress counts below MIN_CELL",
        )

    def handle(self, *args, **options):
        if options["date_to"] and not options["date_from"]:
            raise CommandError("--to goes with --from.")
        external = options["external"]
        if options["all_programs"]:
            self._all_programs(options)
            return
        program = self._program(options["program"], options["organisation"])
        try:
            if options["all_years"]:
                result = figures.report_all_years(program, external=external)
                if external:  # nothing hidden may come back as all years minus the others
                    result = protected(result)
                objects = [*result["years"], result["total"]]
            elif options["year"] is not None:
                period = periods.year_period(program, options["year"])
                result = figures.report(program, period, external=external)
                objects = [result]
            else:
                if not options["date_to"]:
                    raise CommandError("--from needs --to (the last cohort start date).")
                period = periods.range_period(
                    _date(options["date_from"]), _date(options["date_to"])
                )
                result = figures.report(program, period, external=external)
                objects = [result]
        except periods.ReportError as exc:
            raise CommandError(str(exc)) from exc
        self._audit(program, options)
        self._write(options["format"], result, objects)
        self._notes(program, objects)

    def _notes(self, program: Program, objects: list[dict]) -> None:
        """What each score is and who chose its target, on stderr (stdout stays the spec's
        object): e.g. "GSE: Score: total. Target: at or above 29 (set by your organisation;
        the scale has no published cut-off)."."""
        codes = sorted({code for obj in objects for code in obj["instruments"]})
        for instrument in Instrument.objects.filter(
            organisation_id=program.organisation_id, code__in=codes, is_current=True
        ).order_by("code"):
            note = score_note(instrument)
            if note:
                self.stderr.write(f"{instrument.code}: {note}")

    def _all_programs(self, options) -> None:
        if not options["all_years"]:
            raise CommandError("--all-programs goes with --all-years.")
        programs = Program.objects.select_related("organisation").order_by(
            "organisation__slug", "code"
        )
        if options["organisation"]:
            programs = programs.filter(organisation__slug=options["organisation"])
        programs = list(programs)
        if not programs:
            where = (
                f" in organisation {options['organisation']!r}" if options["organisation"] else ""
            )
            raise CommandError(f"No programs{where}.")
        reports = figures.report_all_years_many(programs, external=options["external"])
        results = [reports[program.pk] for program in programs]
        if options["external"]:
            results = [protected(result) for result in results]
        for program in programs:
            self._audit(program, options)
        objects = [obj for result in results for obj in (*result["years"], result["total"])]
        self._write(options["format"], results, objects)

    def _audit(self, program: Program, options) -> None:
        log_action(
            actor=None,
            action="report.command",
            obj=program,
            detail={
                "evaluation_report": options["format"],
                "year": options["year"],
                "all_years": options["all_years"],
                "all_programs": options["all_programs"],
                "from": options["date_from"],
                "to": options["date_to"],
                "external": options["external"],
            },
        )

    def _write(self, output_format: str, result, objects: list[dict]) -> None:
        if output_format == "csv":
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerows(csv_rows(objects))
        else:
            self.stdout.write(json.dumps(result, allow_nan=False))

    def _program(self, code: str, organisation: str | None) -> Program:
        programs = Program.objects.filter(code=code).select_related("organisation")
        if organisation:
            programs = programs.filter(organisation__slug=organisation)
        found = list(programs[:2])
        if not found:
            where = f" in organisation {organisation!r}" if organisation else ""
            raise CommandError(f"No program with code {code!r}{where}.")
        if len(found) > 1:
            raise CommandError(
                f"Several organisations have a program {code!r}; add --organisation SLUG."
            )
        return found[0]


def protected(result: dict) -> dict:
    """An all-years report with complementary suppression (``evaluation.disclosure``)."""
    objects, _details = disclosure.protect(
        [*result["years"], result["total"]], {}, min_cell=settings.MIN_CELL
    )
    return {**result, "years": objects[:-1], "total": objects[-1]}
