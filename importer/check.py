"""The first pass: read every file once, report every problem, keep only compact keys.

What the bundle refers to may be in the bundle itself or already in the database, so
the codes of the organisation's records are loaded first (codes and small tuples, never
rows with identifying values). Attendance, the one file with millions of rows, is kept
as arrays of integers (an enrollment-and-session key, a status and a line number): the
duplicates are found with one sort at the end, and the save pass writes from the keys
and statuses without reading the file again.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from participants.models import Enrollment, Participant
from programs.models import Cohort, Module, Program
from sessions.models import Session
from surveys.catalog import CATALOG
from surveys.models import Instrument
from surveys.scoring import AnswerOutOfRange, ItemSpec, check_answer, check_instrument, score

from . import rows as parse
from . import values as v
from .attendance import KEY_BASE, STATUS_INDEX
from .csvfile import CsvFile
from .report import ImportReport
from .spec import FILES, ORDER, STEP
from .values import RowCheck

Progress = Callable[[str, str, int, int | None], None]
PROGRESS_EVERY = 100_000


@dataclass
class InstrumentInfo:
    items: dict[int, ItemSpec] = field(default_factory=dict)
    max_missing: int = 0
    conversion_table: dict | None = None
    #: Lines in this bundle, for messages about the instrument as a whole.
    line: int | None = None
    items_line: int | None = None
    in_bundle: bool = False
    #: A ready-made instrument (``surveys.catalog``) the organisation does not have yet:
    #: the bundle may name it by code without defining it; saving adds it.
    from_library: bool = False


@dataclass
class Survey:
    """One administration assembled from its item rows."""

    date: date
    line: int
    answers: dict[int, int | None] = field(default_factory=dict)
    score: float | None = None
    answered_n: int = 0
    missing_n: int = 0


class Known:
    """The codes the bundle may refer to: the organisation's records plus the bundle's."""

    def __init__(self, organisation):
        org = organisation
        self.organisation = org
        self.program_end: dict[str, date | None] = dict(
            Program.objects.filter(organisation=org).values_list("code", "end_date")
        )
        self.programs: set[str] = set(self.program_end)
        self.modules: set[tuple[str, int]] = set(
            Module.objects.filter(program__organisation=org).values_list("program__code", "order")
        )
        self.instruments: dict[str, InstrumentInfo] = {}
        for instrument in Instrument.objects.filter(
            organisation=org, is_current=True
        ).prefetch_related("items"):
            self.instruments[instrument.code] = InstrumentInfo(
                items={
                    i.number: ItemSpec(i.number, i.min_value, i.max_value, i.reverse)
                    for i in instrument.items.all()
                },
                max_missing=instrument.max_missing,
                conversion_table=instrument.conversion_table or None,
            )
        for entry in CATALOG.values():
            if entry.code not in self.instruments:
                self.instruments[entry.code] = InstrumentInfo(
                    items={
                        n: ItemSpec(n, entry.min_value, entry.max_value, n in entry.reverse)
                        for n in range(1, entry.n_items + 1)
                    },
                    max_missing=entry.max_missing,
                    conversion_table=dict(entry.conversion_table) or None,
                    from_library=True,
                )
        #: Ready-made instruments the bundle names without defining: added when saved.
        self.library_used: set[str] = set()
        self.cohorts: dict[str, str] = dict(
            Cohort.objects.filter(organisation=org).values_list("code", "program__code")
        )
        self.sessions: set[tuple[str, int]] = set(
            Session.objects.filter(cohort__organisation=org).values_list("cohort__code", "number")
        )
        self.participants: dict[str, bool] = {
            code: erased is not None
            for code, erased in Participant.objects.filter(organisation=org).values_list(
                "code", "erased_at"
            )
        }
        #: (participant code, cohort code) → a small integer naming the enrollment.
        self.enrollments: dict[tuple[str, str], int] = {
            key: i
            for i, key in enumerate(
                Enrollment.objects.filter(cohort__organisation=org).values_list(
                    "participant__code", "cohort__code"
                )
            )
        }
        #: Every attendance row of the bundle, once checked: ``enrollment index *
        #: KEY_BASE + session number``, and the status (see ``importer.attendance``).
        self.attendance_keys = np.empty(0, dtype=np.int64)
        self.attendance_statuses = np.empty(0, dtype=np.uint8)
        #: (participant, cohort, instrument, timepoint) → its answers, from the bundle.
        self.surveys: dict[tuple[str, str, str, str], Survey] = {}


class Checker:
    def __init__(self, bundle, organisation, report: ImportReport, progress: Progress | None):
        self.bundle = bundle
        self.report = report
        self.progress = progress
        self.known = Known(organisation)
        self.organisation = organisation

    def run(self) -> Known:
        for name in ORDER:
            step = getattr(self, STEP[name])
            if name == "program_targets.csv":
                self.check_instruments()
            if name in self.bundle.openers:
                step(CsvFile(self.bundle, FILES[name], self.report))
        self.score_surveys()
        return self.known

    # --- helpers ---------------------------------------------------------------------

    def _rows(self, csv_file: CsvFile, parser, who_column: str | None = None):
        """``(row, values)`` for each row whose values could be read."""
        name = csv_file.spec.name
        n = 0
        for row in csv_file.rows(check=True):
            n += 1
            if self.progress and n % PROGRESS_EVERY == 0:
                self.progress("check", name, n, None)
            # Messages name the participant by her code, never by what stands in the code
            # column when that is not a code (it may be her name).
            who = row[who_column] if who_column else ""
            rc = RowCheck(self.report, name, row, who if v.looks_like_code(who) else "")
            values = parser(rc)
            yield rc, values
        self.report.counts(name).rows = n
        if self.progress:
            self.progress("check", name, n, None)

    @staticmethod
    def _key(rc: RowCheck, *columns: tuple):
        """The key columns of a row with a bad value elsewhere, so later files that refer to
        it do not report a second, misleading problem; None if a key column is bad too."""
        quiet = RowCheck(None, rc.file, rc.row, quiet=True)
        key = tuple(quiet(parse_fn, column, **kw) for parse_fn, column, kw in columns)
        return key if quiet.ok else None

    def _duplicate(self, rc: RowCheck, seen: dict, key, what: str, **params) -> bool:
        """``what`` (marked with ``gettext_noop``) names the row's key, with ``params``;
        it is translated only for a duplicate: translating it for each of 100,000 rows
        took seconds."""
        first = seen.get(key)
        if first is not None:
            what = _(what) % params if params else _(what)
            rc.fail(
                _("duplicate %(what)s (first on line %(line)s).") % {"what": what, "line": first}
            )
            return True
        seen[key] = rc.row.line
        return False

    def _unknown(self, rc: RowCheck, column: str, value: str) -> None:
        rc.fail(_("unknown %(c)s %(v)s.") % {"c": column, "v": repr(value)})

    # --- files -----------------------------------------------------------------------

    def programs(self, f: CsvFile) -> None:
        seen: dict = {}
        slug = self.organisation.slug
        for rc, values in self._rows(f, parse.parse_program):
            if values is None:
                key = self._key(rc, (v.code, "code", {"max_length": 32, "slug": True}))
                if key:
                    self.known.programs.add(key[0])
                continue
            code, _name, start, org = values
            if org and org != slug:
                rc.fail(
                    _("organisation %(v)s is not the organisation being imported into (%(s)s).")
                    % {"v": repr(org), "s": slug}
                )
            end = self.known.program_end.get(code)
            if end is not None and start > end:
                rc.fail(
                    _("start_date is after the program's end date (%(end)s).")
                    % {"end": end.isoformat()}
                )
            if not self._duplicate(
                rc, seen, code, gettext_noop("program code %(c)s"), c=repr(code)
            ):
                self.known.programs.add(code)

    def modules(self, f: CsvFile) -> None:
        seen: dict = {}
        for rc, values in self._rows(f, parse.parse_module):
            if values is None:
                continue
            program, order, _name, _weeks = values
            if program not in self.known.programs:
                self._unknown(rc, "program_code", program)
                continue
            what = gettext_noop("module order %(o)s of program %(p)s")
            if not self._duplicate(rc, seen, (program, order), what, o=order, p=repr(program)):
                self.known.modules.add((program, order))

    def instruments(self, f: CsvFile) -> None:
        seen: dict = {}
        for rc, values in self._rows(f, parse.parse_instrument):
            if values is None:
                continue
            code, _name, max_missing, _target = values
            if self._duplicate(rc, seen, code, gettext_noop("instrument code %(c)s"), c=repr(code)):
                continue
            info = self.known.instruments.get(code)
            if info is None or info.from_library:
                # Defined by the bundle, not the library: its items come from the bundle.
                info = self.known.instruments[code] = InstrumentInfo()
            info.max_missing = max_missing
            info.line = rc.row.line
            info.in_bundle = True

    def items(self, f: CsvFile) -> None:
        seen: dict = {}
        for rc, values in self._rows(f, parse.parse_item):
            if values is None:
                continue
            code, number, low, high, reverse, _text = values
            info = self.known.instruments.get(code)
            if info is None:
                self._unknown(rc, "instrument_code", code)
                continue
            if info.from_library:
                rc.fail(
                    _(
                        "instrument %(c)s is a ready-made instrument whose items come with it: "
                        "leave it out of instrument_items.csv, or define it in instruments.csv."
                    )
                    % {"c": repr(code)}
                )
                continue
            what = gettext_noop("item %(n)s of instrument %(c)s")
            if self._duplicate(rc, seen, (code, number), what, n=number, c=repr(code)):
                continue
            info.items[number] = ItemSpec(number, low, high, reverse)
            info.in_bundle = True
            if info.items_line is None:
                info.items_line = rc.row.line

    def check_instruments(self) -> None:
        """An instrument the bundle defines or changes must still be scoreable."""
        for code, info in self.known.instruments.items():
            if not info.in_bundle:
                continue
            if info.line is not None:
                file, line = "instruments.csv", info.line
            else:
                file, line = "instrument_items.csv", info.items_line
            specs = sorted(info.items.values(), key=lambda s: s.number)
            if not specs:
                self.report.add(
                    file,
                    line,
                    _("instrument %(c)s has no items; list them in instrument_items.csv.")
                    % {"c": code},
                )
                continue
            try:
                check_instrument(specs, info.max_missing)
            except ValueError:
                if info.max_missing >= len(specs):
                    message = _(
                        "instrument %(c)s: max_missing must be less than its number of "
                        "items (%(n)s)."
                    ) % {"c": code, "n": len(specs)}
                else:
                    message = _(
                        "instrument %(c)s: missing items can only be pro-rated when every "
                        "item has the same range; set max_missing to 0 or give the items "
                        "one range."
                    ) % {"c": code}
                self.report.add(file, line, message)

    def targets(self, f: CsvFile) -> None:
        seen: dict = {}
        for rc, values in self._rows(f, parse.parse_target):
            if values is None:
                continue
            program, instrument, _pct = values
            if program not in self.known.programs:
                self._unknown(rc, "program_code", program)
            if instrument not in self.known.instruments:
                self._unknown(rc, "instrument_code", instrument)
            elif self.known.instruments[instrument].from_library:
                self.known.library_used.add(instrument)
            what = gettext_noop("target for instrument %(i)s in program %(p)s")
            self._duplicate(
                rc, seen, (program, instrument), what, i=repr(instrument), p=repr(program)
            )

    def cohorts(self, f: CsvFile) -> None:
        seen: dict = {}
        for rc, values in self._rows(f, parse.parse_cohort):
            if values is None:
                key = self._key(
                    rc,
                    (v.code, "program_code", {"max_length": 32}),
                    (v.code, "cohort_code", {"max_length": 40, "slug": True}),
                )
                if key:
                    self.known.cohorts.setdefault(key[1], key[0])
                continue
            program, code, _start, _name = values
            if program not in self.known.programs:
                self._unknown(rc, "program_code", program)
                continue
            current = self.known.cohorts.get(code)
            if code not in seen and current is not None and current != program:
                rc.fail(
                    _("cohort %(c)s belongs to program %(p)s; it cannot move to %(q)s.")
                    % {"c": repr(code), "p": repr(current), "q": repr(program)}
                )
                continue
            if not self._duplicate(rc, seen, code, gettext_noop("cohort code %(c)s"), c=repr(code)):
                self.known.cohorts[code] = program

    def sessions(self, f: CsvFile) -> None:
        seen: dict = {}
        for rc, values in self._rows(f, parse.parse_session):
            if values is None:
                key = self._key(
                    rc,
                    (v.code, "cohort_code", {"max_length": 40}),
                    (v.integer, "session_number", {"low": 1, "high": parse.SMALL}),
                )
                if key:
                    self.known.sessions.add(key)
                continue
            cohort, number, _date, _status, _minutes, module_order, _topic = values
            program = self.known.cohorts.get(cohort)
            if program is None:
                self._unknown(rc, "cohort_code", cohort)
                continue
            if module_order is not None and (program, module_order) not in self.known.modules:
                rc.fail(
                    _("program %(p)s has no module with order %(o)s.")
                    % {"p": repr(program), "o": module_order}
                )
            what = gettext_noop("session %(n)s of cohort %(c)s")
            if not self._duplicate(rc, seen, (cohort, number), what, n=number, c=repr(cohort)):
                self.known.sessions.add((cohort, number))

    def participants(self, f: CsvFile) -> None:
        seen: dict = {}
        #: The organisation's codes by their upper-case spelling: ``d-1`` beside ``D-1``
        #: would be two people to the database and one to anybody reading a list.
        existing = {known.upper(): known for known in self.known.participants}
        for rc, values in self._rows(f, parse.parse_participant, "participant_code"):
            if values is None:
                key = self._key(rc, (v.participant_code, "participant_code", {}))
                if key:
                    self.known.participants.setdefault(key[0], False)
                continue
            code = values[0]
            if self.known.participants.get(code):
                rc.fail(_("this participant's record was erased; an import cannot restore it."))
                continue
            spelt = existing.get(code.upper())
            if spelt is not None and spelt != code:
                rc.fail(
                    _(
                        "participant code %(c)s differs from the existing code %(o)s only in "
                        "upper or lower case; use the same spelling."
                    )
                    % {"c": repr(code), "o": repr(spelt)}
                )
                continue
            if self._duplicate(rc, seen, code.upper(), gettext_noop("participant code")):
                continue
            self.known.participants[code] = False

    def _participant_and_cohort(self, rc: RowCheck, participant: str, cohort: str) -> bool:
        ok = True
        if participant not in self.known.participants:
            self._unknown(rc, "participant_code", participant)
            ok = False
        if cohort not in self.known.cohorts:
            self._unknown(rc, "cohort_code", cohort)
            ok = False
        return ok

    def enrollments(self, f: CsvFile) -> None:
        seen: dict = {}
        enrollments = self.known.enrollments
        for rc, values in self._rows(f, parse.parse_enrollment, "participant_code"):
            if values is None:
                key = self._key(
                    rc,
                    (v.code, "participant_code", {"max_length": 32}),
                    (v.code, "cohort_code", {"max_length": 40}),
                )
                if key and key not in enrollments:
                    enrollments[key] = len(enrollments)
                continue
            participant, cohort = values[0], values[1]
            if not self._participant_and_cohort(rc, participant, cohort):
                continue
            what = gettext_noop("enrollment in cohort %(c)s")
            if self._duplicate(rc, seen, (participant, cohort), what, c=repr(cohort)):
                continue
            if (participant, cohort) not in enrollments:
                enrollments[(participant, cohort)] = len(enrollments)

    def _enrollment(self, rc: RowCheck, participant: str, cohort: str) -> int | None:
        enrollment = self.known.enrollments.get((participant, cohort))
        if enrollment is None and self._participant_and_cohort(rc, participant, cohort):
            rc.fail(
                _("is not enrolled in cohort %(c)s (add the enrollment to enrollments.csv).")
                % {"c": repr(cohort)}
            )
        return enrollment

    def attendance(self, f: CsvFile) -> None:
        """Two million rows repeat the same few values (each enrollment's two codes twenty
        times, a handful of session numbers and statuses): a row whose raw values were
        all accepted before, on an earlier row, is taken from what they were read as;
        any other row goes through the full check, with its messages."""
        keys = array("q")
        lines = array("I")  # line numbers (below 2**32): half the memory of "q"
        statuses = array("B")
        sessions = self.known.sessions
        #: Raw (participant, cohort) → (enrollment index, cohort code), raw session number
        #: → number, raw status → status index: only values a row was accepted with.
        pairs: dict[tuple[str, str], tuple[int, str]] = {}
        numbers: dict[str, int] = {}
        status_index: dict[str, int] = {}
        name = f.spec.name
        n = 0
        pick = None
        for row in f.rows(check=True):
            n += 1
            if self.progress and n % PROGRESS_EVERY == 0:
                self.progress("check", name, n, None)
            if pick is None:
                pick = row.picker(("participant_code", "cohort_code", "session_number", "status"))
            raw = pick(row) if pick is not None else ("", "", "", "")
            pair = pairs.get((raw[0], raw[1]))
            number = numbers.get(raw[2])
            status = status_index.get(raw[3])
            if (
                pair is not None
                and number is not None
                and status is not None
                and (pair[1], number) in sessions
            ):
                keys.append(pair[0] * KEY_BASE + number)
                lines.append(row.line)
                statuses.append(status)
                continue
            who = row["participant_code"]
            rc = RowCheck(self.report, name, row, who if v.looks_like_code(who) else "")
            values = parse.parse_attendance(rc)
            if values is None:
                continue
            participant, cohort, number, status_name = values
            enrollment = self._enrollment(rc, participant, cohort)
            if (cohort, number) not in sessions:
                if cohort in self.known.cohorts:
                    rc.fail(
                        _("cohort %(c)s has no session %(n)s.") % {"c": repr(cohort), "n": number}
                    )
                continue
            if enrollment is None:
                continue
            keys.append(enrollment * KEY_BASE + number)
            lines.append(row.line)
            statuses.append(STATUS_INDEX[status_name])
            if pick is not None:
                pairs[(raw[0], raw[1])] = (enrollment, cohort)
                numbers[raw[2]] = number
                status_index[raw[3]] = STATUS_INDEX[status_name]
        self.report.counts(name).rows = n
        if self.progress:
            self.progress("check", name, n, None)
        self.known.attendance_keys = np.frombuffer(keys, dtype=np.int64)
        self.known.attendance_statuses = np.frombuffer(statuses, dtype=np.uint8)
        self._report_duplicate_attendance(
            self.known.attendance_keys, np.frombuffer(lines, dtype=f"u{lines.itemsize}")
        )

    def _report_duplicate_attendance(self, keys: np.ndarray, lines: np.ndarray) -> None:
        if len(keys) < 2:
            return
        ordered = np.sort(keys)
        if not (ordered[1:] == ordered[:-1]).any():
            return  # the usual case, found without the larger arrays below
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        repeats = np.nonzero(ordered[1:] == ordered[:-1])[0] + 1
        first_line: dict[int, int] = {}
        wanted = {int(ordered[p]) // KEY_BASE for p in repeats.tolist()}
        codes = {i: key for key, i in self.known.enrollments.items() if i in wanted}
        for position in repeats.tolist():
            key = int(ordered[position])
            if key not in first_line:
                start = position
                while start > 0 and ordered[start - 1] == key:
                    start -= 1
                first_line[key] = int(lines[order[start]])
            participant, cohort = codes[key // KEY_BASE]
            self.report.add(
                "attendance.csv",
                int(lines[order[position]]),
                _(
                    "participant %(p)s: duplicate attendance at session %(n)s of cohort %(c)s "
                    "(first on line %(l)s)."
                )
                % {"p": participant, "n": key % KEY_BASE, "c": repr(cohort), "l": first_line[key]},
            )

    def responses(self, f: CsvFile) -> None:
        surveys = self.known.surveys
        instruments = self.known.instruments
        for rc, values in self._rows(f, parse.parse_response, "participant_code"):
            if values is None:
                continue
            participant, cohort, code, timepoint, day, number, value = values
            enrollment = self._enrollment(rc, participant, cohort)
            info = instruments.get(code)
            if info is None:
                self._unknown(rc, "instrument_code", code)
                continue
            if info.from_library:
                self.known.library_used.add(code)
            item = info.items.get(number)
            if item is None:
                rc.fail(_("instrument %(c)s has no item %(n)s.") % {"c": repr(code), "n": number})
                continue
            try:
                check_answer(item, value)
            except AnswerOutOfRange:
                rc.fail(
                    _("the answer to item %(n)s of %(c)s must be from %(lo)s to %(hi)s.")
                    % {"n": number, "c": code, "lo": item.min_value, "hi": item.max_value}
                )
                continue
            if enrollment is None:
                continue
            key = (participant, cohort, code, timepoint)
            survey = surveys.get(key)
            if survey is None:
                survey = surveys[key] = Survey(date=day, line=rc.row.line)
            elif survey.date != day:
                rc.fail(
                    _(
                        "date %(d)s differs from the date on line %(l)s for the same "
                        "%(c)s %(t)s survey."
                    )
                    % {"d": day.isoformat(), "l": survey.line, "c": code, "t": timepoint}
                )
            if number in survey.answers:
                rc.fail(
                    _("duplicate answer to item %(n)s of the %(c)s %(t)s survey.")
                    % {"n": number, "c": code, "t": timepoint}
                )
                continue
            survey.answers[number] = value

    def score_surveys(self) -> None:
        """Scores by the spec's rule, so a problem (a conversion table gap) shows now."""
        for (participant, _cohort, code, timepoint), survey in self.known.surveys.items():
            info = self.known.instruments[code]
            specs = sorted(info.items.values(), key=lambda s: s.number)
            try:
                result = score(
                    specs,
                    survey.answers,
                    max_missing=info.max_missing,
                    conversion_table=info.conversion_table,
                )
            except ValueError:
                self.report.add(
                    "survey_responses.csv",
                    survey.line,
                    _(
                        "participant %(p)s: the %(c)s %(t)s survey cannot be scored with "
                        "the instrument's conversion table."
                    )
                    % {"p": participant, "c": code, "t": timepoint},
                )
                continue
            survey.score = result.value
            survey.answered_n = result.answered_n
            survey.missing_n = result.missing_n


def check_bundle(bundle, organisation, report: ImportReport, progress=None) -> Known:
    return Checker(bundle, organisation, report, progress).run()
