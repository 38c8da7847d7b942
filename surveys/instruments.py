"""Instruments: fetching them for a user, reading them, creating and versioning them.

An instrument is identified across versions by its ``code``. Editing an instrument that
already has administrations never changes what those administrations were answered on:
it creates the next version, which becomes the current one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Prefetch, QuerySet
from django.template.defaultfilters import floatformat
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from peersupport.audit import changes_between, log_action, model_update
from peersupport.models import Organisation
from peersupport.permissions import REPORT_ROLES, Access, get_for_user
from programs.models import Program

from .models import Administration, Instrument, InstrumentItem, ProgramInstrument
from .scoring import ConversionTableError, ItemSpec, check_conversion_table, check_instrument

#: Instrument fields a form may set (``code`` only when creating).
INSTRUMENT_FIELDS = (
    "name",
    "max_missing",
    "target_score",
    "conversion_table",
    "attribution",
    "display",
    "library_code",
    "citation",
    "licence",
    "notice",
    "score_label",
    "higher_is_better",
    "has_published_cutoff",
    "bands",
)


@dataclass(frozen=True)
class ItemData:
    """One item as a form or a catalog entry describes it."""

    number: int
    min_value: int
    max_value: int
    text: str = ""
    text_fr: str = ""
    reverse: bool = False
    value_labels: dict = field(default_factory=dict)

    @classmethod
    def of(cls, item: InstrumentItem) -> ItemData:
        return cls(
            number=item.number,
            min_value=item.min_value,
            max_value=item.max_value,
            text=item.text,
            text_fr=item.text_fr,
            reverse=item.reverse,
            value_labels=dict(item.value_labels or {}),
        )


# --- access -------------------------------------------------------------------------


def get_instrument_for_user(request, pk, roles=REPORT_ROLES) -> Access[Instrument]:
    return get_for_user(
        request,
        Instrument.objects.prefetch_related("items"),
        roles=roles,
        organisation_of=lambda i: i.organisation_id,
        pk=pk,
    )


# --- selectors ----------------------------------------------------------------------


def item_specs(instrument: Instrument) -> list[ItemSpec]:
    """The instrument's items as the scoring function reads them (uses prefetched items)."""
    return [ItemSpec(i.number, i.min_value, i.max_value, i.reverse) for i in instrument.items.all()]


def instruments_of(*, organisation: Organisation) -> QuerySet[Instrument]:
    """Current versions of the organisation's instruments, with their items."""
    return Instrument.objects.filter(organisation=organisation, is_current=True).prefetch_related(
        "items"
    )


def current_instrument(*, organisation: Organisation | int, code: str) -> Instrument | None:
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    return (
        Instrument.objects.filter(organisation_id=org_id, code=code, is_current=True)
        .prefetch_related(Prefetch("items", queryset=InstrumentItem.objects.order_by("number")))
        .first()
    )


def instrument_versions(*, instrument: Instrument) -> QuerySet[Instrument]:
    return Instrument.objects.filter(
        organisation_id=instrument.organisation_id, code=instrument.code
    ).order_by("-version")


def program_instrument_links(*, program: Program) -> QuerySet[ProgramInstrument]:
    """The instruments ``program`` uses, with its target for each, by code.

    The one reader of that fact: the program's instruments page (``program_instruments``)
    and the evaluation figures both start from it.
    """
    return ProgramInstrument.objects.filter(program=program).order_by("instrument_code")


def program_instruments(*, program: Program) -> list[tuple[ProgramInstrument, Instrument | None]]:
    """The program's instruments with the current version of each (None when missing)."""
    links = list(program_instrument_links(program=program))
    current = {
        i.code: i
        for i in Instrument.objects.filter(
            organisation_id=program.organisation_id,
            code__in=[link.instrument_code for link in links],
            is_current=True,
        ).prefetch_related("items")
    }
    return [(link, current.get(link.instrument_code)) for link in links]


