"""The audit log's actions: one dotted name per kind of event, each with a label.

A name is ``<thing>.<what happened>`` (``participant.erase``, ``attendance.set``,
``auth.login``); the label is what a coordinator reads in the audit log. ``log_action``
refuses a name that is not registered here, so a misspelt name fails the tests.

This module registers the actions of ``peersupport`` itself; every app above it registers
its own from its ``AppConfig.ready()`` with ``register({...})``.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

_ACTIONS: dict[str, str | Promise] = {}


def register(actions: Mapping[str, str | Promise]) -> None:
    """Add ``{name: label}`` actions. Registering a name again with another label is an
    error: two apps would be writing different events under one name."""
    for name, label in actions.items():
        if not name or "." not in name or len(name) > 64 or name != name.strip().lower():
            raise ValueError(f"audit action names look like 'thing.verb', not {name!r}")
        known = _ACTIONS.get(name)
        if known is not None and str(known) != str(label):
            raise ValueError(f"audit action {name!r} is already registered")
        _ACTIONS[name] = label


def is_registered(name: str) -> bool:
    return name in _ACTIONS


def label(name: str) -> str:
    """The human label of ``name``; the name itself for one no longer registered."""
    known = _ACTIONS.get(name)
    return str(known) if known is not None else name


def choices() -> list[tuple[str, str]]:
    """``(name, label)`` of every registered action, by label, for a filter."""
    return sorted(((name, str(text)) for name, text in _ACTIONS.items()), key=lambda c: c[1])


register(
    {
        "auth.login": _("Signed in"),
        "auth.login_failed": _("Failed sign-in"),
        "auth.logout": _("Signed out"),
        "access.denied": _("Access refused"),
        "job.queue_failed": _("Background job could not be queued"),
        "organisation.setup": _("Organisation set up"),
        "organisation.settings": _("Organisation settings changed"),
        "invitation.create": _("Invitation created"),
        "invitation.accept": _("Invitation accepted"),
        "membership.update": _("Member's role or access changed"),
        "admin.create": _("Record created in the admin"),
        "admin.update": _("Record changed in the admin"),
        "admin.delete": _("Record deleted in the admin"),
        "encryption.rotate": _("Encrypted values re-encrypted under the current key"),
        "backup.create": _("Backup made"),
        "backup.restore": _("Backup restored"),
    }
)
