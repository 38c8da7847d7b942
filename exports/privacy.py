"""De-identification for exports: pseudonyms, age bands, shifted dates, small cells.

Plain Python, no ORM. A pseudonym is an HMAC of the participant's internal id under a
key derived from the server's secret and a salt: a random salt per export (pseudonyms
differ between exports) or the evaluator's project salt (the same pseudonyms in every
export made with it). Knowing the salt alone is not enough to recompute them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.utils.translation import gettext_lazy as _

PSEUDONYM_LENGTH = 12
#: Shifted dates move by up to this many days either way, the same for all of a person's dates.
MAX_SHIFT_DAYS = 180

#: (code, lowest age, highest age or None, label); ages at the cohort's start.
AGE_BANDS = (
    (1, None, 17, _("under 18")),
    (2, 18, 24, _("18–24")),
    (3, 25, 34, _("25–34")),
    (4, 35, 44, _("35–44")),
    (5, 45, 54, _("45–54")),
    (6, 55, 64, _("55–64")),
    (7, 65, None, _("65 and over")),
)


def new_salt() -> str:
    return secrets.token_hex(16)


def pseudonym_key(salt: str) -> bytes:
    """The HMAC key for a salt: tied to this server's secret so a salt cannot be replayed
    elsewhere, and never the salt itself."""
    material = f"peersupport-export-pseudonym:{salt}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), material, hashlib.sha256).digest()


def pseudonym(key: bytes, participant_id: int) -> str:
    digest = hmac.new(key, str(participant_id).encode(), hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_LENGTH]


def pseudonymiser(key: bytes) -> Callable[[int], str]:
    """``pseudonym`` under one key, for many participants: the keyed hash is set up once
    and copied for each (the same pseudonyms, for less work per row)."""
    keyed = hmac.new(key, digestmod=hashlib.sha256)

    def pseudonym_of(participant_id: int) -> str:
        digest = keyed.copy()
        digest.update(str(participant_id).encode())
        return digest.hexdigest()[:PSEUDONYM_LENGTH]

    return pseudonym_of


def shift_days_of(key: bytes) -> Callable[[int], int]:
    """``shift_days`` under one key, for many participants (see ``pseudonymiser``)."""
    keyed = hmac.new(key, digestmod=hashlib.sha256)

    def shift_of(participant_id: int) -> int:
        digest = keyed.copy()
        digest.update(f"shift:{participant_id}".encode())
        value = int.from_bytes(digest.digest()[:4], "big") % (2 * MAX_SHIFT_DAYS) - MAX_SHIFT_DAYS
        return value if value < 0 else value + 1

    return shift_of


def shift_days(key: bytes, participant_id: int) -> int:
    """A fixed shift per participant in [-MAX_SHIFT_DAYS, MAX_SHIFT_DAYS], never 0."""
    digest = hmac.new(key, f"shift:{participant_id}".encode(), hashlib.sha256).digest()
    value = int.from_bytes(digest[:4], "big") % (2 * MAX_SHIFT_DAYS) - MAX_SHIFT_DAYS
    return value if value < 0 else value + 1


def shifted(day: date | None, days: int) -> date | None:
    return None if day is None else day + timedelta(days=days)


def cohort_week(day: date | None, cohort_start: date) -> int | None:
    """Week of the cohort: week 1 starts on the cohort's first day (earlier days are 0 or less)."""
    if day is None:
        return None
    return (day - cohort_start).days // 7 + 1


def age_band(birth_year: int | None, on: date) -> int | None:
    """The band code of the age reached in ``on``'s calendar year (birth year only is kept)."""
    if birth_year is None:
        return None
    age = on.year - birth_year
    for code, low, high, _label in AGE_BANDS:
        if (low is None or age >= low) and (high is None or age <= high):
            return code
    return None


def small(count: int | None, min_cell: int) -> bool:
    """A count that identifies: from 1 to ``min_cell - 1`` (zero hides nobody)."""
    return count is not None and 0 < count < min_cell


def rare_combinations(counts: Mapping[tuple, int], min_cell: int) -> set[tuple]:
    """The quasi-identifier combinations shared by fewer than ``min_cell`` rows."""
    return {combo for combo, n in counts.items() if n < min_cell}


def count_combinations(combos: Iterable[tuple[tuple, int]]) -> dict[tuple, int]:
    """Add up ``(combination, n)`` pairs (several database groups can fall in one band)."""
    out: dict[tuple, int] = {}
    for combo, n in combos:
        out[combo] = out.get(combo, 0) + n
    return out


