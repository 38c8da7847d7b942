"""The one audit mechanism: ``log_action`` records who did what to which object.

Each entry has a registered dotted action name (``peersupport.actions``). Services change
a record with ``model_update`` (snapshot, set, save, diff, log in one call) and record a
creation or deletion with ``log_create`` / ``log_delete``.

Identifying values (any field marked ``identifying``, such as encrypted fields, or named
in a model's ``AUDIT_MASKED_FIELDS``) are never written to the log: their old and new
values are replaced by a mask, so the log shows *that* a name changed, not the name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from django.db import models

from . import actions
from .client_ip import client_ip
from .models import AuditEntry, Organisation

MASK = "•••"

M = TypeVar("M", bound=models.Model)


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


def _snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The concrete field values of ``instance``, for diffing before and after a change."""
    names = fields or [
        f.attname
        for f in instance._meta.concrete_fields
        # "last modified" stamps change on every save and say nothing about what changed
        if not f.primary_key and not getattr(f, "auto_now", False)
    ]
    return {name: _plain(getattr(instance, name)) for name in names}


def _diff(
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


def changes_between(
    old: models.Model | None, new: models.Model | None, fields: Iterable[str] | None = None
) -> dict[str, list]:
    """``{field: [old, new]}`` between two versions of a record (``None`` for "did not
    exist"): ``changes_between(None, obj)`` is a creation, ``changes_between(obj, None)`` a
    deletion. Identifying values are masked."""
    model = type(new if new is not None else old)
    before = _snapshot(old, fields) if old is not None else {}
    after = _snapshot(new, fields) if new is not None else dict.fromkeys(before)
    return _diff(model, before, after)


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
    """Append one entry. ``actor`` may be anonymous/None (a failed login, a survey link).

    ``action`` is a registered dotted name (``peersupport.actions``); any other is refused.
    """
    if not actions.is_registered(action):
        raise ValueError(f"unknown audit action {action!r}: register it in peersupport.actions")
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


def names_shown(participants: Iterable) -> int:
    """How many of ``participants`` a page shows by name (a preferred or legal name)."""
    return sum(1 for p in participants if p.preferred_name or p.legal_name)


def log_names_shown(*, request, action: str, obj: models.Model, count: int) -> AuditEntry:
    """Audit a page that shows participants' names: which list (the cohort or session in
    ``obj``) and how many names, never the names themselves."""
    return log_action(
        actor=request.user,
        action=action,
        obj=obj,
        detail={"path": request.path, "names": count},
        request=request,
    )


def log_create(
    *,
    actor,
    action: str,
    obj: models.Model,
    organisation: Organisation | None = None,
    detail: dict | None = None,
    request=None,
) -> AuditEntry:
    """Log the creation of ``obj`` (already saved) with its field values, masked."""
    return log_action(
        actor=actor,
        action=action,
        obj=obj,
        organisation=organisation,
        changes=changes_between(None, obj),
        detail=detail,
        request=request,
    )


def log_delete(
    *,
    actor,
    action: str,
    obj: models.Model,
    organisation: Organisation | None = None,
    detail: dict | None = None,
    request=None,
) -> AuditEntry:
    """Log the deletion of ``obj`` with the values it had, masked; call it before deleting."""
    return log_action(
        actor=actor,
        action=action,
        obj=obj,
        organisation=organisation,
        changes=changes_between(obj, None),
        detail=detail,
        request=request,
    )


def model_update(
    *,
    instance: M,
    data: Mapping[str, Any],
    fields: Iterable[str] | None = None,
    by,
    action: str,
    organisation: Organisation | None = None,
    request=None,
    detail: dict | Callable[[], dict | None] | None = None,
    extra_changes: dict | None = None,
    check: Callable[[M], None] | None = None,
) -> tuple[M, dict[str, list]]:
    """Change ``instance`` and audit it: snapshot, set, save, diff, log.

    Sets the ``fields`` named (all of ``data`` when not given) from ``data``, saves them
    with ``update_fields`` (and any "last modified" stamp), and writes one ``action`` entry
    with ``{field: [old, new]}``, identifying values masked, only when something changed.
    ``check`` is called with the changed instance before it is saved (raise
    ``ValidationError`` to refuse). ``extra_changes`` adds what the fields cannot show
    (many-to-many links, child rows). ``detail`` may be a callable, called after the save,
    for details that depend on it. Returns the instance and the changes.
    """
    names = list(data) if fields is None else [name for name in fields if name in data]
    opts = instance._meta
    for name in names:
        field = opts.get_field(name)
        if not getattr(field, "concrete", False) or field.many_to_many or field.primary_key:
            raise TypeError(f"model_update cannot set {opts.label}.{name}")
    before = _snapshot(instance)
    for name in names:
        setattr(instance, name, data[name])
    if check is not None:
        check(instance)
    stamps = [f.name for f in opts.concrete_fields if getattr(f, "auto_now", False)]
    instance.save(update_fields=[*names, *(s for s in stamps if s not in names)])
    changes = _diff(type(instance), before, _snapshot(instance))
    changes.update(extra_changes or {})
    if changes:
        log_action(
            actor=by,
            action=action,
            obj=instance,
            organisation=organisation,
            changes=changes,
            detail=detail() if callable(detail) else detail,
            request=request,
        )
    return instance, changes


def _audit_repr(obj: models.Model) -> str:
    """A label safe for the log: models with identifying ``__str__`` define ``audit_label``."""
    label = getattr(obj, "audit_label", None)
    if label is not None:
        return str(label() if callable(label) else label)
    return str(obj)
