from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from participants import services
from participants.models import Enrollment
from participants.selectors import cohort_fill, cohort_roster
from peersupport.models import AuditEntry
from programs.models import Cohort
from tests.factories import CohortFactory, EnrollmentFactory, ParticipantFactory, ProgramFactory

pytestmark = pytest.mark.django_db
START = date(2020, 5, 4)


@pytest.fixture
def cohort(org):
    return CohortFactory(program=ProgramFactory(organisation=org), capacity=2, start_date=START)


def _enrol(cohort, by, on=START, **kwargs):
    participant = ParticipantFactory(organisation=cohort.organisation)
    return services.enrollment_create(
        participant=participant, cohort=cohort, on=on, by=by, **kwargs
    )


def test_enrollment_beyond_capacity_goes_to_the_waitlist(cohort, coordinator):
    first, second = _enrol(cohort, coordinator), _enrol(cohort, coordinator)
    third = _enrol(cohort, coordinator)
    assert [e.status for e in (first, second, third)] == ["enrolled", "enrolled", "waitlisted"]
    assert third.enrolled_on is None and third.applied_on == START


def test_a_withdrawal_frees_a_place_for_the_waitlist(cohort, coordinator):
    first, _second = _enrol(cohort, coordinator), _enrol(cohort, coordinator)
    waiting = _enrol(cohort, coordinator)
    with pytest.raises(ValidationError, match="full"):
        services.enrollment_promote_from_waitlist(enrollment=waiting, on=START, by=coordinator)
    services.enrollment_withdraw(
        enrollment=first, on=date(2020, 6, 1), reason="moved", by=coordinator
    )
    services.enrollment_promote_from_waitlist(
        enrollment=waiting, on=date(2020, 6, 2), by=coordinator
    )
    waiting.refresh_from_db()
    assert (waiting.status, waiting.enrolled_on) == ("enrolled", date(2020, 6, 2))


def test_an_application_takes_no_place(cohort, coordinator):
    applied = _enrol(cohort, coordinator, status=Enrollment.Status.APPLIED)
    assert applied.status == "applied"
    assert services.places_taken(cohort) == 0


def test_waitlist_message_is_shown_when_the_cohort_is_full(client_for, coordinator, cohort):
    _enrol(cohort, coordinator), _enrol(cohort, coordinator)
    p = ParticipantFactory(organisation=cohort.organisation)
    response = client_for(coordinator).post(
        reverse("participants:enroll", args=[p.pk]),
        {"cohort": cohort.pk, "on": "2020-05-04"},
        follow=True,
    )
    assert "is full" in response.content.decode()
    assert Enrollment.objects.get(participant=p).status == "waitlisted"


def test_enrolling_the_same_person_twice_is_a_form_error(client_for, coordinator, cohort):
    enrollment = _enrol(cohort, coordinator)
    c = client_for(coordinator)
    response = c.post(
        reverse("participants:enroll", args=[enrollment.participant_id]),
        {"cohort": cohort.pk, "on": "2020-05-05"},
    )
    assert response.status_code == 200
    assert "already in cohort" in str(response.context["form"].errors["cohort"])
    response = c.post(
        reverse("participants:cohort_enrollments", args=[cohort.pk]),
        {"code": enrollment.participant.code.lower(), "on": "2020-05-05"},
    )
    assert response.status_code == 200
    assert "already in cohort" in str(response.context["form"].errors)
    assert Enrollment.objects.filter(participant=enrollment.participant).count() == 1


def test_an_unknown_code_on_the_cohort_page_is_a_form_error(client_for, coordinator, cohort):
    response = client_for(coordinator).post(
        reverse("participants:cohort_enrollments", args=[cohort.pk]),
        {"code": "NOPE-1", "on": "2020-05-05"},
    )
    assert "code" in response.context["form"].errors


def test_enrolling_from_the_cohort_page_by_code(client_for, coordinator, cohort):
    p = ParticipantFactory(organisation=cohort.organisation)
    response = client_for(coordinator).post(
        reverse("participants:cohort_enrollments", args=[cohort.pk]),
        {"code": p.code, "on": "2020-05-05"},
    )
    assert response.status_code == 302
    assert Enrollment.objects.get(participant=p, cohort=cohort).status == "enrolled"
    assert AuditEntry.objects.filter(
        action="enrollment.create", object_type="participants.Enrollment"
    ).exists()


def test_participant_and_cohort_must_be_of_the_same_organisation(cohort, other_org, coordinator):
    stranger = ParticipantFactory(organisation=other_org)
    with pytest.raises(ValidationError, match="another organisation"):
        services.enrollment_create(participant=stranger, cohort=cohort, on=START, by=coordinator)


