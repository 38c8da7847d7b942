"""Finding a participant by preferred name without decrypting every record.

Names are encrypted at rest (``EncryptedTextField``), so SQL cannot search them. Each
participant instead has a *blind index*: for every word of the preferred name, normalised
(accents removed, case folded), a keyed hash (HMAC-SHA256 under ``NAME_INDEX_KEY``, a key
separate from the encryption keys, with the organisation's id mixed in) of each of its
prefixes of two letters or more. A search hashes what was typed the same way and looks
the hashes up: "ro" and "rosa" find Rosa, "Rosa M" finds Rosa Martín (every word typed
must start a word of the name). The database holds no name and no hash that can be
reversed without the key.

The index follows the name on every write through ``participants.services``
(``name_index_set``); bulk writers call ``name_index_write`` with the names they wrote
(the importer) or ``name_index_rebuild`` (the demo);
``manage.py rebuild_name_index`` rebuilds it all (after changing ``NAME_INDEX_KEY``).
Searches are audited (``participant.name_search``, never what was typed) and limited to
``NAME_SEARCHES_PER_MINUTE`` per user.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from peersupport.audit import log_action
from peersupport.bulk import insert_rows

from .models import Participant, ParticipantNameTerm

#: Shortest prefix indexed and searched; longest one indexed (longer words match on it).
MIN_PREFIX = 2
MAX_PREFIX = 24
#: Words of a name indexed, and of a search used.
MAX_WORDS = 6
_WORD = re.compile(r"[^\W_]+")


def words(name: str) -> list[str]:
    """The words of ``name``, without accents, case-folded: "Éloïse-Marie" → éloise, marie
    → ["eloise", "marie"]."""
    plain = unicodedata.normalize("NFKD", name or "")
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return _WORD.findall(plain)[:MAX_WORDS]


def _digest(organisation_id: int, prefix: str) -> str:
    message = f"{organisation_id}\x1f{prefix}".encode()
    return hmac.new(settings.NAME_INDEX_KEY.encode(), message, hashlib.sha256).hexdigest()


class Digester:
    """``_digest`` for many names at once: the key is set up once, and the digest of a
    prefix already seen (names share their first letters) is not computed again. Holds
    digests, never names; at most ``REMEMBERED`` of them."""

    REMEMBERED = 50_000

    def __init__(self):
        self._keyed = hmac.new(settings.NAME_INDEX_KEY.encode(), digestmod=hashlib.sha256)
        self._seen: dict[tuple[int, str], str] = {}

    def __call__(self, organisation_id: int, prefix: str) -> str:
        found = self._seen.get((organisation_id, prefix))
        if found is None:
            keyed = self._keyed.copy()
            keyed.update(f"{organisation_id}\x1f{prefix}".encode())
            found = keyed.hexdigest()
            if len(self._seen) >= self.REMEMBERED:
                self._seen.clear()
            self._seen[(organisation_id, prefix)] = found
        return found


def name_digests(organisation_id: int, name: str, digest=_digest) -> set[str]:
    """The index entries of ``name``: every prefix of 2 to ``MAX_PREFIX`` letters of each
    word (a one-letter word is indexed whole). ``digest`` may be a ``Digester``."""
    out = set()
    for word in words(name):
        longest = min(len(word), MAX_PREFIX)
        for length in range(min(MIN_PREFIX, longest), longest + 1):
            out.add(digest(organisation_id, word[:length]))
    return out


def query_digests(organisation_id: int, query: str) -> list[str]:
    """One hash per word typed (cut to ``MAX_PREFIX`` letters); every one must match."""
    return [_digest(organisation_id, word[:MAX_PREFIX]) for word in words(query)]


def name_index_set(participant: Participant) -> None:
    """Make ``participant``'s index entries those of their current preferred name."""
    digests = name_digests(participant.organisation_id, participant.preferred_name)
    with transaction.atomic():
        ParticipantNameTerm.objects.filter(participant=participant).delete()
        ParticipantNameTerm.objects.bulk_create(
            ParticipantNameTerm(participant=participant, digest=d) for d in digests
        )


def name_index_rebuild(participants: QuerySet[Participant], *, batch_size: int = 500) -> int:
    """Rebuild the index of ``participants`` in batches; answers how many were indexed."""
    done = 0
    queryset = participants.only("id", "organisation_id", "preferred_name").order_by("pk")
    digest = Digester()
    last = 0
    while True:
        batch = list(queryset.filter(pk__gt=last)[:batch_size])
        if not batch:
            return done
        with transaction.atomic():
            ParticipantNameTerm.objects.filter(participant__in=batch).delete()
            ParticipantNameTerm.objects.bulk_create(
                ParticipantNameTerm(participant=p, digest=d)
                for p in batch
                for d in name_digests(p.organisation_id, p.preferred_name, digest)
            )
        done += len(batch)
        last = batch[-1].pk


def name_index_write(
    names: Iterable[tuple[int, int, str]], *, replace: bool = True, digest: Digester | None = None
) -> int:
    """Make the index entries of each ``(participant id, organisation id, preferred
    name)`` those of that name, for a bulk writer that holds the names it just wrote (no
    participant is read back or decrypted). ``replace=False`` when none of them can have
    entries yet (participants just created). Answers how many entries were written.

    Written by ``peersupport.bulk.insert_rows`` (``COPY`` on PostgreSQL)."""
    digest = digest or Digester()
    names = list(names)
    if not names:
        return 0
    # In the order of the (digest, participant) index: neighbouring entries land on the
    # same index pages instead of one random page each.
    entries = sorted(
        (
            (pk, d)
            for pk, organisation_id, name in names
            for d in name_digests(organisation_id, name, digest)
        ),
        key=lambda entry: (entry[1], entry[0]),
    )
    with transaction.atomic():
        if replace:
            ParticipantNameTerm.objects.filter(participant_id__in=[n[0] for n in names]).delete()
        insert_rows(ParticipantNameTerm, ("participant_id", "digest"), entries)
    return len(entries)


def _within_rate(user) -> bool:
    """Count one search for ``user`` in this minute; False past the limit."""
    key = f"name-search:{user.pk}:{timezone.now():%Y%m%d%H%M}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    return count <= settings.NAME_SEARCHES_PER_MINUTE


def search_by_name(
    *, participants: QuerySet[Participant], organisation, query: str, user, request=None
) -> QuerySet[Participant]:
    """``participants`` (already limited to what the user may see) whose preferred name
    has a word starting with each word of ``query``, by code.

    Refused with a ``ValidationError`` (keyed ``name``) when nothing searchable was typed
    or the user searched too often this minute. Each search is audited with the number of
    people found, never what was typed.
    """
    typed = [w for w in words(query) if len(w) >= MIN_PREFIX]
    if not typed:
        raise ValidationError({"name": _("Type at least two letters of a name to search by name.")})
    if not _within_rate(user):
        log_action(
            actor=user,
            action="participant.name_search_limited",
            organisation=organisation,
            object_type="participants.Participant",
            request=request,
        )
        raise ValidationError(
            {"name": _("Too many searches by name in a minute. Wait a minute, then search again.")}
        )
    found = participants
    for digest in query_digests(organisation.pk, " ".join(typed)):
        found = found.filter(
            pk__in=ParticipantNameTerm.objects.filter(digest=digest).values("participant_id")
        )
    found = found.filter(organisation=organisation).order_by("code")
    log_action(
        actor=user,
        action="participant.name_search",
        organisation=organisation,
        object_type="participants.Participant",
        detail={"words": len(typed), "found": found.count()},
        request=request,
    )
    return found
