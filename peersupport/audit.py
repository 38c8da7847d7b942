"""The one audit mechanism: ``log_action`` records who did what to which object.

Identifying values (any field marked ``identifying``, such as encrypted fields, or named
in a model's ``AUDIT_MASKED_FIELDS``) are never written to the log: their old and new
values are replaced by a mask, so the log shows *that* a name changed, not the name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from .client_ip import client_ip
from .models import AuditEntry, Organisation

MASK = "•••"


def _client_ip(request) -> str | None:
    return client_ip(request)


def is_identifying(model: type[models.Model], field_name: str) -> bool:
    masked = getattr(model, "AUDIT_MASKED_FIELDS", ())
    if field_name in masked:
        return True
    try:
        field = model._meta.get_field(field_name)
    except Exception:  # noqa: BLE001 - a non-field attribute is not identifying
        return False
    return bool(getattr(field, "identifying", False))


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The concrete field values of ``instance``, for diffing before and after a change."""
    names = fields or [
        f.attname
        for f in instance._meta.concrete_fields
        # "last modified" stamps change on every save and say nothing about what changed
        if not f.primary_key and not getattr(f, "auto_now", False)
    ]
    return {name: _plain(getattr(instance, name)) for name in names}


def diff(
    model: type[models.Model], before: dict[str, Any], after: dict[str, Any]
) -> dict[str, list]:
    """``{field: [old, new]}`` for the fields that changed, identifying values masked."""
    changes = {}
    for name, new in after.items():
        old = before.get(name)
        if old == new:
            continue
        field_name = name[:-3] if name.endswith("_id") else name
        if is_identifying(model, field_name) or is_identifying(model, name):
            changes[name] = [MASK if old else "", MASK if new else ""]
        else:
            changes[name] = [old, new]
    return changes


def _organisation_of(obj: models.Model | None) -> Organisation | None:
    if obj is None:
        return None
    if isinstance(obj, Organisation):
        return obj
    getter = getattr(obj, "audit_organisation", None)
    if getter is not None:
        return getter() if callable(getter) else getter
    return getattr(obj, "organisation", None)


def log_action(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    organisation: Organisation | None = None,
    changes: dict | None = None,
    detail: dict | None = None,
    request=None,
    object_type: str = "",
    object_id: str = "",
) -> AuditEntry:
    """Append one entry. ``actor`` may be anonymous/None (a failed login, a survey link)."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or str(obj.pk)
        object_repr = _audit_repr(obj)
    else:
        object_repr = ""
    return AuditEntry.objects.create(
        organisation=organisation or _organisation_of(obj),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        changes=changes or {},
        detail=detail or {},
        ip_address=_client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request else ""),
    )


def log_change(
    *,
    actor,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    deleted: bool = False,
    organisation: Organisation | None = None,
    detail: dict | None = None,
    request=None,
    skip_unchanged: bool = False,
) -> AuditEntry | None:
    """Log a creation (no ``before``), a change (``before`` is a ``snapshot`` taken before
    it) or a deletion (``deleted``; call it before deleting) of ``obj``, with the field
    changes and identifying values masked. ``skip_unchanged`` logs nothing for a change
    that changed nothing."""
    if deleted:
        before = snapshot(obj) if before is None else before
        action, changes = AuditEntry.Action.DELETE, diff(type(obj), before, dict.fromkeys(before))
    elif before is None:
        action, changes = AuditEntry.Action.CREATE, diff(type(obj), {}, snapshot(obj))
    else:
        action = AuditEntry.Action.UPDATE
        changes = diff(type(obj), before, snapshot(obj, fields=list(before)))
        if skip_unchanged and not changes:
            return None
    return log_action(
        actor=actor,
        action=action,
        obj=obj,
        organisation=organisation,
        changes=changes,
        detail=detail,
        request=request,
    )


def _audit_repr(obj: models.Model) -> str:
    """A label safe for the log: models with identifying ``__str__`` define ``audit_label``."""
    label = getattr(obj, "audit_label", None)
    if label is not None:
        return str(label() if callable(label) else label)
    return str(obj)
