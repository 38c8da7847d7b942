"""Ready-made instrument definitions a coordinator adds to a program in one click.

Published scales have copyrighted wording, and some require registration before use.
These definitions ship the *structure and scoring* only (number of items, ranges,
reverse-scored items, missing-item rule, target) with neutral placeholder wording written
for this project. The organisation pastes in the licensed wording it holds by editing the
instrument (a new version is created once answers exist).

Choices made here (an evaluator reading a report should know them):

- ``GSE`` general self-efficacy: 10 items scored 1–4 (total 10–40); up to 3 missing items
  are pro-rated. ``target_score`` is 29: a mean item answer of 2.9, i.e. on average
  "moderately true" or above, roughly the middle of published adult norms. Programs may
  change it. Suggested program target: 75% meeting it at post.
- ``SWB`` short wellbeing: 7 items scored 1–5 (raw total 7–35); up to 1 missing item
  pro-rated. The conversion table is a **placeholder of our own (identity: each raw total
  maps to itself)**, not any published transformation; replace it with the table your
  licence provides. No target score.
- ``SES`` self-esteem: 10 items scored 1–4 (total 10–40) with items 2, 5, 6, 8 and 9
  reverse-scored; up to 1 missing item pro-rated. No target score (set one if your
  program defines one).
- ``EXIT`` exit outcome: one yes/no item scored 0 (no) or 1 (yes), no missing item
  allowed, target 1, so "% meeting target at post" is the share who reported the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peersupport.audit import log_action
from programs.models import Program

from .instruments import (
    ItemData,
    current_instrument,
    instrument_create,
    program_instrument_set,
)
from .models import Instrument, ProgramInstrument

PLACEHOLDER_NOTE = (
    "Placeholder wording written for peersupport; it is not the published scale's wording. "
    "Paste in the licensed wording your organisation holds (edit the instrument)."
)

AGREE_4 = {
    "1": "Not at all true",
    "2": "Hardly true",
    "3": "Moderately true",
    "4": "Exactly true",
    "fr": {
        "1": "Pas du tout vrai",
        "2": "À peine vrai",
        "3": "Moyennement vrai",
        "4": "Tout à fait vrai",
    },
}
AGREE_4_SE = {
    "1": "Strongly disagree",
    "2": "Disagree",
    "3": "Agree",
    "4": "Strongly agree",
    "fr": {
        "1": "Tout à fait en désaccord",
        "2": "En désaccord",
        "3": "D'accord",
        "4": "Tout à fait d'accord",
    },
}
OFTEN_5 = {
    "1": "None of the time",
    "2": "Rarely",
    "3": "Some of the time",
    "4": "Often",
    "5": "All of the time",
    "fr": {
        "1": "Jamais",
        "2": "Rarement",
        "3": "Parfois",
        "4": "Souvent",
        "5": "Tout le temps",
    },
}
YES_NO = {"0": "No", "1": "Yes", "fr": {"0": "Non", "1": "Oui"}}


@dataclass(frozen=True)
class CatalogEntry:
    key: str
    code: str
    name: str
    description: str
    min_value: int
    max_value: int
    texts: tuple[tuple[str, str], ...]  # (English, French) placeholder wording per item
    labels: dict
    reverse: tuple[int, ...] = ()
    max_missing: int = 0
    target_score: float | None = None
    conversion_table: dict | None = None
    attribution: str = ""
    display: str = Instrument.Display.ALL
    suggested_target_pct: float | None = None

    @property
    def n_items(self) -> int:
        return len(self.texts)

    def items(self) -> list[ItemData]:
        return [
            ItemData(
                number=n,
                min_value=self.min_value,
                max_value=self.max_value,
                text=en,
                text_fr=fr,
                reverse=n in self.reverse,
                value_labels=self.labels,
            )
            for n, (en, fr) in enumerate(self.texts, 1)
        ]


def _placeholders(prefix_en: str, prefix_fr: str, n: int) -> tuple[tuple[str, str], ...]:
    return tuple(
        (f"{prefix_en} — statement {i} (placeholder)", f"{prefix_fr} — énoncé {i} (provisoire)")
        for i in range(1, n + 1)
    )


CATALOG: dict[str, CatalogEntry] = {
    entry.key: entry
    for entry in (
        CatalogEntry(
            key="self-efficacy",
            code="GSE",
            name="General self-efficacy (10 items)",
            description=gettext_lazy("10 items scored 1–4; up to 3 missing pro-rated; target 29."),
            min_value=1,
            max_value=4,
            texts=_placeholders("Coping with difficulties", "Faire face aux difficultés", 10),
            labels=AGREE_4,
            max_missing=3,
            target_score=29,
            attribution=(
                "Structure of a 10-item general self-efficacy scale (items 1–4). "
                + PLACEHOLDER_NOTE
            ),
            suggested_target_pct=75,
        ),
        CatalogEntry(
            key="wellbeing",
            code="SWB",
            name="Short wellbeing scale (7 items)",
            description=gettext_lazy(
                "7 items scored 1–5; raw total converted by a table (placeholder values)."
            ),
            min_value=1,
            max_value=5,
            texts=_placeholders("Feeling well", "Se sentir bien", 7),
            labels=OFTEN_5,
            max_missing=1,
            conversion_table={str(raw): float(raw) for raw in range(7, 36)},
            attribution=(
                "Structure of a 7-item short wellbeing scale (items 1–5). The conversion table "
                "is a neutral placeholder of our own (each raw total maps to itself), not the "
                "published transformation: replace it with the table your licence provides. "
                + PLACEHOLDER_NOTE
            ),
        ),
        CatalogEntry(
            key="self-esteem",
            code="SES",
            name="Self-esteem scale (10 items)",
            description=gettext_lazy("10 items scored 1–4; items 2, 5, 6, 8, 9 reverse-scored."),
            min_value=1,
            max_value=4,
            texts=_placeholders("How I see myself", "Comment je me vois", 10),
            labels=AGREE_4_SE,
            reverse=(2, 5, 6, 8, 9),
            max_missing=1,
            attribution=(
                "Structure of a 10-item self-esteem scale (items 1–4; items 2, 5, 6, 8 and 9 "
                "reverse-scored). " + PLACEHOLDER_NOTE
            ),
        ),
        CatalogEntry(
            key="exit",
            code="EXIT",
            name="Exit outcome (yes/no)",
            description=gettext_lazy("One yes/no item (0–1), target 1."),
            min_value=0,
            max_value=1,
            texts=(
                (
                    "Has the outcome this program works toward been reached? (placeholder)",
                    "Le résultat visé par le programme est-il atteint? (provisoire)",
                ),
            ),
            labels=YES_NO,
            target_score=1,
            attribution="One-item program outcome, worded by the organisation. " + PLACEHOLDER_NOTE,
            display=Instrument.Display.ONE,
        ),
    )
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
        fields={
            "name": entry.name,
            "max_missing": entry.max_missing,
            "target_score": entry.target_score,
            "conversion_table": entry.conversion_table or {},
            "attribution": entry.attribution,
            "display": entry.display,
        },
        items=entry.items(),
        by=by,
        request=request,
    )


@transaction.atomic
def catalog_add_to_program(
    *, program: Program, key: str, target_pct: float | None = None, by, request=None
) -> ProgramInstrument:
    """One click: the organisation's instrument (created if missing) used by the program."""
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
