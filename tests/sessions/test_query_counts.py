"""Pages run a fixed number of queries, however many cohorts, sessions and people."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from programs.models import Cohort, SupervisionEntry
from tests.factories import (
    AttendanceFactory,
    CohortFactory,
    EnrollmentFactory,
    PartnerFactory,
    ReferralFactory,
    SessionFactory,
    VolunteerFactory,
)

pytestmark = pytest.mark.django_db


def populate(*, program, volunteer, size: int, today: date):
    """``size`` cohorts with ``size + 2`` sessions (held, this week, missing attendance),
    ``size + 1`` enrollments each (one on the outreach list), referrals and volunteers."""
    org = program.organisation
    partner = PartnerFactory(organisation=org)
    for c in range(size):
        cohort = CohortFactory(
            program=program,
            code=f"q{size}-{c}",
            start_date=today - timedelta(days=7 * (size + 2)),
            facilitators=[volunteer],
        )
        people = [EnrollmentFactory(cohort=cohort) for _ in range(size + 1)]
        EnrollmentFactory(cohort=cohort, status="waitlisted")
        for k in range(1, size + 3):
            session = SessionFactory(
                cohort=cohort,
                number=k,
                date=cohort.start_date + timedelta(days=7 * (k - 1)),
                incident_flagged=k == 2,  # one open incident per cohort
                incident_notes="Raised voices at the door" if k == 2 else "",
            )
            if k > 1:  # session 1 is held with no attendance
                for i, enrollment in enumerate(people):
                    status = "absent" if i == 0 else "present"
                    AttendanceFactory(session=session, enrollment=enrollment, status=status)
        SessionFactory(cohort=cohort, number=size + 3, date=today, status="scheduled")
        ReferralFactory(
            partner=partner,
            participant=people[0].participant,
            program=program,
            date=program.start_date + timedelta(days=30 * c),
        )
    for v in range(size):
        SupervisionEntry.objects.create(
            volunteer=VolunteerFactory(organisation=org, name=f"V{size}-{v}"),
            date=today - timedelta(days=90),
            supervisor="S",
            hours=1,
        )


@pytest.fixture(params=[1, 4], ids=["small", "large"])
def world(request, program, volunteer, today):
    populate(program=program, volunteer=volunteer, size=request.param, today=today)
    return request.param


def test_the_dashboard_query_count_does_not_grow(
    world, client_for, coordinator, django_assert_num_queries
):
    client = client_for(coordinator)
    # 1-3 session, user, memberships (middleware); 4 cohorts with fill and session
    # counts; 5 this week's sessions; 6 outreach list (the runs of missed sessions kept
    # by sessions/outreach.py); 7-8 volunteers due for supervision (the intervals in
    # use, those due); 9 sessions missing attendance; 10 open safety incidents; 11
    # consents expiring in the next 30 days; 12-14 savepoint, session refresh, release.
    with django_assert_num_queries(14):
        response = client.get(reverse("groupsessions:coordinator_dashboard"))
    assert response.status_code == 200
    assert len(response.context["incidents"]) == world
    assert len(response.context["outreach"]) == world  # one per cohort
    assert len(response.context["cohorts"]) == world


def test_the_cohort_list_query_count_does_not_grow(
    world, client_for, coordinator, django_assert_max_num_queries
):
    client = client_for(coordinator)
    # 1-3 session, user, memberships; 4 count for the paginator; 5 the page of cohorts
    # with program, fill and session counts; 6 program choices of the filter form;
    # 7-9 savepoint, session refresh, release.
    with django_assert_max_num_queries(9):
        response = client.get(reverse("groupsessions:cohort_list"))
    assert len(response.context["page"]) == world


def test_the_cohort_detail_query_count_does_not_grow(
    world, client_for, coordinator, django_assert_max_num_queries
):
    client = client_for(coordinator)
    cohort = Cohort.objects.filter(code__startswith=f"q{world}-").first()
    # 1-3 session, user, memberships; 4 the cohort with program and fill; 5 its
    # facilitators; 6 its sessions with modules and attendance counts;
    # 7-9 savepoint, session refresh, release.
    with django_assert_max_num_queries(9):
        response = client.get(reverse("groupsessions:cohort_detail", args=[cohort.pk]))
    assert len(response.context["sessions"]) == world + 3


def test_the_program_page_query_count_does_not_grow(
    world, client_for, coordinator, program, django_assert_max_num_queries
):
    client = client_for(coordinator)
    # 1-3 session, user, memberships; 4 the program; 5 its modules; the panels
    # (programs.pages): 6 its cohorts with fill (sessions), 7-8 referral counts (last
    # date, then counts by type and year; participants), 9 its instruments and targets
    # (surveys; the reports panel makes none); 10 its topics (in the page template);
    # 11-13 savepoint, session refresh, release.
    with django_assert_max_num_queries(13):
        response = client.get(reverse("programs:program_detail", args=[program.pk]))
    assert len(response.context["cohorts"]) == world
