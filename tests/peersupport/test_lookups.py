"""``field__any=ids`` (peersupport.lookups): the rows ``__in`` finds, with the ids as one
array parameter on PostgreSQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sessions.models import Session
from tests.availability import require
from tests.factories import CohortFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sessions(org):
    cohort, other = (
        CohortFactory(program__organisation=org),
        CohortFactory(program__organisation=org),
    )
    return [SessionFactory(cohort=cohort, number=n) for n in (1, 2, 3)] + [
        SessionFactory(cohort=other, number=1)
    ]


def test_any_finds_what_in_finds_on_a_key_and_on_a_foreign_key(sessions):
    wanted = [sessions[0].pk, sessions[2].pk, sessions[3].pk]
    assert set(Session.objects.filter(pk__any=wanted)) == set(Session.objects.filter(pk__in=wanted))
    assert set(Session.objects.filter(pk__any=wanted)) == {sessions[0], sessions[2], sessions[3]}
    cohort_ids = [sessions[3].cohort_id]
    assert list(Session.objects.filter(cohort_id__any=cohort_ids)) == [sessions[3]]
    assert list(Session.objects.filter(cohort__any=cohort_ids)) == [sessions[3]]
    assert not Session.objects.filter(pk__any=[]).exists()


def test_any_sends_the_ids_as_one_parameter_on_postgresql(sessions):
    require(
        connection.vendor == "postgresql",
        "the array parameter is PostgreSQL's; elsewhere __any is __in",
    )
    ids = [s.pk for s in sessions]
    with CaptureQueriesContext(connection) as captured:
        found = list(Session.objects.filter(pk__any=ids).values_list("pk", flat=True))
    assert sorted(found) == sorted(ids)
    sql = captured.captured_queries[0]["sql"]
    assert "= ANY(" in sql and " IN (" not in sql
