"""On PostgreSQL, searching participants by part of their code uses the trigram index."""

import pytest
from django.db import connection

from participants.models import Participant
from tests.availability import require
from tests.factories import ParticipantFactory

pytestmark = pytest.mark.django_db


def test_a_code_search_is_served_by_the_trigram_index(org):
    require(connection.vendor == "postgresql", "the trigram index exists on PostgreSQL only")
    ParticipantFactory.create_batch(3, organisation=org)
    query = Participant.objects.filter(code__icontains="042")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = query.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "participant_code_trgm" in plan, plan