def labels_for(item: InstrumentItem, language: str = "en") -> dict[int, str]:
    """Value → label for ``language``; French falls back to the default labels.

    ``value_labels`` is ``{"1": "label", …, "fr": {"1": "libellé", …}}``.
    """
    raw = item.value_labels or {}
    base = {int(k): str(v) for k, v in raw.items() if str(k).lstrip("-").isdigit()}
    if language != "en" and isinstance(raw.get(language), dict):
        for k, v in raw[language].items():
            if str(k).lstrip("-").isdigit() and v:
                base[int(k)] = str(v)
    return base


def item_text(item: InstrumentItem, language: str = "en") -> str:
    if language == "fr" and item.text_fr:
        return item.text_fr
    return item.text


def score_note(instrument: Instrument) -> str:
    """What the score is and who chose its target, for every report, e.g. "Score: metric
    score. Target: at or above 30 (set by your organisation; the scale has no published
    cut-off)." Bands are listed when the scale publishes them."""
    parts = []
    if instrument.score_label:
        parts.append(_("Score: %(label)s.") % {"label": instrument.score_label})
    target = instrument.target_score
    if target is not None:
        if instrument.has_published_cutoff:
            who = _("the scale's published cut-off")
        elif instrument.bands:
            who = _("set by your organisation; the scale publishes bands, not a target")
        else:
            who = _("set by your organisation; the scale has no published cut-off")
        text = (
            _("Target: at or above %(t)s (%(who)s).")
            if instrument.higher_is_better
            else _("Target: at or below %(t)s (%(who)s).")
        )
        parts.append(text % {"t": floatformat(target, -2), "who": who})
    if instrument.bands:
        french = get_language() == "fr"
        bands = ", ".join(
            f"{floatformat(b[0], -2)}–{floatformat(b[1], -2)} "
            f"{b[3] if french and len(b) > 3 and b[3] else b[2]}"
            for b in instrument.bands
        )
        parts.append(_("Published bands: %(bands)s.") % {"bands": bands})
    return " ".join(parts)


# --- scoring and versions ------------------------------------------------------------


@dataclass(frozen=True)
class Scoring:
    """What decides the score of a set of answers: the items (number, range, reverse
    flag), how many may be missing, and the conversion table. Two versions with equal
    ``Scoring`` score the same answers the same way."""

    items: tuple[tuple[int, int, int, bool], ...]
    max_missing: int
    conversion_table: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(
        cls, *, items: Iterable, max_missing: int, conversion_table: Mapping | None = None
    ) -> Scoring:
        """From ``ItemData``, ``ItemSpec`` or ``InstrumentItem`` objects."""
        return cls(
            items=tuple(
                sorted((i.number, i.min_value, i.max_value, bool(i.reverse)) for i in items)
            ),
            max_missing=max_missing,
            conversion_table=tuple(
                sorted((str(k), json.dumps(v)) for k, v in (conversion_table or {}).items())
            ),
        )


def scoring_of(instrument: Instrument) -> Scoring:
    """The scoring of one stored version (uses prefetched items)."""
    return Scoring.of(
        items=instrument.items.all(),
        max_missing=instrument.max_missing,
        conversion_table=instrument.conversion_table,
    )


def scoring_differs(instruments: Iterable[Instrument]) -> bool:
    """True when the given versions do not all score answers the same way."""
    return len({scoring_of(i) for i in instruments}) > 1


def needs_new_version(
    *, instrument: Instrument, scoring: Scoring, wording_changed: bool = False
) -> bool:
    """The one rule for a change to a stored instrument (the edit page and the import):
    it needs a new version when the instrument has administrations and the change alters
    how answers are scored, or the wording of the items they answered. A change of name,
    target or notes alone is made in place."""
    return (scoring != scoring_of(instrument) or wording_changed) and Administration.objects.filter(
        instrument=instrument
    ).exists()


# --- validation ---------------------------------------------------------------------


