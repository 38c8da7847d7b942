"""Re-encrypting stored values under the first ``FIELD_ENCRYPTION_KEY``, so that an older
key can be retired (``manage.py rotate_encryption_key``).

Every encrypted field of every model (``peersupport.fields.encrypted_fields``) is read in
batches by primary key, as stored (the token, not the plaintext). A value the first key
already opens is left alone, so a run that stops half-way is simply run again. The others
are encrypted again under the first key and written with one ``UPDATE`` per batch that
changes a row only if it still holds the token that was read: a name edited meanwhile is
never overwritten, no ``save()`` runs (``auto_now`` stamps stay), and the audit log gets
one entry per run with counts, not one per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from django.db import models, transaction
from django.db.models import Case, ExpressionWrapper, F, Q, TextField, Value, When
from django.db.models.lookups import Exact

from .audit import log_action
from .fields import encrypted_fields, reencrypt, under_first_key

#: Rows changed by one UPDATE statement (SQLite allows 999 parameters in a statement).
WRITE_CHUNK = 100


@dataclass
class FieldCount:
    """What a scan or a rotation found in one model field."""

    label: str
    #: Filled-in values read.
    read: int = 0
    #: Values under an older key (found by a scan).
    old: int = 0
    #: Values no configured key opens: written under a key that is no longer configured.
    unreadable: int = 0
    #: Values re-encrypted under the first key by this run.
    rotated: int = 0


def field_label(field: models.Field) -> str:
    return f"{field.model._meta.label}.{field.name}"


def _stored_token(field: models.Field) -> ExpressionWrapper:
    """The column as stored: the output field is plain text, so nothing is decrypted."""
    return ExpressionWrapper(F(field.attname), output_field=TextField())


def _batches(field: models.Field, batch_size: int) -> Iterator[list[tuple[object, str]]]:
    """``(pk, token)`` of the filled-in values of ``field``, ``batch_size`` at a time."""
    model = field.model
    stored = (
        model._base_manager.annotate(stored_token=_stored_token(field))
        .exclude(stored_token__isnull=True)
        .exclude(stored_token="")
        .order_by("pk")
        .values_list("pk", "stored_token")
    )
    last = None
    while True:
        page = stored if last is None else stored.filter(pk__gt=last)
        rows = list(page[:batch_size])
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _rewrite(field: models.Field, rows: list[tuple[object, str, str]]) -> int:
    """Replace ``old`` by ``new`` in each ``(pk, old, new)`` row that still holds ``old``;
    the number of rows changed."""
    model = field.model
    text = TextField()
    changed = 0
    for start in range(0, len(rows), WRITE_CHUNK):
        chunk = rows[start : start + WRITE_CHUNK]
        holds_old = [
            Q(Exact(_stored_token(field), Value(old, output_field=text)), pk=pk)
            for pk, old, _new in chunk
        ]
        matches = Q()
        for condition in holds_old:
            matches |= condition
        changed += model._base_manager.filter(matches).update(
            **{
                field.attname: Case(
                    *[
                        When(condition, then=Value(new, output_field=text))
                        for condition, (_pk, _old, new) in zip(holds_old, chunk, strict=True)
                    ],
                    default=F(field.attname),
                    output_field=text,
                )
            }
        )
    return changed


def scan(*, batch_size: int = 500) -> list[FieldCount]:
    """How many values of each encrypted field are still under an older key (or under
    none of the configured keys). Changes nothing."""
    counts = []
    for field in encrypted_fields():
        count = FieldCount(field_label(field))
        for rows in _batches(field, batch_size):
            count.read += len(rows)
            for _pk, token in rows:
                if under_first_key(token):
                    continue
                try:
                    reencrypt(token)
                except InvalidToken:
                    count.unreadable += 1
                else:
                    count.old += 1
        counts.append(count)
    return counts


def rotate(
    *, batch_size: int = 500, progress: Callable[[FieldCount], None] | None = None
) -> list[FieldCount]:
    """Re-encrypt under the first key every value still under an older one, one batch
    per transaction; ``progress`` is called after each batch. Writes one
    ``encryption.rotate`` audit entry with the counts, also when stopped by an error."""
    counts: list[FieldCount] = []
    completed = False
    try:
        for field in encrypted_fields():
            count = FieldCount(field_label(field))
            counts.append(count)
            for rows in _batches(field, batch_size):
                todo = []
                for pk, token in rows:
                    if under_first_key(token):
                        continue
                    try:
                        todo.append((pk, token, reencrypt(token)))
                    except InvalidToken:
                        count.unreadable += 1
                with transaction.atomic():
                    changed = _rewrite(field, todo) if todo else 0
                count.read += len(rows)
                # a row not changed was edited meanwhile: saved under the first key
                count.rotated += changed
                if progress is not None:
                    progress(count)
        completed = True
    finally:
        log_action(
            actor=None,
            action="encryption.rotate",
            detail={
                "completed": completed,
                "batch_size": batch_size,
                "rotated": sum(c.rotated for c in counts),
                "unreadable": sum(c.unreadable for c in counts),
                "fields": {c.label: c.rotated for c in counts},
            },
        )
    return counts
