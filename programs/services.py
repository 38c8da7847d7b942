"""Writes for programs (with their modules and curriculum) and closure dates; volunteers
are in ``programs.volunteers``.

Every function checks its input, writes inside one transaction and records each change in
the audit log, so a refused request leaves nothing half-saved and nothing unexplained.
Rules are raised as ``ValidationError`` keyed by the form field they concern; views turn
them into form errors.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from peersupport.audit import log_create, log_delete, model_update
from peersupport.models import Organisation

from .models import (
    ClosureDate,
    Cohort,
    ContactAccessGrant,
    CurriculumTopic,
    Module,
    Program,
    Volunteer,
)
from .signals import closure_added, module_in_use
from .templates_catalog import TEMPLATES

PROGRAM_FIELDS = (
    "code",
    "name",
    "description",
    "target_population",
    "start_date",
    "end_date",
    "status",
)
#: Moves unique keys (module order, topic week) out of the way while rows are renumbered.
_KEY_OFFSET = 10000


@dataclass(frozen=True)
class ModuleSpec:
    name: str
    weeks: int
    id: int | None = None


@dataclass(frozen=True)
class TopicSpec:
    week: int
    title: str
    description: str = ""
    id: int | None = None


# --- programs ---------------------------------------------------------------------------


def structure_errors(
    *,
    modules: list[ModuleSpec],
    topics: list[TopicSpec],
    start_date: date | None = None,
    end_date: date | None = None,
) -> dict[str, list[str]]:
    """What is wrong with a program's modules and curriculum, keyed by where to say it.

    These rules hold whatever the cohorts' schedules are: at least one module, each at
    least a week long; one topic per week, inside the program's weeks; a program that ends
    leaves room for one cohort of all its weeks.
    """
    errors: dict[str, list[str]] = {}
    if not modules:
        errors.setdefault("modules", []).append(_("Add at least one module."))
    for spec in modules:
        if spec.weeks < 1:
            errors.setdefault("modules", []).append(
                _("Module “%(name)s” must last at least one week.") % {"name": spec.name}
            )
    total = sum(max(spec.weeks, 0) for spec in modules)
    counts = Counter(t.week for t in topics)
    for week in sorted(w for w, n in counts.items() if n > 1):
        errors.setdefault("topics", []).append(
            _("Week %(week)s has more than one topic.") % {"week": week}
        )
    for week in sorted({t.week for t in topics}):
        if week < 1 or (modules and week > total):
            errors.setdefault("topics", []).append(
                _("Week %(week)s is outside the program, which has %(total)s weeks.")
                % {"week": week, "total": total}
            )
    if start_date and end_date and total:
        last_day = start_date + timedelta(weeks=total) - timedelta(days=1)
        if end_date < start_date:
            errors.setdefault("end_date", []).append(
                _("The end date must be on or after the start date.")
            )
        elif end_date < last_day:
            errors.setdefault("end_date", []).append(
                _(
                    "The program ends on %(end)s, before a cohort starting on its first day "
                    "could finish its %(weeks)s weeks (%(last)s)."
                )
                % {"end": end_date, "weeks": total, "last": last_day}
            )
    return errors


def _program_errors(
    *, organisation: Organisation, fields: dict, program: Program | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    code = fields.get("code")
    others = Program.objects.filter(organisation=organisation, code=code)
    if program is not None:
        others = others.exclude(pk=program.pk)
    if code and others.exists():
        errors["code"] = [_("Another program of your organisation already uses this code.")]
    if program is not None:
        # Its cohorts stay inside its dates (a cohort outside them is in no program year);
        # checked when a date changes, so older records never block other edits.
        start, end = fields.get("start_date"), fields.get("end_date")
        if start == program.start_date:
            start = None
        if end == program.end_date:
            end = None
        cohorts = Cohort.objects.filter(program=program).order_by("start_date")
        early = cohorts.filter(start_date__lt=start).first() if start else None
        if early is not None:
            errors["start_date"] = [
                _(
                    "Cohort %(code)s starts on %(date)s, before this date: a program starts "
                    "on or before its first cohort."
                )
                % {"code": early.code, "date": formats.date_format(early.start_date)}
            ]
        late = cohorts.filter(start_date__gt=end).last() if end else None
        if late is not None:
            errors.setdefault("end_date", []).append(
                _(
                    "Cohort %(code)s starts on %(date)s, after this date: a program ends "
                    "after its last cohort starts."
                )
                % {"code": late.code, "date": formats.date_format(late.start_date)}
            )
    return errors


def _sync_children(
    *,
    program: Program,
    model: type[Module] | type[CurriculumTopic],
    name: str,
    key: str,
    rows: list[tuple[int | None, dict]],
    by,
    request,
) -> None:
    """Make ``program``'s modules (or topics) be exactly ``rows``: ``(id or None, values)``.

    Rows keep their identity (sessions point at modules), so existing rows are updated in
    place; their unique key is moved aside first so that reordering never collides.
    ``name`` starts the audit action names (``module.create``, ``topic.delete``).
    """
    organisation = program.organisation
    existing = {obj.pk: obj for obj in model.objects.filter(program=program)}
    kept = {pk for pk, _values in rows if pk is not None}
    if kept - existing.keys():
        raise ValidationError({"__all__": [_("The form refers to rows that no longer exist.")]})
    for old_pk, obj in existing.items():
        if old_pk in kept:
            continue
        if isinstance(obj, Module) and any(
            in_use for _r, in_use in module_in_use.send(Module, module=obj)
        ):
            raise ValidationError(
                {
                    "modules": [
                        _("Module “%(name)s” has sessions scheduled, so it cannot be removed.")
                        % {"name": obj.name}
                    ]
                }
            )
        log_delete(
            actor=by,
            action=f"{name}.delete",
            obj=obj,
            organisation=organisation,
            request=request,
        )
        obj.delete()
    model.objects.filter(program=program).update(**{key: F(key) + _KEY_OFFSET})
    for pk, values in rows:
        if pk is None:
            obj = model.objects.create(program=program, **values)
            log_create(
                actor=by,
                action=f"{name}.create",
                obj=obj,
                organisation=organisation,
                request=request,
            )
        else:
            # Saved even when unchanged: the key moved aside above comes back here.
            model_update(
                instance=existing[pk],
                data=values,
                by=by,
                action=f"{name}.update",
                organisation=organisation,
                request=request,
            )


def _save_structure(*, program, modules, topics, by, request) -> None:
    _sync_children(
        program=program,
        model=Module,
        name="module",
        key="order",
        rows=[
            (m.id, {"order": i, "name": m.name, "weeks": m.weeks})
            for i, m in enumerate(modules, start=1)
        ],
        by=by,
        request=request,
    )
    _sync_children(
        program=program,
        model=CurriculumTopic,
        name="topic",
        key="week",
        rows=[
            (t.id, {"week": t.week, "title": t.title, "description": t.description})
            for t in sorted(topics, key=lambda t: t.week)
        ],
        by=by,
        request=request,
    )


def _check_program(*, organisation, fields, modules, topics, program=None) -> None:
    errors = _program_errors(organisation=organisation, fields=fields, program=program)
    for key, messages in structure_errors(
        modules=modules,
        topics=topics,
        start_date=fields.get("start_date"),
        end_date=fields.get("end_date"),
    ).items():
        errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def program_create(
    *,
    organisation: Organisation,
    fields: dict,
    modules: list[ModuleSpec],
    topics: list[TopicSpec],
    by,
    request=None,
    detail: dict | None = None,
) -> Program:
    """Create a program with its modules (in the given order) and weekly topics."""
    fields = {k: v for k, v in fields.items() if k in PROGRAM_FIELDS}
    _check_program(organisation=organisation, fields=fields, modules=modules, topics=topics)
    program = Program.objects.create(organisation=organisation, **fields)
    log_create(
        actor=by,
        action="program.create",
        obj=program,
        detail=detail,
        request=request,
    )
    _save_structure(program=program, modules=modules, topics=topics, by=by, request=request)
    return program


@transaction.atomic
def program_update(
    *,
    program: Program,
    fields: dict,
    modules: list[ModuleSpec],
    topics: list[TopicSpec],
    by,
    request=None,
) -> Program:
    """Change a program and make its modules and topics exactly the ones given.

    Modules keep their identity (sessions point at them); a module that has sessions
    cannot be removed.
    """
    program = Program.objects.select_for_update().select_related("organisation").get(pk=program.pk)
    fields = {k: v for k, v in fields.items() if k in PROGRAM_FIELDS}
    _check_program(
        organisation=program.organisation,
        fields=fields,
        modules=modules,
        topics=topics,
        program=program,
    )
    program, _changes = model_update(
        instance=program,
        data=fields,
        by=by,
        action="program.update",
        organisation=program.organisation,
        request=request,
    )
    _save_structure(program=program, modules=modules, topics=topics, by=by, request=request)
    return program


def program_create_from_template(
    *,
    organisation: Organisation,
    template_key: str,
    code: str,
    name: str,
    start_date: date,
    by,
    request=None,
) -> Program:
    """A planned program with a ready-made structure from ``templates_catalog``."""
    template = TEMPLATES.get(template_key)
    if template is None:
        raise ValidationError({"template": [_("Choose one of the listed templates.")]})
    return program_create(
        organisation=organisation,
        fields={
            "code": code,
            "name": name or str(template.name),
            "description": str(template.description),
            "target_population": str(template.target_population),
            "start_date": start_date,
            "status": Program.Status.PLANNED,
        },
        modules=[ModuleSpec(name=str(m.name), weeks=m.weeks) for m in template.modules],
        topics=[
            TopicSpec(week=week, title=str(title))
            for week, title in enumerate(template.topics, start=1)
        ],
        by=by,
        request=request,
        detail={"template": template.key},
    )


# --- closure dates ----------------------------------------------------------------------


@transaction.atomic
def closure_date_create(
    *, organisation: Organisation, on: date, reason: str, by, request=None
) -> ClosureDate:
    """List a day the organisation is closed. Apps built on programs react through
    ``signals.closure_added`` (the sessions app moves the sessions still to come on that
    day); their sentences for the coordinator are ``closure.notes``."""
    if ClosureDate.objects.filter(organisation=organisation, date=on).exists():
        raise ValidationError({"date": [_("This date is already listed as a closure.")]})
    closure = ClosureDate.objects.create(organisation=organisation, date=on, reason=reason)
    log_create(
        actor=by,
        action="closure.create",
        obj=closure,
        request=request,
    )
    answers = closure_added.send(sender=ClosureDate, closure=closure, by=by, request=request)
    closure.notes = [note for _receiver, note in answers if note]  # type: ignore[attr-defined]
    return closure


@transaction.atomic
def closure_date_delete(*, closure: ClosureDate, by, request=None) -> None:
    log_delete(
        actor=by,
        action="closure.delete",
        obj=closure,
        request=request,
    )
    closure.delete()


@transaction.atomic
def contact_access_grant(*, cohort: Cohort, volunteer: Volunteer, by, request=None):
    """Let a facilitator of ``cohort`` see its participants' legal names, contact details
    and safe-contact notes. Answers the open grant (an existing one is kept as it is)."""
    if not cohort.facilitators.filter(pk=volunteer.pk).exists():
        raise ValidationError(
            {"volunteer": [_("Only a facilitator of this cohort can be given contact access.")]}
        )
    if volunteer.user_id is None:
        raise ValidationError(
            {"volunteer": [_("This volunteer has no account to sign in with, so no access.")]}
        )
    open_grant = ContactAccessGrant.objects.filter(
        cohort=cohort, volunteer=volunteer, revoked_at__isnull=True
    ).first()
    if open_grant is not None:
        return open_grant
    grant = ContactAccessGrant.objects.create(cohort=cohort, volunteer=volunteer, granted_by=by)
    log_create(actor=by, action="contact_access.grant", obj=grant, request=request)
    return grant


@transaction.atomic
def contact_access_revoke(*, cohort: Cohort, volunteer: Volunteer, by, request=None) -> int:
    """End a facilitator's contact access to ``cohort``; answers how many grants ended
    (0 when there was none)."""
    ended = 0
    for grant in ContactAccessGrant.objects.select_for_update().filter(
        cohort=cohort, volunteer=volunteer, revoked_at__isnull=True
    ):
        model_update(
            instance=grant,
            data={"revoked_at": timezone.now(), "revoked_by": by},
            by=by,
            action="contact_access.revoke",
            request=request,
        )
        ended += 1
    return ended
