"""The second pass: read the files again and write them in batches (or, for a dry run,
only count what would be created, updated or left unchanged).

Rows are matched on their codes and written as upserts (``importer.bulk.upsert`` for
the large files, ``bulk_create(update_conflicts=True)`` for the small ones) so that
importing a bundle twice leaves the same records. A row whose record already
holds the same values is not written at all. The caller wraps the whole pass in one
transaction: any failure leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

import numpy as np
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from participants.models import Consent, Enrollment, Participant
from participants.name_index import Digester, name_index_write
from programs.models import Cohort, Module, Program
from sessions import outreach
from sessions.models import Attendance, Session
from surveys.catalog import catalog_instrument_ensure, entry_for_code
from surveys.instruments import (
    ItemData,
    Scoring,
    instrument_next_version,
    needs_new_version,
)
from surveys.models import Administration, Answer, Instrument, InstrumentItem, ProgramInstrument

from . import rows as parse
from .attendance import (
    CHUNK,
    KEY_BASE,
    NO_STATUS,
    enrollment_arrays,
    session_ids,
    session_table,
    stored_statuses,
)
from .attendance import write as write_attendance
from .bulk import upsert
from .check import Known, Progress
from .csvfile import CsvFile
from .report import FileCounts, ImportReport
from .spec import FILES, ORDER, STEP
from .values import RowCheck

BATCH = 5000
PROGRESS_EVERY = 100_000
#: ``Consent.text_version`` of the consent records an import makes.
IMPORTED_CONSENT_VERSION = "import"


def _batches(iterable: Iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


#: The files whose rows change the runs of missed sessions (``sessions.outreach``).
RUN_FILES = {"cohorts.csv", "sessions.csv", "enrollments.csv", "attendance.csv"}


class Saver:
    def __init__(
        self,
        bundle,
        known: Known,
        report: ImportReport,
        *,
        write: bool,
        actor=None,
        progress: Progress | None = None,
        tolerant: bool = False,
    ):
        self.bundle = bundle
        self.known = known
        self.org = known.organisation
        self.report = report
        self.write = write
        self.actor = actor if getattr(actor, "is_authenticated", False) else None
        self.progress = progress
        #: Counting a bundle that has problems: a file with problems of its own, or whose
        #: rows cannot be counted (they refer to rows with problems), is left uncounted.
        self.tolerant = tolerant and not write
        self.now = timezone.now()
        self.today = timezone.localdate()

    def run(self) -> None:
        self.versioned = self._versioned()
        for name in ORDER:
            step = getattr(self, STEP[name])
            if name == "instruments.csv":
                self.instrument_versions()
            if name == "program_targets.csv":
                self.library_instruments()
            if name not in self.bundle.openers:
                continue
            counts = self.report.counts(name)
            if not self.tolerant:
                step(CsvFile(self.bundle, FILES[name], self.report), counts)
                continue
            if name in self.report.files_with_problems():
                counts.counted = False
                continue
            try:
                step(CsvFile(self.bundle, FILES[name], self.report), counts)
            except Exception:  # noqa: BLE001 - best effort: the problems are already listed
                counts.created = counts.updated = counts.unchanged = 0
                counts.counted = False
        if self.write and RUN_FILES & set(self.bundle.openers):
            # The runs of missed sessions the outreach list reads (sessions/outreach.py):
            # cohorts, sessions, enrollments and attendance came in bulk, without signals.
            outreach.recount(
                Cohort.objects.filter(organisation=self.org).values_list("pk", flat=True)
            )

    def library_instruments(self) -> None:
        """Add the ready-made instruments the bundle names by code without defining them
        (counted as instruments created), before the targets and answers that use them."""
        if not self.known.library_used:
            return
        counts = self.report.counts("instruments.csv")
        for code in sorted(self.known.library_used):
            counts.created += 1
            if self.write:
                catalog_instrument_ensure(organisation=self.org, key=code.lower(), by=self.actor)

    def _versioned(self) -> dict[str, Instrument]:
        """Current instruments whose scoring the bundle changes although they have surveys
        already (``surveys.instruments.needs_new_version``), by code: they get a new
        version, and the surveys already stored keep theirs."""
        changed = {
            code: info
            for code, info in self.known.instruments.items()
            if info.in_bundle and not info.from_library
        }
        found = {}
        for instrument in Instrument.objects.filter(
            organisation=self.org, code__in=list(changed), is_current=True
        ).prefetch_related("items"):
            info = changed[instrument.code]
            scoring = Scoring.of(
                items=info.items.values(),
                max_missing=info.max_missing,
                conversion_table=instrument.conversion_table,
            )
            if needs_new_version(instrument=instrument, scoring=scoring):
                found[instrument.code] = instrument
        return found

    def instrument_versions(self) -> None:
        """Make the next version of each instrument in ``versioned``: a copy of the current
        one with the items the bundle keeps, which the instrument and item rows then
        update like any current instrument."""
        for code, old in sorted(self.versioned.items()):
            latest = Instrument.objects.filter(organisation=self.org, code=code).aggregate(
                v=Max("version")
            )["v"]
            self.report.notes.append(
                _(
                    "Instrument %(c)s: the bundle changes how it scores answers and it has "
                    "surveys already, so version %(new)s is created; the surveys already "
                    "stored keep version %(old)s and their scores."
                )
                % {"c": code, "new": latest + 1, "old": old.version}
            )
            if not self.write:
                continue
            kept = self.known.instruments[code].items
            instrument_next_version(
                instrument=old,
                fields={},
                items=[ItemData.of(item) for item in old.items.all() if item.number in kept],
                by=self.actor,
                detail={"source": "import"},
            )

    # --- helpers ---------------------------------------------------------------------

    def _values(self, csv_file: CsvFile, parser) -> Iterator[tuple]:
        name = csv_file.spec.name
        total = self.report.counts(name).rows
        for n, row in enumerate(csv_file.rows(check=False), start=1):
            if self.progress and n % PROGRESS_EVERY == 0:
                self.progress("save", name, n, total)
            yield parser(RowCheck(None, name, row))
        if self.progress:
            self.progress("save", name, total, total)

    def _upsert(self, model, objs: list, unique: list[str], update: list[str]) -> None:
        if self.write and objs:
            model.objects.bulk_create(
                objs,
                batch_size=BATCH,
                update_conflicts=True,
                unique_fields=unique,
                update_fields=update,
            )

    @staticmethod
    def _classify(counts: FileCounts, old, new) -> bool:
        """Count one record; True when it must be written."""
        if old is None:
            counts.created += 1
            return True
        if old != new:
            counts.updated += 1
            return True
        counts.unchanged += 1
        return False

    def _program_ids(self) -> dict[str, int]:
        return dict(Program.objects.filter(organisation=self.org).values_list("code", "id"))

    def _cohort_ids(self) -> dict[str, tuple[int, int]]:
        return {
            code: (pk, program)
            for code, pk, program in Cohort.objects.filter(organisation=self.org).values_list(
                "code", "id", "program_id"
            )
        }

    def _participant_ids(self) -> dict[str, int]:
        return dict(Participant.objects.filter(organisation=self.org).values_list("code", "id"))

    def _enrollment_ids(self) -> dict[tuple[int, int], int]:
        return {
            (p, c): pk
            for p, c, pk in Enrollment.objects.filter(cohort__organisation=self.org).values_list(
                "participant_id", "cohort_id", "id"
            )
        }

    # --- files -----------------------------------------------------------------------

    def programs(self, f: CsvFile, counts: FileCounts) -> None:
        existing = {
            code: (name, start)
            for code, name, start in Program.objects.filter(organisation=self.org).values_list(
                "code", "name", "start_date"
            )
        }
        objs = []
        for code, name, start, _org in self._values(f, parse.parse_program):
            if self._classify(counts, existing.get(code), (name, start)):
                objs.append(Program(organisation=self.org, code=code, name=name, start_date=start))
        self._upsert(Program, objs, ["organisation", "code"], ["name", "start_date"])

    def modules(self, f: CsvFile, counts: FileCounts) -> None:
        programs = self._program_ids()
        existing = {
            (p, order): (name, weeks)
            for p, order, name, weeks in Module.objects.filter(
                program__organisation=self.org
            ).values_list("program_id", "order", "name", "weeks")
        }
        objs = []
        for code, order, name, weeks in self._values(f, parse.parse_module):
            program = programs.get(code)
            if self._classify(counts, existing.get((program, order)), (name, weeks)):
                objs.append(Module(program_id=program, order=order, name=name, weeks=weeks))
        self._upsert(Module, objs, ["program", "order"], ["name", "weeks"])

    def instruments(self, f: CsvFile, counts: FileCounts) -> None:
        current = {
            i.code: i for i in Instrument.objects.filter(organisation=self.org, is_current=True)
        }
        with_target = f.has("target_score")
        for code, name, max_missing, target in self._values(f, parse.parse_instrument):
            instrument = current.get(code)
            new = (name, max_missing, target if with_target else None)
            if instrument is None:
                counts.created += 1
                if self.write:
                    latest = Instrument.objects.filter(organisation=self.org, code=code).aggregate(
                        v=Max("version")
                    )["v"]
                    Instrument.objects.create(
                        organisation=self.org,
                        code=code,
                        name=name,
                        max_missing=max_missing,
                        target_score=target,
                        version=(latest or 0) + 1,
                        is_current=True,
                    )
                continue
            old = (
                instrument.name,
                instrument.max_missing,
                instrument.target_score if with_target else None,
            )
            if self._classify(counts, old, new) and self.write:
                instrument.name, instrument.max_missing = name, max_missing
                fields = ["name", "max_missing"]
                if with_target:
                    instrument.target_score = target
                    fields.append("target_score")
                instrument.save(update_fields=fields)

    def _instrument_ids(self) -> dict[str, int]:
        return dict(
            Instrument.objects.filter(organisation=self.org, is_current=True).values_list(
                "code", "id"
            )
        )

    def items(self, f: CsvFile, counts: FileCounts) -> None:
        instruments = self._instrument_ids()
        with_text = f.has("text")
        existing = {
            (i, n): (lo, hi, rev, text if with_text else "")
            for i, n, lo, hi, rev, text in InstrumentItem.objects.filter(
                instrument_id__in=instruments.values()
            ).values_list("instrument_id", "number", "min_value", "max_value", "reverse", "text")
        }
        objs = []
        for code, number, low, high, reverse, text in self._values(f, parse.parse_item):
            instrument = instruments.get(code)
            new = (low, high, reverse, text if with_text else "")
            if self._classify(counts, existing.get((instrument, number)), new):
                objs.append(
                    InstrumentItem(
                        instrument_id=instrument,
                        number=number,
                        min_value=low,
                        max_value=high,
                        reverse=reverse,
                        text=text,
                    )
                )
        update = ["min_value", "max_value", "reverse"] + (["text"] if with_text else [])
        self._upsert(InstrumentItem, objs, ["instrument", "number"], update)

    def targets(self, f: CsvFile, counts: FileCounts) -> None:
        programs = self._program_ids()
        existing = {
            (p, code): pct
            for p, code, pct in ProgramInstrument.objects.filter(
                program__organisation=self.org
            ).values_list("program_id", "instrument_code", "target_pct")
        }
        objs = []
        for program_code, code, pct in self._values(f, parse.parse_target):
            program = programs.get(program_code)
            old = existing.get((program, code))
            old = None if (program, code) not in existing else (old,)
            if self._classify(counts, old, (pct,)):
                entry = entry_for_code(code)
                asked = (
                    {f"at_{tp}": tp in entry.timepoints for tp in ("pre", "post", "followup")}
                    if entry is not None
                    else {}
                )
                objs.append(
                    ProgramInstrument(
                        program_id=program, instrument_code=code, target_pct=pct, **asked
                    )
                )
        self._upsert(ProgramInstrument, objs, ["program", "instrument_code"], ["target_pct"])

    def cohorts(self, f: CsvFile, counts: FileCounts) -> None:
        programs = self._program_ids()
        with_name = f.has("name")
        existing = {
            code: (start, name if with_name else "")
            for code, start, name in Cohort.objects.filter(organisation=self.org).values_list(
                "code", "start_date", "name"
            )
        }
        objs = []
        for program_code, code, start, name in self._values(f, parse.parse_cohort):
            if self._classify(counts, existing.get(code), (start, name if with_name else "")):
                objs.append(
                    Cohort(
                        organisation_id=self.org.pk,
                        program_id=programs.get(program_code),
                        code=code,
                        name=name,
                        start_date=start,
                        weekday=start.weekday(),
                    )
                )
        update = ["start_date"] + (["name"] if with_name else [])
        self._upsert(Cohort, objs, ["organisation", "code"], update)

    def sessions(self, f: CsvFile, counts: FileCounts) -> None:
        cohorts = self._cohort_ids()
        modules = {
            (p, order): pk
            for p, order, pk in Module.objects.filter(program__organisation=self.org).values_list(
                "program_id", "order", "id"
            )
        }
        optional = [c for c in ("duration_minutes", "module_order", "topic") if f.has(c)]
        for batch in _batches(self._values(f, parse.parse_session), BATCH):
            cohort_ids = {cohorts[row[0]][0] for row in batch if row[0] in cohorts}
            existing = {
                (c, n): row
                for c, n, *row in Session.objects.filter(cohort_id__in=cohort_ids).values_list(
                    "cohort_id",
                    "number",
                    "date",
                    "status",
                    "duration_minutes",
                    "module_id",
                    "topic",
                )
            }
            rows = []
            for code, number, day, status, minutes, module_order, topic in batch:
                cohort, program = cohorts.get(code, (None, None))
                module = modules.get((program, module_order)) if module_order else None
                new = [day, status, minutes, module, topic]
                old = existing.get((cohort, number))
                if old is not None:
                    old = list(old)
                    for i, column in enumerate(("duration_minutes", "module_order", "topic")):
                        if column not in optional:
                            new[2 + i] = old[2 + i]
                if self._classify(counts, old, new):
                    rows.append(
                        {
                            "cohort_id": cohort,
                            "number": number,
                            "date": day,
                            "status": status,
                            "duration_minutes": new[2],
                            "module_id": new[3],
                            "topic": new[4] or "",
                        }
                    )
            update = ["date", "status", "updated_at"] + [
                {"module_order": "module"}.get(c, c) for c in optional
            ]
            if self.write:
                upsert(Session, rows, unique=["cohort", "number"], update=update)

    def participants(self, f: CsvFile, counts: FileCounts) -> None:
        with_name = f.has("preferred_name")
        # Birth years the organisation does not collect (data minimisation) are not kept.
        with_year = f.has("birth_year") and "birth_year" not in self.org.hidden_fields()
        digest = Digester()
        for batch in _batches(self._values(f, parse.parse_participant), BATCH):
            existing = {
                p.code: p
                for p in Participant.objects.filter(
                    organisation=self.org, code__in=[row[0] for row in batch]
                ).only("id", "code", "evaluation_consent", "preferred_name", "birth_year")
            }
            rows = []
            consent_changed = {}
            renamed = set()
            for code, consent, name, year in batch:
                old_p = existing.get(code)
                if with_name and old_p is not None and old_p.preferred_name != name:
                    renamed.add(code)
                if old_p is None or old_p.evaluation_consent != consent:
                    consent_changed[code] = consent
                old = new = None
                if old_p is not None:
                    old = (old_p.evaluation_consent, old_p.preferred_name, old_p.birth_year)
                    new = (
                        consent,
                        name if with_name else old_p.preferred_name,
                        year if with_year else old_p.birth_year,
                    )
                if self._classify(counts, old, new):
                    rows.append(
                        {
                            "organisation_id": self.org.pk,
                            "code": code,
                            "evaluation_consent": consent,
                            "preferred_name": new[1] if new else name,
                            "birth_year": new[2] if new else (year if with_year else None),
                        }
                    )
            if not (self.write and rows):
                continue
            update = ["evaluation_consent", "updated_at"]
            update += ["preferred_name"] if with_name else []
            update += ["birth_year"] if with_year else []
            ids = dict(
                upsert(
                    Participant,
                    rows,
                    unique=["organisation", "code"],
                    update=update,
                    returning=["code", "id"],
                )
            )
            if len(ids) < len(rows):
                ids = dict(
                    Participant.objects.filter(
                        organisation=self.org, code__in=[row["code"] for row in rows]
                    ).values_list("code", "id")
                )
            if with_name:
                # Names written in bulk: their entries in the index that finds people by
                # name follow, from the names in hand (nothing is read back or decrypted).
                # Participants just created have no entries to replace.
                for replace in (False, True):
                    name_index_write(
                        (
                            (ids[row["code"]], self.org.pk, row["preferred_name"])
                            for row in rows
                            if (row["code"] in renamed if replace else row["code"] not in existing)
                        ),
                        replace=replace,
                        digest=digest,
                    )
            self._record_consents(consent_changed, ids)

    def _record_consents(self, consents: dict[str, str], ids: dict[str, int]) -> None:
        """An evaluation Consent record for each participant whose consent the import set
        or changed (code -> "yes"/"no"), dated today: the participant's consent history
        says where the value came from, and later consent changes start from it. ``ids``
        are the participants' ids by code."""
        upsert(
            Consent,
            [
                {
                    "participant_id": ids[code],
                    "kind": Consent.Kind.EVALUATION,
                    "given": consent == Participant.Consent.YES,
                    "date": self.today,
                    "text_version": IMPORTED_CONSENT_VERSION,
                    "recorded_by_id": self.actor.pk if self.actor else None,
                }
                for code, consent in consents.items()
            ],
        )

    def enrollments(self, f: CsvFile, counts: FileCounts) -> None:
        participants = self._participant_ids()
        cohorts = self._cohort_ids()
        with_exit = f.has("exit_date")
        for batch in _batches(self._values(f, parse.parse_enrollment), BATCH):
            pairs = [(participants.get(row[0]), cohorts.get(row[1], (None,))[0]) for row in batch]
            existing = {
                (p, c): (on, status, exit_date)
                for p, c, on, status, exit_date in Enrollment.objects.filter(
                    participant_id__in={p for p, _c in pairs if p},
                    cohort_id__in={c for _p, c in pairs if c},
                ).values_list("participant_id", "cohort_id", "enrolled_on", "status", "exit_date")
            }
            rows = []
            for (participant, cohort), row in zip(pairs, batch, strict=True):
                _p, _c, on, status, exit_date = row
                old = existing.get((participant, cohort))
                if old is not None and not with_exit:
                    exit_date = old[2]
                if self._classify(counts, old, (on, status, exit_date)):
                    rows.append(
                        {
                            "participant_id": participant,
                            "cohort_id": cohort,
                            "enrolled_on": on,
                            "status": status,
                            "exit_date": exit_date,
                        }
                    )
            update = ["enrolled_on", "status", "updated_at"] + (["exit_date"] if with_exit else [])
            if self.write:
                upsert(Enrollment, rows, unique=["participant", "cohort"], update=update)

    def attendance(self, f: CsvFile, counts: FileCounts) -> None:
        """From the keys and statuses the check pass kept (it accepted every row, or
        nothing is saved): ids, stored statuses and counts come from whole arrays, a
        chunk of rows at a time."""
        name = f.spec.name
        # The codes the check pass looked rows up in are not needed any more: their
        # memory goes to this step's tables of ids instead of adding to them.
        self.known.sessions = set()
        self.known.participants = {}
        keys, statuses = self.known.attendance_keys, self.known.attendance_statuses
        enrollment_of, cohort_of = enrollment_arrays(
            self.known.enrollments,
            self._participant_ids(),
            self._cohort_ids(),
            self._enrollment_ids(),
        )
        sessions_table = session_table(
            {
                (c, n): pk
                for c, n, pk in Session.objects.filter(cohort__organisation=self.org).values_list(
                    "cohort_id", "number", "id"
                )
            }
        )
        #: Enrollments that had attendance before this import; others cannot have any.
        with_attendance = np.fromiter(
            Attendance.objects.filter(enrollment__cohort__organisation=self.org)
            .order_by("enrollment_id")
            .values_list("enrollment_id", flat=True)
            .distinct(),
            np.int64,
        )
        total = len(keys)
        for start in range(0, total, CHUNK):
            part = slice(start, start + CHUNK)
            index = keys[part] // KEY_BASE
            enrollments = enrollment_of[index]
            sessions = session_ids(sessions_table, cohort_of[index], keys[part] % KEY_BASE)
            stored = stored_statuses(sessions, enrollments, with_attendance)
            created = stored == NO_STATUS
            changed = ~created & (stored != statuses[part])
            created_n, changed_n = int(created.sum()), int(changed.sum())
            counts.created += created_n
            counts.updated += changed_n
            counts.unchanged += len(index) - created_n - changed_n
            if self.write:
                for written, new in ((created, True), (changed, False)):
                    write_attendance(
                        sessions[written],
                        enrollments[written],
                        statuses[part][written],
                        recorded_by=self.actor.pk if self.actor else None,
                        now=self.now,
                        new=new,
                    )
            if self.progress:
                self.progress("save", name, min(start + CHUNK, total), total)
        # Nothing after this step reads them: their memory is given back before the
        # surveys are saved.
        self.known.attendance_keys = np.empty(0, dtype=np.int64)
        self.known.attendance_statuses = np.empty(0, dtype=np.uint8)
        self.known.enrollments = {}

    def responses(self, f: CsvFile, counts: FileCounts) -> None:
        counts.unit = "surveys"
        if self.progress:
            self.progress("save", f.spec.name, 0, len(self.known.surveys))
        participants = self._participant_ids()
        cohorts = self._cohort_ids()
        enrollments = self._enrollment_ids()
        instruments = self._instrument_ids()
        items: dict[int, dict[int, int]] = {}
        for instrument, number, pk in InstrumentItem.objects.filter(
            instrument_id__in=instruments.values()
        ).values_list("instrument_id", "number", "id"):
            items.setdefault(instrument, {})[number] = pk
        #: Item id → number, for every version: answers stored on an older version are
        #: compared with the bundle's by item number.
        numbers = dict(
            InstrumentItem.objects.filter(instrument__organisation=self.org).values_list(
                "id", "number"
            )
        )
        done = 0
        for batch in _batches(self.known.surveys.items(), BATCH):
            resolved = []
            for (participant, cohort, code, timepoint), survey in batch:
                enrollment = enrollments.get(
                    (participants.get(participant), cohorts.get(cohort, (None,))[0])
                )
                resolved.append((enrollment, code, timepoint, instruments.get(code), survey))
            enrollment_ids = {r[0] for r in resolved if r[0] is not None}
            existing = {
                (e, code, tp): (pk, instrument, day, score)
                for pk, e, code, tp, instrument, day, score in Administration.objects.filter(
                    enrollment_id__in=enrollment_ids
                ).values_list(
                    "id",
                    "enrollment_id",
                    "instrument_code",
                    "timepoint",
                    "instrument_id",
                    "date",
                    "score",
                )
            }
            answers: dict[int, dict[int, int | None]] = {}
            for administration, item, value in Answer.objects.filter(
                administration_id__in=[v[0] for v in existing.values()]
            ).values_list("administration_id", "item_id", "value"):
                answers.setdefault(administration, {})[item] = value
            admins, stale = [], []
            for enrollment, code, timepoint, instrument, survey in resolved:
                item_ids = items.get(instrument, {})
                new_answers = {item_ids.get(n): v for n, v in survey.answers.items()}
                for pk in item_ids.values():
                    new_answers.setdefault(pk, None)
                old_row = existing.get((enrollment, code, timepoint))
                old = new = None
                if old_row is not None:
                    pk, old_instrument, old_date, old_score = old_row
                    if (old_instrument != instrument or code in self.versioned) and (
                        old_date,
                        {
                            numbers.get(i): v
                            for i, v in answers.get(pk, {}).items()
                            if v is not None
                        },
                    ) == (
                        survey.date,
                        {n: v for n, v in survey.answers.items() if v is not None},
                    ):
                        # Already stored on an earlier version: it keeps its version and score.
                        counts.unchanged += 1
                        continue
                    old = (old_instrument, old_date, old_score, answers.get(pk, {}))
                    new = (instrument, survey.date, survey.score, new_answers)
                    if old_instrument != instrument:
                        stale.append(pk)
                if self._classify(counts, old, new):
                    admins.append((enrollment, code, timepoint, instrument, survey, new_answers))
            done += len(batch)
            if self.progress:
                self.progress("save", f.spec.name, done, len(self.known.surveys))
            if not self.write or not admins:
                continue
            self._upsert(
                Administration,
                [
                    Administration(
                        enrollment_id=enrollment,
                        instrument_id=instrument,
                        instrument_code=code,
                        timepoint=timepoint,
                        date=survey.date,
                        entered_by=self.actor,
                        score=survey.score,
                        answered_n=survey.answered_n,
                        missing_n=survey.missing_n,
                        is_complete=survey.score is not None,
                    )
                    for enrollment, code, timepoint, instrument, survey, _a in admins
                ],
                ["enrollment", "instrument_code", "timepoint"],
                [
                    "instrument",
                    "date",
                    "score",
                    "answered_n",
                    "missing_n",
                    "is_complete",
                    "updated_at",
                ],
            )
            ids = {
                (e, code, tp): pk
                for pk, e, code, tp in Administration.objects.filter(
                    enrollment_id__in={a[0] for a in admins}
                ).values_list("id", "enrollment_id", "instrument_code", "timepoint")
            }
            if stale:
                Answer.objects.filter(administration_id__in=stale).delete()
            upsert(
                Answer,
                [
                    {"administration_id": ids[(e, code, tp)], "item_id": item, "value": value}
                    for e, code, tp, _i, _s, new_answers in admins
                    for item, value in new_answers.items()
                ],
                unique=["administration", "item"],
                update=["value"],
            )


def save_bundle(bundle, known: Known, report: ImportReport, **kwargs) -> None:
    Saver(bundle, known, report, **kwargs).run()
