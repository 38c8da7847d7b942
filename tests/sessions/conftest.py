from datetime import date, timedelta

import pytest
from django.utils import timezone

from sessions import services
from tests.factories import (
    CohortFactory,
    CurriculumTopicFactory,
    ModuleFactory,
    ProgramFactory,
    SessionFactory,
    VolunteerFactory,
)


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def program(org):
    """Two modules (2 + 3 weeks) and topics for weeks 1 to 5."""
    program = ProgramFactory(organisation=org, code="voices", start_date=date(2025, 4, 1))
    ModuleFactory(program=program, order=1, name="Finding our Voices", weeks=2)
    ModuleFactory(program=program, order=2, name="Growth circle", weeks=3)
    for week in range(1, 6):
        CurriculumTopicFactory(program=program, week=week, title=f"Topic of week {week}")
    return program


@pytest.fixture
def volunteer(org, facilitator):
    """The volunteer record of the ``facilitator`` user."""
    return VolunteerFactory(organisation=org, user=facilitator, name="Fay")


@pytest.fixture
def cohort(program, volunteer, today):
    """A running cohort that started four weeks ago, run by ``volunteer``."""
    return CohortFactory(
        program=program,
        code="c1",
        start_date=today - timedelta(days=28),
        facilitators=[volunteer],
    )


@pytest.fixture
def scheduled(cohort, today):
    """A future scheduled session of ``cohort``."""
    return SessionFactory(
        cohort=cohort, number=5, date=today + timedelta(days=7), status="scheduled"
    )


@pytest.fixture
def past_scheduled(cohort, today):
    """A session of last week still marked scheduled (not yet logged)."""
    return SessionFactory(
        cohort=cohort, number=4, date=today - timedelta(days=7), status="scheduled"
    )


@pytest.fixture
def make_cohort(program, coordinator):
    def make(**fields):
        defaults = {
            "code": "spring",
            "name": "Spring group",
            "start_date": date(2025, 9, 2),
            "weekday": 1,
            "start_time": None,
            "session_minutes": 180,
            "location": "",
            "capacity": 20,
            "status": "open",
        }
        return services.cohort_create(program=program, by=coordinator, **{**defaults, **fields})

    return make
