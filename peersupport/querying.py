"""Query helpers shared by the apps' selectors."""

from django.db.models import Count, IntegerField, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce


def count_subquery(queryset: QuerySet) -> Coalesce:
    """A correlated ``COUNT(*)`` of ``queryset`` (filtered on an ``OuterRef``), 0 when
    nothing matches.

    Unlike ``Count`` over a join, it neither multiplies other annotations nor makes the
    outer query group its rows, so with ``ORDER BY … LIMIT`` PostgreSQL counts for the
    rows it returns only.
    """
    counted = queryset.order_by().annotate(_g=Value(1)).values("_g").annotate(n=Count("*"))
    return Coalesce(Subquery(counted.values("n")[:1], output_field=IntegerField()), 0)