def validate_definition(
    *, items: Sequence[ItemData], max_missing: int, conversion_table: Mapping | None
) -> None:
    """Raise ``ValidationError`` (keyed by form field) when the definition cannot be scored."""
    errors: dict[str, list[str]] = {}
    if not items:
        raise ValidationError({"__all__": [_("An instrument needs at least one item.")]})
    numbers = [i.number for i in items]
    if len(set(numbers)) != len(numbers):
        errors.setdefault("__all__", []).append(_("Two items have the same number."))
    for item in items:
        if item.max_value <= item.min_value:
            errors.setdefault("__all__", []).append(
                _("Item %(n)s: the highest value must be above the lowest.") % {"n": item.number}
            )
    specs = [ItemSpec(i.number, i.min_value, i.max_value, i.reverse) for i in items]
    try:
        check_instrument(specs, max_missing)
    except ValueError:
        if max_missing >= len(items):
            msg = _("Fewer items than the instrument has may be missing (at most %(n)s).") % {
                "n": len(items) - 1
            }
        else:
            msg = _(
                "Missing items can only be pro-rated when every item has the same range; "
                "set this to 0 or give the items one range."
            )
        errors.setdefault("max_missing", []).append(msg)
    if conversion_table and "max_missing" not in errors and "__all__" not in errors:
        try:
            check_conversion_table(specs, conversion_table)
        except ConversionTableError as exc:
            errors.setdefault("conversion_table", []).append(str(exc))
    if errors:
        raise ValidationError(errors)


# --- services -----------------------------------------------------------------------


def _create_items(instrument: Instrument, items: Iterable[ItemData]) -> None:
    InstrumentItem.objects.bulk_create(
        InstrumentItem(
            instrument=instrument,
            number=i.number,
            text=i.text,
            text_fr=i.text_fr,
            min_value=i.min_value,
            max_value=i.max_value,
            reverse=i.reverse,
            value_labels=i.value_labels,
        )
        for i in sorted(items, key=lambda i: i.number)
    )


def _items_snapshot(items: Iterable[ItemData]) -> list:
    return [
        [i.number, i.min_value, i.max_value, i.reverse, i.text, i.text_fr, i.value_labels]
        for i in sorted(items, key=lambda i: i.number)
    ]


def _wording(items: Iterable[ItemData]) -> list:
    return [
        [i.number, i.text, i.text_fr, i.value_labels] for i in sorted(items, key=lambda i: i.number)
    ]


@transaction.atomic
def instrument_create(
    *,
    organisation: Organisation,
    code: str,
    fields: Mapping,
    items: Sequence[ItemData],
    by,
    request=None,
) -> Instrument:
    """Create version 1 of a new instrument code."""
    if Instrument.objects.filter(organisation=organisation, code=code).exists():
        raise ValidationError({"code": [_("An instrument with this code already exists.")]})
    data = {k: fields[k] for k in INSTRUMENT_FIELDS if k in fields}
    validate_definition(
        items=items,
        max_missing=data.get("max_missing", 0),
        conversion_table=data.get("conversion_table"),
    )
    instrument = Instrument.objects.create(organisation=organisation, code=code, **data)
    _create_items(instrument, items)
    log_action(
        actor=by,
        action="instrument.create",
        obj=instrument,
        changes={"items": [None, len(items)]},
        request=request,
    )
    return instrument


@transaction.atomic
def instrument_update(
    *, instrument: Instrument, fields: Mapping, items: Sequence[ItemData], by, request=None
) -> Instrument:
    """Change an instrument. Returns the instrument now current: the same one when it has no
    administrations yet or the change leaves its scoring and wording alone
    (``needs_new_version``), otherwise a new version (the old one keeps its answers)."""
    instrument = Instrument.objects.select_for_update().get(pk=instrument.pk)
    if not instrument.is_current:
        raise ValidationError(
            {"__all__": [_("Only the current version of an instrument can be edited.")]}
        )
    data = {k: fields[k] for k in INSTRUMENT_FIELDS if k in fields}
    validate_definition(
        items=items,
        max_missing=data.get("max_missing", instrument.max_missing),
        conversion_table=data.get("conversion_table", instrument.conversion_table),
    )
    old_items = [ItemData.of(i) for i in instrument.items.order_by("number")]
    scoring = Scoring.of(
        items=items,
        max_missing=data.get("max_missing", instrument.max_missing),
        conversion_table=data.get("conversion_table", instrument.conversion_table),
    )
    if needs_new_version(
        instrument=instrument,
        scoring=scoring,
        wording_changed=_wording(old_items) != _wording(items),
    ):
        return instrument_next_version(
            instrument=instrument, fields=data, items=items, by=by, request=request
        )
    items_changed = _items_snapshot(old_items) != _items_snapshot(items)
    if items_changed:
        instrument.items.all().delete()
        _create_items(instrument, items)
    instrument, _changes = model_update(
        instance=instrument,
        data=data,
        by=by,
        action="instrument.update",
        extra_changes={"items": [len(old_items), len(items)]} if items_changed else None,
        request=request,
    )
    return instrument


