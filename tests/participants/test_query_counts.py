"""Pages run a fixed number of queries whatever the number of rows they show."""

from datetime import date

import pytest
from django.urls import reverse

from programs.models import Volunteer
from programs.services import contact_access_grant
from tests.factories import (
    CohortFactory,
    ConsentFactory,
    EnrollmentFactory,
    ParticipantFactory,
    PartnerFactory,
    ProgramFactory,
    ReferralFactory,
)

pytestmark = pytest.mark.django_db
SIZES = [2, 12]


def _cohorts(org, facilitator):
    volunteer = Volunteer.objects.create(organisation=org, user=facilitator, name="V")
    program = ProgramFactory(organisation=org)
    return [CohortFactory(program=program, facilitators=[volunteer]) for _ in range(2)]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("role", ["coordinator", "facilitator"])
def test_participant_list_queries(
    request, client_for, org, facilitator, n, role, django_assert_max_num_queries
):
    cohorts = _cohorts(org, facilitator)
    for _ in range(n):
        p = ParticipantFactory(organisation=org)
        for cohort in cohorts:
            EnrollmentFactory(participant=p, cohort=cohort)
    c = client_for(request.getfixturevalue(role))
    # 1. session, 2. user, 3. memberships, 4. page count, 5. the page's participants,
    # 6. their enrollments with cohorts (prefetch), 7. the audit entry, 8. the cohort
    # filter's choices, 9-11. the session's activity time saved (savepoint, update, release),
    # and for a facilitator 12. the user again (``membership.user`` in ``cohorts_for``).
    with django_assert_max_num_queries(11 if role == "coordinator" else 12):
        response = c.get(reverse("participants:list"), {"q": "P-"})
    assert len(response.context["page"]) == n


@pytest.mark.parametrize("n", SIZES)
def test_participant_detail_queries(
    client_for, coordinator, org, facilitator, n, django_assert_max_num_queries
):
    program = ProgramFactory(organisation=org)
    p = ParticipantFactory(organisation=org)
    for _ in range(n):
        EnrollmentFactory(participant=p, cohort=CohortFactory(program=program))
        ConsentFactory(participant=p)
        ReferralFactory(participant=p, program=program)
    c = client_for(coordinator)
    # 1. session, 2. user, 3. memberships, 4. the participant, 5. the audit chain's head,
    # 6. the audit entry, 7. its consents with who recorded them, 8. its enrollments with
    # cohorts and programs, 9. its referrals with partners and programs, 10. the cohorts
    # offered in the enrol form, 11-13. the session's activity time saved (savepoint,
    # update, release).
    with django_assert_max_num_queries(13):
        response = c.get(reverse("participants:detail", args=[p.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize("n", SIZES)
def test_participant_detail_queries_for_a_facilitator(
    client_for, org, facilitator, n, django_assert_max_num_queries
):
    cohort = _cohorts(org, facilitator)[0]
    p = ParticipantFactory(organisation=org)
    EnrollmentFactory(participant=p, cohort=cohort)
    for _ in range(n):
        ConsentFactory(participant=p)
        ReferralFactory(participant=p)
    c = client_for(facilitator)
    # 1. session, 2. user, 3. memberships, 4. the participant, 5. is it in one of the
    # facilitator's cohorts, 6. the audit chain's head, 7. the audit entry, 8. consents,
    # 9. enrollments, 10. referrals, 11-13. the session's activity time saved (savepoint,
    # update, release), 14. her cohorts with contact access (none). No enrol form.
    with django_assert_max_num_queries(14):
        response = c.get(reverse("participants:detail", args=[p.pk]))
    assert response.status_code == 200
    assert not response.context["sees_contacts"]


@pytest.mark.parametrize("n", SIZES)
def test_participant_detail_queries_for_a_facilitator_with_contact_access(
    client_for, org, coordinator, facilitator, n, django_assert_max_num_queries
):
    cohort = _cohorts(org, facilitator)[0]
    cohort.start_date = date.today()  # a cohort running now
    cohort.save()
    contact_access_grant(cohort=cohort, volunteer=cohort.facilitators.get(), by=coordinator)
    p = ParticipantFactory(organisation=org, phone="555-0100")
    EnrollmentFactory(participant=p, cohort=cohort)
    for _ in range(n):
        ConsentFactory(participant=p)
        ReferralFactory(participant=p)
    c = client_for(facilitator)
    # 1-13 as above, 14. the cohorts she was given contact access to, 15. their programs'
    # modules (planned end), 16. their last sessions (sessions app), 17. is the
    # participant in one of them.
    with django_assert_max_num_queries(17):
        response = c.get(reverse("participants:detail", args=[p.pk]))
    assert response.context["sees_contacts"]
    assert "555-0100" in response.content.decode()


@pytest.mark.parametrize("n", SIZES)
def test_cohort_enrollments_queries(
    client_for, coordinator, org, facilitator, n, django_assert_max_num_queries
):
    cohort = _cohorts(org, facilitator)[0]
    for _ in range(n):
        EnrollmentFactory(cohort=cohort)
    c = client_for(coordinator)
    # 1. session, 2. user, 3. memberships, 4. the cohort with its program, 5. its
    # enrollments with participants, 6. the audit chain's head, 7. the audit entry,
    # 8-10. the session's activity time saved (savepoint, update, release).
    with django_assert_max_num_queries(10):
        response = c.get(reverse("participants:cohort_enrollments", args=[cohort.pk]))
    assert len(response.context["enrollments"]) == n


@pytest.mark.parametrize("n", SIZES)
def test_partner_list_queries(client_for, coordinator, org, n, django_assert_max_num_queries):
    for _ in range(n):
        PartnerFactory(organisation=org)
    c = client_for(coordinator)
    # 1. session, 2. user, 3. memberships, 4. page count, 5. the page's partners,
    # 6-8. the session's activity time saved (savepoint, update, release).
    with django_assert_max_num_queries(8):
        response = c.get(reverse("participants:partner_list"))
    assert len(response.context["page"]) == n
