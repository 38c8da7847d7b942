"""The one facilitator rule (``programs.access``): a facilitator reaches a cohort only
when a Volunteer linked to their user is among its facilitators; other roles reach all."""

import pytest

from participants.models import Enrollment
from peersupport.models import Membership
from programs.access import cohorts_for, facilitated, reaches, reaches_cohort
from tests.factories import CohortFactory, EnrollmentFactory, ProgramFactory, VolunteerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def theirs(org, facilitator):
    """A cohort run by two volunteers, one of them linked to the facilitator."""
    volunteer = VolunteerFactory(organisation=org, user=facilitator)
    return CohortFactory(
        program=ProgramFactory(organisation=org),
        facilitators=[volunteer, VolunteerFactory(organisation=org)],
    )


@pytest.fixture
def other(org):
    """A cohort of the same organisation run by someone else."""
    return CohortFactory(
        program=ProgramFactory(organisation=org), facilitators=[VolunteerFactory(organisation=org)]
    )


def _membership(user):
    return Membership.objects.get(user=user)


def test_a_facilitator_reaches_only_the_cohorts_they_run(facilitator, theirs, other):
    membership = _membership(facilitator)
    assert reaches_cohort(membership, theirs.pk)
    assert not reaches_cohort(membership, other.pk)
    assert list(cohorts_for(membership)) == [theirs]


def test_coordinators_and_evaluators_reach_every_cohort_of_the_organisation(
    coordinator, evaluator, theirs, other, other_org
):
    CohortFactory(program=ProgramFactory(organisation=other_org))
    for user in (coordinator, evaluator):
        membership = _membership(user)
        assert reaches_cohort(membership, other.pk)
        assert set(cohorts_for(membership)) == {theirs, other}


def test_the_rule_filters_rows_that_reach_a_cohort_through_a_lookup(facilitator, theirs, other):
    mine, not_mine = EnrollmentFactory(cohort=theirs), EnrollmentFactory(cohort=other)
    membership = _membership(facilitator)
    rows = Enrollment.objects.filter(facilitated(membership, cohort="cohort"))
    assert list(rows) == [mine]
    assert reaches(membership, Enrollment.objects.filter(pk=mine.pk), cohort="cohort")
    assert not reaches(membership, Enrollment.objects.filter(pk=not_mine.pk), cohort="cohort")
