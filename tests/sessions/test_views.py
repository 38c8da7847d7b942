"""Cohort, session and dashboard pages: forms, errors, access."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from peersupport.models import AuditEntry
from programs.models import Cohort
from sessions.models import Session
from tests.factories import (
    AttendanceFactory,
    ClosureDateFactory,
    CohortFactory,
    EnrollmentFactory,
    MembershipFactory,
    ProgramFactory,
    SessionFactory,
    VolunteerFactory,
)

pytestmark = pytest.mark.django_db


def _cohort_form(program, **overrides):
    data = {
        "program": program.pk,
        "code": "autumn",
        "name": "Autumn group",
        "start_date": "2025-09-01",
        "weekday": "1",
        "start_time": "18:30",
        "session_minutes": "180",
        "location": "Hall",
        "capacity": "20",
        "status": "open",
    }
    return {**data, **overrides}


def test_a_coordinator_creates_a_cohort_and_its_sessions(client_for, coordinator, program):
    response = client_for(coordinator).post(
        reverse("groupsessions:cohort_create"), _cohort_form(program)
    )
    cohort = Cohort.objects.get(code="autumn")
    assert response.status_code == 302
    assert response.url == reverse("groupsessions:cohort_detail", args=[cohort.pk])
    # 1 September 2025 is a Monday: the Tuesday group first meets on the 2nd.
    assert cohort.sessions.order_by("number").first().date == date(2025, 9, 2)
    assert cohort.sessions.count() == 5


def test_closures_past_the_program_end_are_a_form_error_and_nothing_is_saved(
    client_for, coordinator, program, org
):
    program.end_date = date(2025, 9, 30)
    program.save()
    ClosureDateFactory(organisation=org, date=date(2025, 9, 9))
    response = client_for(coordinator).post(
        reverse("groupsessions:cohort_create"), _cohort_form(program)
    )
    assert response.status_code == 200
    assert "after the program ends" in response.content.decode()
    assert not Cohort.objects.exists()
    assert not Session.objects.exists()


def test_another_organisations_program_cannot_be_chosen(client_for, coordinator, other_org):
    foreign = ProgramFactory(organisation=other_org)
    response = client_for(coordinator).post(
        reverse("groupsessions:cohort_create"), _cohort_form(foreign)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["program"]
    assert not Cohort.objects.exists()


def test_a_duplicate_code_is_shown_beside_the_code_field(client_for, coordinator, program, cohort):
    response = client_for(coordinator).post(
        reverse("groupsessions:cohort_create"), _cohort_form(program, code=cohort.code)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["code"]


def test_editing_a_cohort_is_audited(client_for, coordinator, program, cohort):
    data = _cohort_form(program, code="c1", name="Renamed", start_date=str(cohort.start_date))
    data["weekday"] = str(cohort.weekday)
    response = client_for(coordinator).post(
        reverse("groupsessions:cohort_update", args=[cohort.pk]), data
    )
    assert response.status_code == 302
    cohort.refresh_from_db()
    assert cohort.name == "Renamed"
    entry = AuditEntry.objects.get(object_type="programs.Cohort", action="update")
    assert entry.changes["name"][1] == "Renamed"


def test_assigning_facilitators_offers_only_trained_volunteers_of_the_organisation(
    client_for, coordinator, cohort, org, other_org, volunteer
):
    second = VolunteerFactory(organisation=org, name="Gwen")
    applicant = VolunteerFactory(organisation=org, stage="applied")
    stranger = VolunteerFactory(organisation=other_org)
    client = client_for(coordinator)
    url = reverse("groupsessions:cohort_facilitators", args=[cohort.pk])
    choices = set(client.get(url).context["form"].fields["facilitators"].queryset)
    assert choices == {volunteer, second}
    assert client.post(url, {"facilitators": [stranger.pk]}).status_code == 200
    assert client.post(url, {"facilitators": [applicant.pk]}).status_code == 200
    assert client.post(url, {"facilitators": [second.pk]}).status_code == 302
    assert list(cohort.facilitators.all()) == [second]


def test_rescheduling_before_the_cohort_start_is_a_form_error(
    client_for, coordinator, scheduled, cohort
):
    before = scheduled.date
    response = client_for(coordinator).post(
        reverse("groupsessions:session_reschedule", args=[scheduled.pk]),
        {"date": str(cohort.start_date - timedelta(days=1))},
    )
    assert response.status_code == 200
    assert "before the cohort starts" in response.content.decode()
    scheduled.refresh_from_db()
    assert scheduled.date == before


def test_a_garbled_date_is_a_form_error(client_for, coordinator, scheduled):
    response = client_for(coordinator).post(
        reverse("groupsessions:session_reschedule", args=[scheduled.pk]), {"date": "31/02/x"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["date"]


def test_adding_a_session_from_the_page(client_for, coordinator, cohort, today):
    response = client_for(coordinator).post(
        reverse("groupsessions:session_add", args=[cohort.pk]),
        {"date": str(today + timedelta(days=3)), "start_time": "18:00", "topic": "Make-up"},
    )
    assert response.status_code == 302
    assert cohort.sessions.get(topic="Make-up").number == 1


def test_cancelling_without_a_reason_is_a_form_error(client_for, coordinator, scheduled):
    response = client_for(coordinator).post(
        reverse("groupsessions:session_cancel", args=[scheduled.pk]), {"reason": ""}
    )
    assert response.status_code == 200
    scheduled.refresh_from_db()
    assert scheduled.status == "scheduled"


def test_deleting_a_held_session_is_refused_with_a_reason(client_for, coordinator, cohort, today):
    held = SessionFactory(cohort=cohort, number=1, date=today - timedelta(days=7))
    response = client_for(coordinator).post(reverse("groupsessions:session_delete", args=[held.pk]))
    assert response.status_code == 409
    assert "held session cannot be deleted" in response.content.decode()
    assert Session.objects.filter(pk=held.pk).exists()


def test_deleting_a_future_session_from_the_page(client_for, coordinator, scheduled):
    response = client_for(coordinator).post(
        reverse("groupsessions:session_delete", args=[scheduled.pk])
    )
    assert response.status_code == 302
    assert not Session.objects.filter(pk=scheduled.pk).exists()


def test_a_facilitator_logs_a_session_of_their_cohort(
    client_for, facilitator, past_scheduled, volunteer
):
    response = client_for(facilitator).post(
        reverse("groupsessions:session_log", args=[past_scheduled.pk]),
        {
            "topics_covered": "Boundaries",
            "notes": "",
            "facilitators": [volunteer.pk],
            "duration_minutes": "180",
        },
    )
    assert response.status_code == 302
    past_scheduled.refresh_from_db()
    assert past_scheduled.status == "held"


def test_a_flagged_incident_without_notes_is_a_form_error(
    client_for, facilitator, past_scheduled, volunteer
):
    response = client_for(facilitator).post(
        reverse("groupsessions:session_log", args=[past_scheduled.pk]),
        {
            "incident_flagged": "on",
            "facilitators": [volunteer.pk],
            "duration_minutes": "180",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["incident_notes"]
    past_scheduled.refresh_from_db()
    assert past_scheduled.status == "scheduled"


def test_a_facilitator_cannot_log_another_cohorts_session(client_for, facilitator, program, org):
    other = SessionFactory(cohort=CohortFactory(program=program, code="other"), status="scheduled")
    response = client_for(facilitator).get(reverse("groupsessions:session_log", args=[other.pk]))
    assert response.status_code == 403


def test_facilitators_see_only_their_cohorts_in_the_list(client_for, facilitator, cohort, program):
    CohortFactory(program=program, code="not-mine")
    page = client_for(facilitator).get(reverse("groupsessions:cohort_list")).context["page"]
    assert [c.code for c in page] == ["c1"]


def test_the_cohort_list_searches_and_filters(client_for, coordinator, program, org):
    CohortFactory(program=program, code="north-1", status="open")
    CohortFactory(program=program, code="south-1", status="open")
    CohortFactory(program=program, code="north-2", status="completed")
    client = client_for(coordinator)
    url = reverse("groupsessions:cohort_list")
    codes = [c.code for c in client.get(url, {"q": "north", "status": "open"}).context["page"]]
    assert codes == ["north-1"]
    other_program = ProgramFactory(organisation=org)
    CohortFactory(program=other_program, code="elsewhere")
    codes = [c.code for c in client.get(url, {"program": other_program.pk}).context["page"]]
    assert codes == ["elsewhere"]


def test_the_dashboard_lists_outreach_by_code_and_sessions_missing_attendance(
    client_for, coordinator, cohort, past_scheduled, today
):
    held = [
        SessionFactory(cohort=cohort, number=k, date=cohort.start_date + timedelta(days=7 * k))
        for k in (1, 2)
    ]
    ana, bea = (EnrollmentFactory(cohort=cohort) for _ in range(2))
    for session in held:
        AttendanceFactory(session=session, enrollment=ana, status="absent")
        AttendanceFactory(session=session, enrollment=bea, status="present")
    response = client_for(coordinator).get(reverse("groupsessions:coordinator_dashboard"))
    assert [e.pk for e in response.context["outreach"]] == [ana.pk]
    assert [s.pk for s in response.context["missing"]] == [past_scheduled.pk]
    html = response.content.decode()
    assert ana.participant.code in html
    assert ana.participant.preferred_name not in html


def test_the_coordinators_home_is_the_dashboard(client_for, coordinator):
    response = client_for(coordinator).get(reverse("home"))
    assert response.url == reverse("groupsessions:coordinator_dashboard")


def test_a_coordinator_of_two_organisations_sees_only_the_current_ones_cohorts(
    client_for, coordinator, cohort, other_org
):
    MembershipFactory(user=coordinator, organisation=other_org, role="coordinator")
    CohortFactory(program=ProgramFactory(organisation=other_org), code="theirs")
    # The organisation they work in is the first by name until they switch.
    page = client_for(coordinator).get(reverse("groupsessions:cohort_list")).context["page"]
    assert [c.code for c in page] == ["theirs"]


def test_the_outreach_threshold_comes_from_the_settings(client_for, coordinator, cohort, settings):
    held = [
        SessionFactory(cohort=cohort, number=k, date=cohort.start_date + timedelta(days=7 * k))
        for k in (1, 2)
    ]
    ana, bea = (EnrollmentFactory(cohort=cohort) for _ in range(2))
    for session in held:
        AttendanceFactory(session=session, enrollment=ana, status="absent")
        AttendanceFactory(session=session, enrollment=bea, status="present")
    settings.OUTREACH_ABSENCES = 3
    response = client_for(coordinator).get(reverse("groupsessions:coordinator_dashboard"))
    assert response.context["outreach"] == []


def test_a_facilitators_list_counts_places_once_per_enrollment(
    client_for, facilitator, cohort, volunteer, org
):
    cohort.facilitators.add(VolunteerFactory(organisation=org))  # a co-facilitator
    for _ in range(3):
        EnrollmentFactory(cohort=cohort)
    EnrollmentFactory(cohort=cohort, status="waitlisted")
    (row,) = client_for(facilitator).get(reverse("groupsessions:cohort_list")).context["page"]
    assert (row.places_taken, row.waitlist_length, row.fill) == (3, 1, 15)


def test_a_held_session_can_be_logged_again_to_correct_it(
    client_for, coordinator, cohort, volunteer, today
):
    held = SessionFactory(cohort=cohort, number=1, date=today - timedelta(days=7))
    response = client_for(coordinator).post(
        reverse("groupsessions:session_log", args=[held.pk]),
        {"topics_covered": "Corrected", "facilitators": [volunteer.pk], "duration_minutes": "150"},
    )
    assert response.status_code == 302
    held.refresh_from_db()
    assert (held.status, held.topics_covered, held.duration_minutes) == ("held", "Corrected", 150)
