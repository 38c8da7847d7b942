"""Keyset pagination: pages whose cost does not grow with the size of the list.

``Paginator`` counts every row (``COUNT(*)``) and reaches page *n* with ``OFFSET``, so
the last page of a national list reads the whole list. A keyset page starts after (or
before) the key of the row at the edge of the page the user comes from, which an index
finds at once; the total is counted only up to ``COUNT_CAP`` rows ("more than 1,000").

The key must be unique within the queryset and indexed with its filter (a participant's
code within its organisation).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import QuerySet

#: Totals are exact up to this many rows; above it, the page says "more than".
COUNT_CAP = 1000
#: The query parameters of a keyset page: start after this key, end before it.
AFTER, BEFORE = "after", "before"


@dataclass
class KeysetPage:
    object_list: list
    has_previous: bool
    has_next: bool
    #: The first and last keys on the page (for the previous and next links).
    first_key: str = ""
    last_key: str = ""
    #: The number of rows, counted up to ``COUNT_CAP``; ``count_capped`` when there are more.
    count: int = 0
    count_capped: bool = False
    cap: int = COUNT_CAP

    def __iter__(self) -> Iterator:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next


def keyset_page(queryset: QuerySet, params, *, key: str, size: int) -> KeysetPage:
    """The page of ``queryset`` ordered by ``key`` that ``params`` (``request.GET``) asks
    for: ``after=K`` the rows after K, ``before=K`` those before K (``before=`` with no
    value: the last page), neither: the first page. Two queries (the page, a capped
    count), whatever the page and the size of the list."""
    after, before = params.get(AFTER), params.get(BEFORE)
    ordered = queryset.order_by(key)
    if before is not None:
        rows = ordered.reverse()
        if before:
            rows = rows.filter(**{f"{key}__lt": before})
        found = list(rows[: size + 1])
        has_previous, has_next = len(found) > size, bool(before)
        found = found[:size][::-1]
    else:
        if after:
            ordered = ordered.filter(**{f"{key}__gt": after})
        found = list(ordered[: size + 1])
        has_previous, has_next = bool(after), len(found) > size
        found = found[:size]
    count = queryset.order_by()[: COUNT_CAP + 1].count()
    return KeysetPage(
        object_list=found,
        has_previous=has_previous,
        has_next=has_next,
        first_key=str(getattr(found[0], key)) if found else "",
        last_key=str(getattr(found[-1], key)) if found else "",
        count=min(count, COUNT_CAP),
        count_capped=count > COUNT_CAP,
        cap=COUNT_CAP,
    )
