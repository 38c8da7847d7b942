"""Attendance pages: the sheet, one tap over htmx, mark all, save, print, keyed entry."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from peersupport.models import AuditEntry
from sessions.models import Attendance, Session
from tests.factories import (
    CohortFactory,
    EnrollmentFactory,
    ProgramFactory,
    SessionFactory,
    VolunteerFactory,
)

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def volunteer(org, facilitator):
    return VolunteerFactory(organisation=org, user=facilitator)


@pytest.fixture
def cohort(org, volunteer, today):
    return CohortFactory(
        program=ProgramFactory(organisation=org),
        start_date=today - timedelta(days=60),
        facilitators=[volunteer],
    )


@pytest.fixture
def session(cohort, today):
    return SessionFactory(
        cohort=cohort, date=today - timedelta(days=1), status="scheduled", topic="Boundaries"
    )


def _group(cohort, n):
    return [EnrollmentFactory(cohort=cohort) for _ in range(n)]


def _url(name, session):
    return reverse(f"groupsessions:{name}", args=[session.pk])


def _tap(client, session, enrollment, status, version="", **extra):
    return client.post(
        _url("attendance_mark", session),
        {"enrollment": enrollment.pk, "status": status, "version": version},
        **extra,
    )


# --- The sheet -----------------------------------------------------------------------


def test_the_sheet_shows_each_person_by_name_and_code(client_for, facilitator, session, cohort):
    enrollment = EnrollmentFactory(cohort=cohort, participant__preferred_name="Amira")
    later = EnrollmentFactory(
        cohort=cohort,
        participant__preferred_name="Not Yet",
        enrolled_on=session.date + timedelta(days=1),
    )
    response = client_for(facilitator).get(_url("attendance_sheet", session))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Amira" in content and enrollment.participant.code in content
    assert later.participant.code not in content
    assert "Mark all present" in content and "Save the sheet" in content


@pytest.mark.parametrize("size", [5, 30])
def test_the_sheet_runs_the_same_queries_for_5_or_30_people(
    client_for, facilitator, session, cohort, size, django_assert_num_queries
):
    _group(cohort, size)
    client = client_for(facilitator)
    with django_assert_num_queries(16):
        # 1 auth session, 2 user, 3 memberships (middleware), 4 session with cohort,
        # program and organisation, 5 session facilitators and 6 cohort facilitators
        # (prefetched for the log form), 7 "is this facilitator assigned to the cohort"
        # (access rule), 8 roster enrollments with participants, 9 attendance with who
        # recorded it, 10 audit chain's head and 11 audit entry (names shown), 12
        # the facilitators to tick and 13 the other volunteers who may stand in (log
        # form), 14-16 savepoint, save, release of the idle-timeout session.
        response = client.get(_url("attendance_sheet", session))
    assert response.status_code == 200
    assert response.content.decode().count("data-att-row") == size


@pytest.mark.parametrize("size", [5, 30])
def test_one_tap_runs_the_same_queries_for_5_or_30_people(
    client_for, facilitator, session, cohort, size, django_assert_num_queries
):
    people = _group(cohort, size)
    client = client_for(facilitator)
    with django_assert_num_queries(20):
        # 1 auth session, 2 user, 3 memberships, 4 session with cohort, program and
        # organisation, 5 facilitator assigned? (access rule), 6 savepoint, 7 is this
        # enrollment on the roster, 8 savepoint of the write, 9 lock the row, 10 insert
        # it, 11 audit chain's head, 12 audit entry, 13-15 the cohort's runs of missed
        # sessions recounted (lock the cohort, clear, count: nobody has missed one
        # yet, so nothing to insert), 16-17 release both savepoints, 18-20 savepoint,
        # save, release of the idle-timeout session.
        response = _tap(client, session, people[-1], "present", **HTMX)
    assert response.status_code == 200


def test_a_tap_over_htmx_answers_with_the_saved_row(client_for, facilitator, session, cohort):
    (enrollment,) = _group(cohort, 1)
    response = _tap(client_for(facilitator), session, enrollment, "late", **HTMX)
    assert response.status_code == 200
    content = response.content.decode()
    assert "saved" in content and 'data-saved-status="late"' in content
    row = Attendance.objects.get()
    assert row.status == "late" and row.recorded_by == facilitator
    assert f'value="{row.updated_at.isoformat()}"' in content


def test_a_retried_tap_changes_nothing(client_for, facilitator, session, cohort):
    (enrollment,) = _group(cohort, 1)
    client = client_for(facilitator)
    _tap(client, session, enrollment, "present", **HTMX)
    stamp = Attendance.objects.get().updated_at
    response = _tap(client, session, enrollment, "present", **HTMX)
    assert response.status_code == 200
    assert Attendance.objects.get().updated_at == stamp
    assert AuditEntry.objects.filter(object_type="groupsessions.Attendance").count() == 1


def test_a_tap_on_a_stale_page_shows_who_changed_the_row_last(
    client_for, facilitator, coordinator, session, cohort
):
    (enrollment,) = _group(cohort, 1)
    _tap(client_for(coordinator), session, enrollment, "absent", **HTMX)
    response = _tap(client_for(facilitator), session, enrollment, "present", "", **HTMX)
    content = response.content.decode()
    assert response.status_code == 200
    assert "Changed last by" in content and str(coordinator) in content
    assert Attendance.objects.get().status == "present"


@pytest.mark.parametrize("status", ["maybe", "", "<script>"])
def test_a_bad_status_is_shown_beside_the_row_and_nothing_saved(
    client_for, facilitator, session, cohort, status
):
    (enrollment,) = _group(cohort, 1)
    response = _tap(client_for(facilitator), session, enrollment, status, **HTMX)
    assert response.status_code == 422
    assert response["X-Error-Fragment"] == "1"
    assert "Not saved" in response.content.decode()
    assert "<script>" not in response.content.decode()
    assert not Attendance.objects.exists()


def test_a_tap_without_a_person_is_a_clear_error(client_for, facilitator, session):
    response = client_for(facilitator).post(
        _url("attendance_mark", session), {"enrollment": "abc", "status": "present"}, **HTMX
    )
    assert response.status_code == 422
    assert "Choose a person" in response.content.decode()


def test_a_tap_for_someone_not_enrolled_that_day_is_refused(
    client_for, facilitator, session, cohort
):
    late = EnrollmentFactory(cohort=cohort, enrolled_on=session.date + timedelta(days=2))
    response = _tap(client_for(facilitator), session, late, "present", **HTMX)
    assert response.status_code == 422
    assert "not enrolled" in response.content.decode()
    assert not Attendance.objects.exists()


def test_a_tap_for_a_cancelled_session_is_refused(client_for, facilitator, session, cohort):
    (enrollment,) = _group(cohort, 1)
    Session.objects.filter(pk=session.pk).update(status="cancelled")
    response = _tap(client_for(facilitator), session, enrollment, "present", **HTMX)
    assert response.status_code == 422
    assert "cancelled" in response.content.decode()
    assert not Attendance.objects.exists()


def test_a_tap_for_a_future_session_is_refused(client_for, facilitator, cohort, today):
    (enrollment,) = _group(cohort, 1)
    future = SessionFactory(cohort=cohort, date=today + timedelta(days=2), status="scheduled")
    response = _tap(client_for(facilitator), future, enrollment, "present", **HTMX)
    assert response.status_code == 422
    assert not Attendance.objects.exists()


def test_a_tap_for_another_organisations_session_is_not_found(
    client_for, outsider, session, cohort
):
    (enrollment,) = _group(cohort, 1)
    response = _tap(client_for(outsider), session, enrollment, "present", **HTMX)
    assert response.status_code == 404
    assert not Attendance.objects.exists()


def test_an_enrollment_of_another_organisation_is_refused(
    client_for, facilitator, session, other_org
):
    foreign = EnrollmentFactory(
        cohort=CohortFactory(program=ProgramFactory(organisation=other_org))
    )
    response = _tap(client_for(facilitator), session, foreign, "present", **HTMX)
    assert response.status_code == 422
    assert not Attendance.objects.exists()


def test_a_facilitator_of_another_group_may_not_tap(client_for, org, session, cohort):
    from tests.factories import MembershipFactory

    stranger = MembershipFactory(organisation=org, role="facilitator").user
    (enrollment,) = _group(cohort, 1)
    assert _tap(client_for(stranger), session, enrollment, "present", **HTMX).status_code == 403
    assert not Attendance.objects.exists()


def test_after_the_edit_window_only_a_coordinator_may_tap(
    client_for, facilitator, coordinator, cohort, today, settings
):
    settings.ATTENDANCE_EDIT_WINDOW_DAYS = 14
    (enrollment,) = _group(cohort, 1)
    old = SessionFactory(cohort=cohort, date=today - timedelta(days=20))
    response = _tap(client_for(facilitator), old, enrollment, "present", **HTMX)
    assert response.status_code == 403
    assert response["X-Error-Fragment"] == "1"
    assert "only a coordinator" in response.content.decode()
    assert not Attendance.objects.exists()
    page = client_for(facilitator).get(_url("attendance_sheet", old)).content.decode()
    assert "only a coordinator" in page and "disabled" in page
    assert _tap(client_for(coordinator), old, enrollment, "present", **HTMX).status_code == 200


def test_a_tap_without_htmx_returns_to_the_sheet(client_for, facilitator, session, cohort):
    (enrollment,) = _group(cohort, 1)
    response = client_for(facilitator).post(
        _url("attendance_mark", session), {"enrollment": enrollment.pk, "tap": "excused"}
    )
    assert response.status_code == 302
    assert Attendance.objects.get().status == "excused"


# --- Mark all, save the sheet ---------------------------------------------------------


def test_mark_all_present_then_adjust(client_for, facilitator, session, cohort):
    people = _group(cohort, 3)
    client = client_for(facilitator)
    _tap(client, session, people[0], "absent", **HTMX)
    response = client.post(_url("attendance_mark_all", session))
    assert response.status_code == 302
    statuses = dict(Attendance.objects.values_list("enrollment_id", "status"))
    assert statuses == {people[0].pk: "absent", people[1].pk: "present", people[2].pk: "present"}


def test_saving_the_sheet_marks_the_session_held(client_for, facilitator, volunteer, session):
    response = client_for(facilitator).post(
        _url("attendance_save", session),
        {
            "duration_minutes": "170",
            "topics_covered": "Boundaries; self-care",
            "facilitators": [volunteer.pk],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("groupsessions:facilitator_home")
    session.refresh_from_db()
    assert session.status == "held"
    assert session.duration_minutes == 170
    assert session.topics_covered == "Boundaries; self-care"
    assert list(session.facilitators.all()) == [volunteer]
    assert session.logged_by == facilitator


def test_saving_the_sheet_without_a_duration_says_so_and_saves_nothing(
    client_for, facilitator, session
):
    response = client_for(facilitator).post(
        _url("attendance_save", session), {"duration_minutes": "", "topics_covered": "x"}
    )
    assert response.status_code == 422
    assert "This field is required" in response.content.decode()
    session.refresh_from_db()
    assert session.status == "scheduled"


def test_saving_the_sheet_of_a_future_session_is_refused(client_for, facilitator, cohort, today):
    future = SessionFactory(cohort=cohort, date=today + timedelta(days=1), status="scheduled")
    response = client_for(facilitator).post(
        _url("attendance_save", future), {"duration_minutes": "180"}
    )
    assert response.status_code == 422
    future.refresh_from_db()
    assert future.status == "scheduled"


# --- Print and keyed entry ------------------------------------------------------------


def test_the_printable_sheet_has_names_codes_and_a_column_per_status(
    client_for, facilitator, session, cohort
):
    enrollment = EnrollmentFactory(cohort=cohort, participant__preferred_name="Beatriz")
    response = client_for(facilitator).get(_url("attendance_print", session))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Beatriz" in content and enrollment.participant.code in content
    for label in ("Present", "Late", "Absent", "Excused"):
        assert f'class="sign-in-box">{label}' in content
    entry = AuditEntry.objects.get(action="attendance.print")
    assert entry.detail == {"format": "sign-in sheet", "rows": 1}
    assert "Beatriz" not in str(entry.changes) + str(entry.detail) + entry.object_repr


def test_a_keyed_sheet_saves_every_row_in_one_go(client_for, facilitator, session, cohort):
    a, b, c = _group(cohort, 3)
    response = client_for(facilitator).post(
        _url("attendance_keyed", session),
        {f"status_{a.pk}": "present", f"status_{b.pk}": "late", f"status_{c.pk}": ""},
    )
    assert response.status_code == 302
    assert dict(Attendance.objects.values_list("enrollment_id", "status")) == {
        a.pk: "present",
        b.pk: "late",
    }


def test_a_keyed_sheet_with_a_bad_row_shows_the_error_on_that_row_and_saves_nothing(
    client_for, facilitator, session, cohort
):
    a, b = _group(cohort, 2)
    response = client_for(facilitator).post(
        _url("attendance_keyed", session),
        {f"status_{a.pk}": "present", f"status_{b.pk}": "sometimes"},
    )
    assert response.status_code == 422
    content = response.content.decode()
    assert "Nothing was saved" in content
    assert f'id="id_status_{b.pk}-error"' in content
    assert not Attendance.objects.exists()


def test_a_keyed_sheet_for_a_cancelled_session_saves_nothing(
    client_for, facilitator, session, cohort
):
    (a,) = _group(cohort, 1)
    Session.objects.filter(pk=session.pk).update(status="cancelled")
    response = client_for(facilitator).post(
        _url("attendance_keyed", session), {f"status_{a.pk}": "present"}
    )
    assert response.status_code == 422
    assert not Attendance.objects.exists()


# --- Facilitator home -----------------------------------------------------------------


def test_a_facilitator_lands_on_their_sessions(client_for, facilitator):
    response = client_for(facilitator).get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("groupsessions:facilitator_home")


def test_the_facilitator_home_shows_today_first_and_flags_missing_attendance(
    client_for, facilitator, org, cohort, today
):
    SessionFactory(cohort=cohort, date=today, status="scheduled", number=50)
    missing = SessionFactory(cohort=cohort, date=today - timedelta(days=7), status="scheduled")
    not_mine = CohortFactory(program=ProgramFactory(organisation=org), name="Not my group")
    SessionFactory(cohort=not_mine, date=today, status="scheduled")
    content = client_for(facilitator).get(reverse("groupsessions:facilitator_home")).content
    content = content.decode()
    assert content.index("Take attendance") < content.index("Attendance still missing")
    assert _url("attendance_sheet", missing) in content
    assert "Not my group" not in content


@pytest.mark.parametrize("n_cohorts", [1, 6])
def test_the_facilitator_home_runs_the_same_queries_for_1_or_6_groups(
    client_for, facilitator, org, volunteer, today, n_cohorts, django_assert_num_queries
):
    for _ in range(n_cohorts):
        cohort = CohortFactory(
            program=ProgramFactory(organisation=org),
            start_date=today - timedelta(days=30),
            facilitators=[volunteer],
        )
        for days in (-7, 0, 7):
            SessionFactory(cohort=cohort, date=today + timedelta(days=days), status="scheduled")
    client = client_for(facilitator)
    with django_assert_num_queries(8):
        # 1 auth session, 2 user, 3 memberships, 4 sessions of my groups with "has
        # attendance", 5 my groups with their programs, 6-8 savepoint, save, release of
        # the idle-timeout session.
        response = client.get(reverse("groupsessions:facilitator_home"))
    assert response.status_code == 200
    assert response.content.decode().count("Take attendance") == n_cohorts


def test_saving_the_sheet_keeps_a_stand_in_facilitator(
    client_for, facilitator, org, volunteer, session
):
    stand_in = VolunteerFactory(organisation=org, name="Stand-in")
    session.facilitators.set([stand_in])
    page = client_for(facilitator).get(_url("attendance_sheet", session)).content.decode()
    assert "Stand-in" in page
    response = client_for(facilitator).post(
        _url("attendance_save", session),
        {"duration_minutes": "180", "facilitators": [stand_in.pk, volunteer.pk]},
    )
    assert response.status_code == 302
    assert set(session.facilitators.all()) == {stand_in, volunteer}
