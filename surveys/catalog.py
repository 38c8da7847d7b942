"""Ready-made instruments a coordinator adds to a program in one click.

The published instruments live in ``surveys.library`` (one module each, with citation,
licence, exact scoring and tests against the published source). This module adds one
instrument of our own, ``EXIT`` (a yes/no program outcome asked at post only), and makes
an organisation's instrument from an entry.

An entry ships item wording only where the licence allows it (``wording_shipped``);
otherwise its items have no wording: staff see "paste in the wording your organisation
holds", staff entry shows "Question N", and participants cannot answer it on their own
(self-completion link, kiosk) until every item has wording.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from peersupport.audit import log_action
from programs.models import Program

from .instruments import (
    ItemData,
    current_instrument,
    instrument_create,
    program_instrument_set,
)
from .library import LIBRARY, LibraryEntry
from .models import Instrument, ProgramInstrument

YES_NO = {"0": "No", "1": "Yes", "fr": {"0": "Non", "1": "Oui"}}

EXIT = LibraryEntry(
    code="EXIT",
    name="Exit outcome (yes/no)",
    version="1 item",
    citation="",
    licence="Written for peersupport; free to use and change.",
    wording_shipped=True,
    staff_note=(
        "One-item program outcome. The wording is generic: change it to the outcome your "
        "program works toward. Asked at post only."
    ),
    min_value=0,
    max_value=1,
    texts=(
        (
            "Have you reached the goal you set for yourself in this program?",
            "Avez-vous atteint l'objectif que vous vous étiez fixé dans ce programme?",
        ),
    ),
    labels=YES_NO,
    missing_rule="The one item must be answered.",
    scoring="0 (no) or 1 (yes); the share meeting the target 1 is the share who said yes.",
    score_label="yes = 1",
    target_score=1,
    timepoints=("post",),
)

#: Catalog key (the code in lower case) → entry.
CATALOG: dict[str, LibraryEntry] = {e.key: e for e in (*LIBRARY.values(), EXIT)}


def entry_for_code(code: str) -> LibraryEntry | None:
    """The ready-made entry with this instrument code (how an import bundle names one)."""
    return CATALOG.get(code.lower()) if code else None


def entry_items(entry: LibraryEntry) -> list[ItemData]:
    return [
        ItemData(
            number=n,
            min_value=entry.min_value,
            max_value=entry.max_value,
            text=en,
            text_fr=fr,
            reverse=n in entry.reverse,
            value_labels=entry.labels,
        )
        for n, (en, fr) in enumerate(entry.texts, 1)
    ]


def staff_notes(entry: LibraryEntry) -> str:
    """The text staff read on the instrument's page (never shown to participants)."""
    parts = [
        entry.citation,
        _("Licence: %(l)s") % {"l": entry.licence},
        _("Scoring: %(s)s") % {"s": entry.scoring},
        _("Missing items: %(m)s") % {"m": entry.missing_rule},
        entry.staff_note,
    ]
    return "\n".join(p for p in parts if p)


def entry_fields(entry: LibraryEntry) -> dict:
    return {
        "name": entry.name,
        "max_missing": entry.max_missing,
        "target_score": entry.target_score,
        "conversion_table": dict(entry.conversion_table),
        "attribution": staff_notes(entry),
        "display": Instrument.Display.ONE if entry.n_items == 1 else Instrument.Display.ALL,
        "library_code": entry.code,
        "citation": entry.citation,
        "licence": entry.licence,
        "notice": entry.notice,
        "score_label": entry.score_label,
        "higher_is_better": entry.higher_is_better,
        "has_published_cutoff": entry.has_published_cutoff,
        "bands": [[b.low, b.high, b.label, b.label_fr] for b in entry.bands],
    }


@transaction.atomic
def catalog_instrument_ensure(*, organisation, key: str, by, request=None) -> Instrument:
    """The organisation's current instrument for a catalog entry, created if missing."""
    entry = CATALOG[key]
    existing = current_instrument(organisation=organisation, code=entry.code)
    if existing is not None:
        return existing
    return instrument_create(
        organisation=organisation,
        code=entry.code,
        fields=entry_fields(entry),
        items=entry_items(entry),
        by=by,
        request=request,
    )


@transaction.atomic
def catalog_add_to_program(
    *,
    program: Program,
    key: str,
    target_pct: float | None = None,
    timepoints: tuple[str, ...] | None = None,
    by,
    request=None,
) -> ProgramInstrument:
    """One click: the organisation's instrument (created if missing) used by the program,
    asked at the entry's usual timepoints unless ``timepoints`` says otherwise."""
    if key not in CATALOG:
        raise ValidationError({"key": [_("Unknown ready-made instrument.")]})
    entry = CATALOG[key]
    instrument = catalog_instrument_ensure(
        organisation=program.organisation, key=key, by=by, request=request
    )
    if target_pct is None:
        target_pct = entry.suggested_target_pct
    link = program_instrument_set(
        program=program,
        instrument_code=instrument.code,
        target_pct=target_pct,
        timepoints=timepoints or entry.timepoints,
        by=by,
        request=request,
    )
    log_action(
        actor=by,
        action="catalog.add",
        obj=program,
        detail={"catalog": key, "instrument": instrument.code},
        request=request,
    )
    return link