def test_a_cohort_of_another_organisation_is_not_offered(client_for, coordinator, org, other_org):
    foreign = CohortFactory(program=ProgramFactory(organisation=other_org))
    p = ParticipantFactory(organisation=org)
    response = client_for(coordinator).post(
        reverse("participants:enroll", args=[p.pk]), {"cohort": foreign.pk, "on": "2020-05-05"}
    )
    assert "cohort" in response.context["form"].errors
    assert not Enrollment.objects.exists()


def test_withdrawal_date_before_enrollment_is_a_form_error(client_for, coordinator, cohort):
    enrollment = _enrol(cohort, coordinator, on=date(2020, 5, 10))
    response = client_for(coordinator).post(
        reverse("participants:enrollment_withdraw", args=[enrollment.pk]),
        {"exit_date": "2020-05-09", "exit_reason": "moved away"},
    )
    assert response.status_code == 200
    assert "before the enrollment date" in str(response.context["form"].errors["exit_date"])
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.exit_date) == ("enrolled", None)


def test_withdrawal_is_recorded_with_date_and_reason(client_for, coordinator, cohort):
    enrollment = _enrol(cohort, coordinator)
    response = client_for(coordinator).post(
        reverse("participants:enrollment_withdraw", args=[enrollment.pk]),
        {"exit_date": "2020-06-01", "exit_reason": "found work"},
    )
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.exit_date, enrollment.exit_reason) == (
        "withdrawn",
        date(2020, 6, 1),
        "found work",
    )
    entry = AuditEntry.objects.filter(action="enrollment.withdraw").get()
    assert entry.changes["status"] == ["enrolled", "withdrawn"]


def test_completing_before_enrollment_is_refused(client_for, coordinator, cohort):
    enrollment = _enrol(cohort, coordinator, on=date(2020, 5, 10))
    response = client_for(coordinator).post(
        reverse("participants:enrollment_complete", args=[enrollment.pk]),
        {"on": "2020-05-01"},
        follow=True,
    )
    assert "cannot be before the enrollment date" in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == "enrolled"
    services.enrollment_complete(enrollment=enrollment, on=date(2020, 9, 14), by=coordinator)
    assert (enrollment.status, enrollment.exit_date) == ("completed", date(2020, 9, 14))


# --- selectors ----------------------------------------------------------------------------


def test_withdrawn_participant_is_not_on_later_rosters(cohort, coordinator):
    stays, leaves = _enrol(cohort, coordinator), _enrol(cohort, coordinator)
    services.enrollment_withdraw(
        enrollment=leaves, on=date(2020, 5, 18), reason="moved", by=coordinator
    )
    assert set(cohort_roster(cohort=cohort, on=date(2020, 5, 11))) == {stays, leaves}
    assert set(cohort_roster(cohort=cohort, on=date(2020, 5, 18))) == {stays, leaves}
    assert list(cohort_roster(cohort=cohort, on=date(2020, 5, 25))) == [stays]


def test_enrolled_late_participant_is_not_on_earlier_rosters(cohort, coordinator):
    early = _enrol(cohort, coordinator, on=START)
    late = _enrol(cohort, coordinator, on=date(2020, 5, 20))
    assert list(cohort_roster(cohort=cohort, on=date(2020, 5, 11))) == [early]
    assert set(cohort_roster(cohort=cohort, on=date(2020, 5, 25))) == {early, late}


def test_roster_leaves_out_the_waitlist_and_is_ordered_by_code(org, coordinator):
    cohort = CohortFactory(program=ProgramFactory(organisation=org), capacity=2)
    b = EnrollmentFactory(cohort=cohort, participant=ParticipantFactory(organisation=org, code="B"))
    a = EnrollmentFactory(cohort=cohort, participant=ParticipantFactory(organisation=org, code="A"))
    EnrollmentFactory(cohort=cohort, status="waitlisted", enrolled_on=None)
    assert list(cohort_roster(cohort=cohort, on=cohort.start_date)) == [a, b]


def test_cohort_fill_counts_places_and_waitlist_in_one_query(
    org, coordinator, django_assert_num_queries
):
    full = CohortFactory(program=ProgramFactory(organisation=org), capacity=1)
    empty = CohortFactory(program=full.program, capacity=5)
    _enrol(full, coordinator), _enrol(full, coordinator), _enrol(full, coordinator)
    with django_assert_num_queries(1):
        fill = {c.pk: c for c in cohort_fill(cohorts=Cohort.objects.filter(organisation=org))}
    assert (fill[full.pk].places_taken, fill[full.pk].waitlist_length) == (1, 2)
    assert fill[full.pk].places_free == 0
    assert (fill[empty.pk].places_taken, fill[empty.pk].waitlist_length) == (0, 0)
    assert fill[empty.pk].places_free == 5