def instrument_next_version(
    *,
    instrument: Instrument,
    fields: Mapping,
    items: Sequence[ItemData],
    by,
    request=None,
    detail: Mapping | None = None,
) -> Instrument:
    """Retire ``instrument`` and make the next version, current, with ``fields`` (the rest
    copied) and ``items``: the answers already given keep the version they were scored on.
    Called inside the caller's transaction."""
    latest = instrument_versions(instrument=instrument).aggregate(v=Max("version"))["v"]
    instrument.is_current = False
    instrument.save(update_fields=["is_current"])
    new = Instrument(
        organisation_id=instrument.organisation_id,
        code=instrument.code,
        version=latest + 1,
        is_current=True,
        **{k: fields.get(k, getattr(instrument, k)) for k in INSTRUMENT_FIELDS},
    )
    new.save()
    _create_items(new, items)
    log_action(
        actor=by,
        action="instrument.new_version",
        obj=new,
        changes=changes_between(instrument, new, fields=INSTRUMENT_FIELDS),
        detail={"new_version_of": instrument.pk, "version": new.version, **(detail or {})},
        request=request,
    )
    return new


TIMEPOINT_FIELDS = {"pre": "at_pre", "post": "at_post", "followup": "at_followup"}


@transaction.atomic
def program_instrument_set(
    *,
    program: Program,
    instrument_code: str,
    target_pct: float | None,
    timepoints: Sequence[str] | None = None,
    by,
    request=None,
) -> ProgramInstrument:
    """Use an instrument in a program (or change its target % or its timepoints).

    ``timepoints`` (pre, post, follow-up) are those at which the program asks it; None
    keeps the link's (pre and post for a new link).
    """
    if not Instrument.objects.filter(
        organisation_id=program.organisation_id, code=instrument_code
    ).exists():
        raise ValidationError({"instrument_code": [_("There is no instrument with this code.")]})
    if target_pct is not None and not 0 <= target_pct <= 100:
        raise ValidationError({"target_pct": [_("Enter a percentage between 0 and 100.")]})
    asked: dict[str, bool] = {}
    if timepoints is not None:
        unknown = set(timepoints) - set(TIMEPOINT_FIELDS)
        if unknown or not timepoints:
            raise ValidationError(
                {"timepoints": [_("Choose at least one of pre, post and follow-up.")]}
            )
        asked = {f: tp in timepoints for tp, f in TIMEPOINT_FIELDS.items()}
    link, created = ProgramInstrument.objects.get_or_create(
        program=program,
        instrument_code=instrument_code,
        defaults={"target_pct": target_pct, **asked},
    )
    if created:
        log_action(
            actor=by,
            action="program_instrument.add",
            obj=link,
            organisation=program.organisation,
            changes={"target_pct": [None, target_pct], "timepoints": [None, list(link.timepoints)]},
            request=request,
        )
        return link
    data = {"target_pct": target_pct, **asked}
    if any(getattr(link, k) != v for k, v in data.items()):
        model_update(
            instance=link,
            data=data,
            by=by,
            action="program_instrument.update",
            organisation=program.organisation,
            request=request,
        )
    return link


@transaction.atomic
def program_instrument_remove(*, link: ProgramInstrument, by, request=None) -> None:
    """Stop using an instrument in a program; recorded administrations stay."""
    program = link.program
    log_action(
        actor=by,
        action="program_instrument.remove",
        obj=link,
        organisation=program.organisation,
        request=request,
    )
    link.delete()
