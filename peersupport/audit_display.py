"""The audit log written for coordinators: what happened, to whom, by whom, in words.

An entry stores dotted names and field names (``participants.Participant``,
``enrolled_on``); the page shows the record's kind and field labels in the reader's
language, and a long list (the 50 codes of a page of participants) as how many there are.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

#: A list longer than this is shown as how many it holds.
LONGEST_LIST = 5
#: Detail keys whose lists are participants' codes.
PARTICIPANT_KEYS = {"codes", "participants"}
#: Labels of the detail keys the apps write most (others are shown from their names).
DETAIL_LABELS = {
    "path": gettext_lazy("Page"),
    "codes": gettext_lazy("Participants shown"),
    "participant": gettext_lazy("Participant"),
    "filters": gettext_lazy("Filters used"),
    "operation": gettext_lazy("Operation"),
    "via": gettext_lazy("Through"),
    "export": gettext_lazy("Export"),
    "sessions_moved": gettext_lazy("Sessions moved"),
    "names_shown": gettext_lazy("Names shown"),
}


@dataclass
class Line:
    label: str
    old: str | None
    new: str


def _model(object_type: str):
    try:
        return apps.get_model(object_type) if object_type else None
    except (LookupError, ValueError):
        return None


def object_label(entry) -> str:
    """To whom or what: the record's kind and its safe label ("Participant P-00042",
    "Cohort spring-2026"), or the kind alone for a list ("Participants")."""
    model = _model(entry.object_type)
    if model is None:
        return entry.object_repr or ""
    if not entry.object_id and not entry.object_repr:
        return capfirst(str(model._meta.verbose_name_plural))
    return f"{capfirst(str(model._meta.verbose_name))} {entry.object_repr}".strip()


def _field_label(model, name: str) -> str:
    if model is not None:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        label = getattr(field, "verbose_name", None)
        if label:
            return capfirst(str(label))
    return capfirst(name.replace("_", " "))


def value_text(value, key: str = "") -> str:
    """A stored value as words: yes/no, "—" for nothing, a long list as a count."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        if len(value) > LONGEST_LIST:
            if key in PARTICIPANT_KEYS:
                return ngettext("%(n)s participant", "%(n)s participants", len(value)) % {
                    "n": len(value)
                }
            return ngettext("%(n)s item", "%(n)s items", len(value)) % {"n": len(value)}
        return ", ".join(value_text(item) for item in value) or "—"
    if isinstance(value, dict):
        return "; ".join(
            f"{_detail_label(k)}: {value_text(v, k)}"
            for k, v in value.items()
            if v not in ("", None)
        )
    return str(value)


def _detail_label(key: str) -> str:
    label = DETAIL_LABELS.get(key)
    return str(label) if label is not None else capfirst(key.replace("_", " "))


def change_lines(entry) -> list[Line]:
    """What changed: the field's label, before and after."""
    model = _model(entry.object_type)
    return [
        Line(_field_label(model, name), value_text(old, name), value_text(new, name))
        for name, old, new in entry.change_rows
    ]


def detail_lines(entry) -> list[Line]:
    return [Line(_detail_label(k), None, value_text(v, k)) for k, v in entry.detail_rows]


def describe(entries) -> None:
    """Give each entry of a page its words: ``whom``, ``change_lines``, ``detail_lines``."""
    for entry in entries:
        entry.whom = object_label(entry)
        entry.readable_changes = change_lines(entry)
        entry.readable_details = detail_lines(entry)