def test_promoting_from_the_cohort_page_gives_a_free_place(client_for, coordinator, cohort):
    _enrol(cohort, coordinator), _enrol(cohort, coordinator)
    waiting = _enrol(cohort, coordinator)
    c = client_for(coordinator)
    url = reverse("participants:enrollment_promote", args=[waiting.pk])
    response = c.post(url, {"on": "2020-05-11"}, follow=True)
    assert "is full" in response.content.decode()
    cohort.capacity = 3
    cohort.save()
    c.post(url, {"on": "2020-05-11"})
    waiting.refresh_from_db()
    assert (waiting.status, waiting.enrolled_on) == ("enrolled", date(2020, 5, 11))


def test_an_erased_participant_cannot_be_enrolled(cohort, coordinator):
    p = ParticipantFactory(organisation=cohort.organisation)
    services.participant_erase(participant=p, by=coordinator)
    with pytest.raises(ValidationError, match="erased"):
        services.enrollment_create(participant=p, cohort=cohort, on=START, by=coordinator)


# --- enrollment dates (finding 3) -------------------------------------------------------


def test_enrolling_from_the_cohort_page_starts_at_the_cohorts_start(
    client_for, coordinator, cohort
):
    url = reverse("participants:cohort_enrollments", args=[cohort.pk])
    client = client_for(coordinator)
    assert client.get(url).context["form"]["on"].value() == START
    p = ParticipantFactory(organisation=cohort.organisation)
    client.post(url, {"code": p.code, "on": START.isoformat()})
    assert Enrollment.objects.get(participant=p).enrolled_on == START


def test_enrolling_from_the_participant_page_without_a_date_uses_the_cohorts_start(
    client_for, coordinator, cohort
):
    p = ParticipantFactory(organisation=cohort.organisation)
    response = client_for(coordinator).post(
        reverse("participants:enroll", args=[p.pk]), {"cohort": cohort.pk, "on": ""}
    )
    assert response.status_code == 302
    assert Enrollment.objects.get(participant=p).enrolled_on == START


def test_correcting_an_enrollment_date_puts_them_on_earlier_rosters_and_is_audited(
    client_for, coordinator, cohort
):
    early = _enrol(cohort, coordinator, on=START)
    late = _enrol(cohort, coordinator, on=date(2020, 5, 20))
    assert list(cohort_roster(cohort=cohort, on=date(2020, 5, 11))) == [early]
    response = client_for(coordinator).post(
        reverse("participants:enrollment_redate", args=[late.pk]), {"on": START.isoformat()}
    )
    assert response.status_code == 302
    assert set(cohort_roster(cohort=cohort, on=date(2020, 5, 11))) == {early, late}
    entry = AuditEntry.objects.get(action="enrollment.redate", object_id=str(late.pk))
    assert entry.changes["enrolled_on"] == ["2020-05-20", "2020-05-04"]


def test_the_cohort_enrollments_page_links_to_changing_the_date(client_for, coordinator, cohort):
    enrollment = _enrol(cohort, coordinator)
    url = reverse("participants:cohort_enrollments", args=[cohort.pk])
    html = client_for(coordinator).get(url).content.decode()
    assert reverse("participants:enrollment_redate", args=[enrollment.pk]) in html


def test_an_enrollment_date_after_the_exit_is_a_form_error(client_for, coordinator, cohort):
    enrollment = _enrol(cohort, coordinator)
    services.enrollment_withdraw(
        enrollment=enrollment, on=date(2020, 6, 1), reason="moved", by=coordinator
    )
    response = client_for(coordinator).post(
        reverse("participants:enrollment_redate", args=[enrollment.pk]), {"on": "2020-07-01"}
    )
    assert response.status_code == 200
    assert "after the exit date" in response.context["form"].errors["on"][0]
    enrollment.refresh_from_db()
    assert enrollment.enrolled_on == START


def test_a_waitlisted_person_has_no_date_to_change(coordinator, cohort):
    _enrol(cohort, coordinator)
    _enrol(cohort, coordinator)
    waiting = _enrol(cohort, coordinator)
    assert waiting.status == "waitlisted"
    with pytest.raises(ValidationError):
        services.enrollment_set_date(enrollment=waiting, on=START, by=coordinator)
