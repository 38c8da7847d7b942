from datetime import date
from decimal import Decimal

import pytest

from programs.models import SupervisionEntry, VolunteerTraining
from programs.selectors import volunteer_hours_by_year, volunteers_due_for_supervision
from tests.factories import CohortFactory, ProgramFactory, SessionFactory, VolunteerFactory


def _session(cohort, on, minutes, volunteers, status="held"):
    session = SessionFactory(cohort=cohort, date=on, duration_minutes=minutes, status=status)
    session.facilitators.add(*volunteers)
    return session


@pytest.mark.django_db
def test_volunteer_hours_add_facilitation_training_and_supervision_per_program_year(org):
    # Program years: Year 1 = 2020-04-01..2021-03-31, Year 2 = 2021-04-01..2022-03-31.
    program = ProgramFactory(organisation=org, start_date=date(2020, 4, 1))
    other_program = ProgramFactory(organisation=org, start_date=date(2020, 4, 1))
    cohort = CohortFactory(program=program, start_date=date(2020, 5, 4))
    other_cohort = CohortFactory(program=other_program, start_date=date(2020, 5, 4))
    volunteer = VolunteerFactory(organisation=org)
    colleague = VolunteerFactory(organisation=org)

    # Year 1: 180 + 150 minutes held = 5.5 h (the second shared with a colleague).
    _session(cohort, date(2020, 5, 4), 180, [volunteer])
    _session(cohort, date(2021, 3, 31), 150, [volunteer, colleague])
    # Year 2: 90 minutes = 1.5 h.
    _session(cohort, date(2021, 4, 1), 90, [volunteer])
    # Not counted: scheduled, cancelled, someone else's, another program's.
    _session(cohort, date(2020, 6, 1), 180, [volunteer], status="scheduled")
    _session(cohort, date(2020, 6, 8), 180, [volunteer], status="cancelled")
    _session(cohort, date(2020, 6, 15), 180, [colleague])
    _session(other_cohort, date(2020, 6, 22), 180, [volunteer])

    VolunteerTraining.objects.create(
        volunteer=volunteer, course="Core", hours=Decimal("12.5"), date=date(2020, 4, 20)
    )
    VolunteerTraining.objects.create(
        volunteer=volunteer, course="Refresher", hours=Decimal("3"), date=date(2021, 9, 1)
    )
    # Before the program started: counts in no year.
    VolunteerTraining.objects.create(
        volunteer=volunteer, course="Intro", hours=Decimal("4"), date=date(2020, 3, 31)
    )
    SupervisionEntry.objects.create(
        volunteer=volunteer, date=date(2020, 7, 1), supervisor="S", hours=Decimal("1")
    )
    SupervisionEntry.objects.create(
        volunteer=volunteer, date=date(2020, 8, 1), supervisor="S", hours=Decimal("1.25")
    )

    rows = volunteer_hours_by_year(volunteer=volunteer, program=program)

    assert [
        (r.year, r.facilitation, r.training, r.supervision, r.total, r.sessions) for r in rows
    ] == [
        (1, Decimal("5.50"), Decimal("12.50"), Decimal("2.25"), Decimal("20.25"), 2),
        (2, Decimal("1.50"), Decimal("3.00"), Decimal("0.00"), Decimal("4.50"), 1),
    ]
    assert (rows[0].start, rows[0].end) == (date(2020, 4, 1), date(2021, 3, 31))


@pytest.mark.django_db
def test_volunteer_hours_of_a_program_starting_on_29_february_end_year_one_on_28_february(org):
    program = ProgramFactory(organisation=org, start_date=date(2020, 2, 29))
    cohort = CohortFactory(program=program, start_date=date(2020, 3, 2))
    volunteer = VolunteerFactory(organisation=org)
    _session(cohort, date(2021, 2, 28), 60, [volunteer])
    _session(cohort, date(2021, 3, 1), 120, [volunteer])

    rows = volunteer_hours_by_year(volunteer=volunteer, program=program)

    assert [(r.year, r.start, r.end, r.facilitation) for r in rows] == [
        (1, date(2020, 2, 29), date(2021, 2, 28), Decimal("1.00")),
        (2, date(2021, 3, 1), date(2022, 2, 28), Decimal("2.00")),
    ]


@pytest.mark.django_db
def test_volunteer_hours_query_count_does_not_grow_with_sessions(org, django_assert_num_queries):
    program = ProgramFactory(organisation=org, start_date=date(2020, 4, 1))
    cohort = CohortFactory(program=program)
    volunteer = VolunteerFactory(organisation=org)
    for day in range(1, 21):
        _session(cohort, date(2020, 5, day), 180, [volunteer])
    # 1 sessions by date, 2 trainings by date, 3 supervisions by date.
    with django_assert_num_queries(3):
        rows = volunteer_hours_by_year(volunteer=volunteer, program=program)
    assert rows[0].facilitation == Decimal("60.00")


@pytest.mark.django_db
def test_volunteers_due_for_supervision_are_active_and_overdue_or_never_supervised(
    org, other_org, django_assert_num_queries
):
    today = date(2024, 6, 30)
    never = VolunteerFactory(organisation=org, name="Never")
    overdue = VolunteerFactory(organisation=org, name="Overdue", supervision_every_days=30)
    SupervisionEntry.objects.create(
        volunteer=overdue, date=date(2024, 5, 30), supervisor="S", hours=1
    )  # 31 days ago
    exactly = VolunteerFactory(organisation=org, name="Exactly", supervision_every_days=30)
    SupervisionEntry.objects.create(
        volunteer=exactly, date=date(2024, 5, 31), supervisor="S", hours=1
    )  # 30 days ago: not older than 30 days
    recent = VolunteerFactory(organisation=org, name="Recent")
    SupervisionEntry.objects.create(
        volunteer=recent, date=date(2024, 6, 20), supervisor="S", hours=1
    )
    # An older entry plus a planned future one: the last one on or before today counts.
    planned = VolunteerFactory(organisation=org, name="Planned", supervision_every_days=14)
    SupervisionEntry.objects.create(
        volunteer=planned, date=date(2024, 6, 1), supervisor="S", hours=1
    )
    SupervisionEntry.objects.create(
        volunteer=planned, date=date(2024, 7, 5), supervisor="S", hours=1
    )
    VolunteerFactory(organisation=org, name="Trainee", stage="trained")
    VolunteerFactory(organisation=org, name="Gone", stage="inactive")
    VolunteerFactory(organisation=other_org, name="Elsewhere")

    with django_assert_num_queries(2):  # the intervals in use, the volunteers due
        due = volunteers_due_for_supervision(organisation=org, today=today)

    assert [v.name for v in due] == ["Never", "Overdue", "Planned"]
    assert [v.days_since_supervision for v in due] == [None, 31, 29]
    assert never in due