def smallest_group(records: Sequence[Sequence], people: Sequence[Hashable] | None = None) -> int:
    """The fewest people (distinct ``people``, or rows) sharing one combination of values
    over all the columns of ``records``; 0 when there are no records. A blank (None) is a
    value of its own."""
    members: dict[tuple, set] = {}
    for i, record in enumerate(records):
        members.setdefault(tuple(record), set()).add(i if people is None else people[i])
    return min((len(m) for m in members.values()), default=0)


@dataclass
class Anonymised:
    """What ``k_anonymise`` did: the records' blanked columns (``blanked[i]``: column
    indexes blanked in record ``i``), the records left out, and blanks per column."""

    blanked: list[set[int]]
    dropped: set[int]
    blanks_per_column: dict[int, int]


def k_anonymise(
    records: Sequence[Sequence], k: int, people: Sequence[Hashable] | None = None
) -> Anonymised:
    """Local suppression to k-anonymity, greedily with few blanks.

    ``records`` hold the quasi-identifiers of each row (any value that narrows a group:
    cohort, year, age band, demographics, weeks…). Afterwards every combination of values
    is shared by at least ``k`` people (distinct ``people``, or rows). While some rows sit
    in smaller groups, the column whose blanking in those rows leaves the fewest rows in
    small groups is blanked in them, on a tie the one with the most different values among
    them (a blank is a value of its own, so blanked rows only hide among other blanked
    rows). Rows still alone once all their columns are blank are left out.
    """
    rows = [list(r) for r in records]
    who = list(range(len(rows))) if people is None else list(people)
    width = len(rows[0]) if rows else 0
    blanked: list[set[int]] = [set() for _ in rows]
    dropped: set[int] = set()

    # Grouped once. Only small rows ever change, and a group of k or more never loses
    # anyone (small rows may join it): the settled groups are kept, and each round
    # regroups the small rows alone against them.
    members: dict[tuple, set] = {}
    for i, row in enumerate(rows):
        members.setdefault(tuple(row), set()).add(who[i])
    settled = {key: m for key, m in members.items() if len(m) >= k}
    small = [i for i, row in enumerate(rows) if tuple(row) not in settled]
    nobody: frozenset = frozenset()
    while small:
        # (rows left small, fewer distinct values among them, column): on a tie, the
        # column that narrows these rows most goes first (never one they all share).
        best: tuple[int, int, int] | None = None
        for column in range(width):
            if all(rows[i][column] is None for i in small):
                continue
            distinct = len({rows[i][column] for i in small})
            moved: dict[tuple, set] = {}
            keys = []
            for i in small:
                row = rows[i]
                key = (*row[:column], None, *row[column + 1 :])
                moved.setdefault(key, set()).add(who[i])
                keys.append(key)
            sizes = {key: len(m | settled.get(key, nobody)) for key, m in moved.items()}
            candidate = (sum(1 for key in keys if sizes[key] < k), -distinct, column)
            if best is None or candidate < best:
                best = candidate
        if best is None:  # every column of these rows is blank already
            dropped |= set(small)
            break
        column = best[2]
        for i in small:
            if rows[i][column] is not None:
                rows[i][column] = None
                blanked[i].add(column)
        grouped: dict[tuple, set] = {}
        for i in small:
            grouped.setdefault(tuple(rows[i]), set()).add(who[i])
        for key, m in grouped.items():
            if len(m | settled.get(key, nobody)) >= k:
                settled.setdefault(key, set()).update(m)
        small = [i for i in small if tuple(rows[i]) not in settled]
    per_column: dict[int, int] = {}
    for i, columns in enumerate(blanked):
        if i in dropped:
            continue
        for column in columns:
            per_column[column] = per_column.get(column, 0) + 1
    return Anonymised(blanked, dropped, per_column)


def k_anonymous_plan(
    ids: list, records: list[list], people: list, min_cell: int, names: list[str]
) -> tuple[dict, int, dict[str, int]]:
    """``k_anonymise`` as an export applies it: by row id, the names of the blanked
    quasi-identifier columns (rows left out are absent), how many rows were left out,
    and how many values each column lost."""
    result = k_anonymise(records, min_cell, people)
    plan = {
        pk: {names[c] for c in result.blanked[i]}
        for i, pk in enumerate(ids)
        if i not in result.dropped
    }
    blanks = {names[c]: n for c, n in sorted(result.blanks_per_column.items())}
    return plan, len(result.dropped), blanks
