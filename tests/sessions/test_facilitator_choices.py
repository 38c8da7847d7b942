"""Who the attendance sheet offers as having run a session: cohort and session links."""

from __future__ import annotations

from datetime import date

import pytest

from sessions import selectors
from tests.factories import CohortFactory, ProgramFactory, SessionFactory, VolunteerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(org):
    program = ProgramFactory(organisation=org)
    assigned = [VolunteerFactory(organisation=org, name=n) for n in ("Bea", "Ana")]
    cohort = CohortFactory(program=program, start_date=date(2025, 1, 6), facilitators=assigned)
    session = SessionFactory(cohort=cohort, date=date(2025, 1, 6))
    # Many other cohorts and sessions share volunteers: none of them may be offered.
    pool = [VolunteerFactory(organisation=org, name=f"Other {n}") for n in range(6)]
    for _ in range(5):
        other = CohortFactory(
            program=program, start_date=date(2025, 2, 3), facilitators=[*pool, assigned[0]]
        )
        SessionFactory(cohort=other, date=date(2025, 2, 3)).facilitators.set(pool)
    return cohort, session, assigned, pool


def test_the_cohort_facilitators_and_a_stand_in_are_offered_once_each_by_name(setting):
    cohort, session, assigned, pool = setting
    stand_in = pool[2]
    session.facilitators.set([stand_in, assigned[0]])  # one also assigned to the cohort
    offered = list(selectors.facilitator_choices(session=session))
    assert [v.name for v in offered] == ["Ana", "Bea", "Other 2"]


def test_no_one_from_other_cohorts_or_sessions_is_offered(setting):
    cohort, session, assigned, pool = setting
    assert set(selectors.facilitator_choices(session=session)) == set(assigned)


def test_the_choices_query_neither_joins_the_link_tables_nor_needs_distinct(setting):
    _cohort, session, _assigned, _pool = setting
    sql = str(selectors.facilitator_choices(session=session).query).upper()
    # Each link table is read by its own indexed subquery (cohort id, session id): the
    # outer query reads volunteers alone, so nothing multiplies with the data's size.
    assert "DISTINCT" not in sql and " JOIN " not in sql
    assert sql.count("SELECT") == 3
