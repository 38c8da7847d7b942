"""The sync endpoint of offline attendance: each queued change applied once, the later
action winning a conflict, refusals with reasons, and what the phone may keep."""

import json
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from participants.services import enrollment_withdraw
from peersupport.models import AuditEntry
from sessions.attendance import attendance_set
from sessions.models import Attendance, OfflineChange, Session
from sessions.offline import owner_token
from tests.factories import (
    CohortFactory,
    EnrollmentFactory,
    MembershipFactory,
    ProgramFactory,
    SessionFactory,
    VolunteerFactory,
)

pytestmark = pytest.mark.django_db

SYNC = reverse("groupsessions:offline_sync")


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def cohort(org, facilitator, today):
    volunteer = VolunteerFactory(organisation=org, user=facilitator, name="Fay")
    return CohortFactory(
        program=ProgramFactory(organisation=org),
        code="TUE-A",
        start_date=today - timedelta(days=60),
        facilitators=[volunteer],
    )


@pytest.fixture
def session(cohort, today):
    return SessionFactory(cohort=cohort, number=8, date=today, status="scheduled")


@pytest.fixture
def people(cohort):
    return [
        EnrollmentFactory(cohort=cohort, participant__preferred_name=f"Person {i}")
        for i in range(4)
    ]


def _ms(moment):
    return int(moment.timestamp() * 1000)


def tap(session, enrollment, status, at=None, **extra):
    return {
        "id": str(uuid.uuid4()),
        "kind": "tap",
        "session": session.pk,
        "enrollment": enrollment.pk,
        "status": status,
        "at": _ms(at or timezone.now()),
        **extra,
    }


def post(client, user, changes, sent=None, **extra):
    body = {"owner": owner_token(user), "sent": _ms(sent or timezone.now()), "changes": changes}
    body.update(extra)
    return client.post(SYNC, json.dumps(body), content_type="application/json")


def _statuses(session):
    return dict(Attendance.objects.filter(session=session).values_list("enrollment_id", "status"))


def _actions(name):
    return list(AuditEntry.objects.filter(action=name).order_by("pk"))


def test_taps_are_applied_once_however_often_they_are_sent(
    client_for, facilitator, session, people
):
    client = client_for(facilitator)
    changes = [tap(session, people[0], "present"), tap(session, people[1], "late")]
    first = post(client, facilitator, changes)
    assert first.status_code == 200
    assert [a["result"] for a in first.json()["answers"]] == ["applied", "applied"]
    audits = len(_actions("attendance.set"))

    again = post(client, facilitator, changes)
    assert again.json()["answers"] == first.json()["answers"]
    assert _statuses(session) == {people[0].pk: "present", people[1].pk: "late"}
    assert len(_actions("attendance.set")) == audits == 2
    assert OfflineChange.objects.count() == 2


def test_one_person_tapped_twice_ends_with_the_later_tap_whatever_the_order_sent(
    client_for, facilitator, session, people
):
    client = client_for(facilitator)
    now = timezone.now()
    earlier = tap(session, people[0], "present", at=now - timedelta(minutes=3))
    later = tap(session, people[0], "absent", at=now - timedelta(minutes=1))
    answers = post(client, facilitator, [later, earlier]).json()["answers"]
    assert {a["result"] for a in answers} == {"applied"}
    assert _statuses(session) == {people[0].pk: "absent"}

    # Sent in two requests, the later one first: the earlier tap does not undo it.
    person = people[1]
    later = tap(session, person, "late", at=now - timedelta(minutes=1))
    earlier = tap(session, person, "excused", at=now - timedelta(minutes=5))
    post(client, facilitator, [later])
    answer = post(client, facilitator, [earlier]).json()["answers"][0]
    assert answer["result"] == "overridden"
    assert _statuses(session)[person.pk] == "late"


def test_a_later_change_on_the_server_wins_and_both_are_audited(
    client_for, facilitator, coordinator, session, people
):
    client = client_for(facilitator)
    tapped = timezone.now() - timedelta(minutes=10)
    # Meanwhile the coordinator marks the same person on the server.
    attendance_set(session=session, enrollment_id=people[2].pk, status="excused", by=coordinator)
    answers = post(
        client,
        facilitator,
        [tap(session, people[2], "absent", at=tapped), tap(session, people[3], "present")],
    ).json()["answers"]
    overridden = next(a for a in answers if a["enrollment"] == people[2].pk)
    assert overridden["result"] == "overridden"
    assert overridden["by"] == str(coordinator)
    assert overridden["kept"] == "excused" and overridden["status"] == "absent"
    assert _statuses(session) == {people[2].pk: "excused", people[3].pk: "present"}

    kept = [e for e in _actions("attendance.set") if e.detail["enrollment"] == people[2].pk]
    assert [e.actor_id for e in kept] == [coordinator.pk]
    lost = _actions("attendance.offline_overridden")
    assert [(e.actor_id, e.changes) for e in lost] == [
        (facilitator.pk, {"status": ["excused", "absent"]})
    ]


def test_an_offline_tap_made_after_the_server_change_wins(
    client_for, facilitator, coordinator, session, people
):
    attendance_set(session=session, enrollment_id=people[0].pk, status="excused", by=coordinator)
    Attendance.objects.filter(enrollment=people[0]).update(
        updated_at=timezone.now() - timedelta(minutes=30)
    )
    answer = post(
        client_for(facilitator), facilitator, [tap(session, people[0], "present")]
    ).json()["answers"][0]
    assert answer["result"] == "applied"
    assert _statuses(session) == {people[0].pk: "present"}


def test_a_wrong_phone_clock_is_corrected_by_the_time_it_sent(
    client_for, facilitator, coordinator, session, people
):
    # The phone's clock is an hour fast: its tap "at 10:55" was made 5 minutes ago, before
    # the coordinator's change 2 minutes ago.
    now = timezone.now()
    attendance_set(session=session, enrollment_id=people[0].pk, status="excused", by=coordinator)
    fast = timedelta(hours=1)
    change = tap(session, people[0], "present", at=now + fast - timedelta(minutes=5))
    answer = post(client_for(facilitator), facilitator, [change], sent=now + fast).json()[
        "answers"
    ][0]
    assert answer["result"] == "overridden"


def test_taps_outside_the_editing_window_are_refused_with_the_reason(
    client_for, facilitator, cohort, people, today
):
    old = SessionFactory(cohort=cohort, number=1, date=today - timedelta(days=30))
    answer = post(client_for(facilitator), facilitator, [tap(old, people[0], "present")]).json()[
        "answers"
    ][0]
    assert answer["result"] == "refused" and answer["code"] == "closed"
    assert "only a coordinator can change" in answer["reason"]
    assert not Attendance.objects.exists()


def test_a_tap_for_someone_withdrawn_after_it_was_made_is_refused(
    client_for, facilitator, coordinator, session, people, today
):
    tapped = timezone.now() - timedelta(minutes=20)
    enrollment_withdraw(enrollment=people[1], on=today, reason="moved", by=coordinator)
    answers = post(
        client_for(facilitator),
        facilitator,
        [tap(session, people[1], "present", at=tapped), tap(session, people[0], "present")],
    ).json()["answers"]
    refused = next(a for a in answers if a["enrollment"] == people[1].pk)
    assert refused["result"] == "refused" and refused["code"] == "withdrawn"
    assert "withdrawn" in refused["reason"]
    assert _statuses(session) == {people[0].pk: "present"}


def test_the_facilitator_of_another_cohort_is_refused(client_for, org, session, people):
    other = MembershipFactory(organisation=org, role="facilitator").user
    VolunteerFactory(organisation=org, user=other)
    answer = post(client_for(other), other, [tap(session, people[0], "present")]).json()["answers"][
        0
    ]
    assert answer["result"] == "refused" and answer["code"] == "not_yours"
    assert not Attendance.objects.exists()


def test_another_organisation_learns_nothing_about_a_session(client_for, outsider, session, people):
    change = tap(session, people[0], "present")
    answer = post(client_for(outsider), outsider, [change]).json()["answers"][0]
    assert (answer["result"], answer["code"]) == ("refused", "no_session")
    missing = {**change, "id": str(uuid.uuid4()), "session": session.pk + 1000}
    assert post(client_for(outsider), outsider, [missing]).json()["answers"][0] == {
        **answer,
        "id": missing["id"],
    }
    assert not Attendance.objects.exists() and not OfflineChange.objects.exists()


def test_an_id_already_used_by_someone_else_is_refused_without_saying_more(
    client_for, facilitator, coordinator, session, people
):
    change = tap(session, people[0], "present")
    post(client_for(facilitator), facilitator, [change])
    answer = post(client_for(coordinator), coordinator, [change]).json()["answers"][0]
    assert answer == {"id": change["id"], "result": "refused", "code": "bad_request"}


def test_a_queued_session_log_is_saved_once(client_for, facilitator, session, people):
    log = {
        "id": str(uuid.uuid4()),
        "kind": "log",
        "session": session.pk,
        "at": _ms(timezone.now()),
        "duration_minutes": "95",
        "topics_covered": "Safety planning",
        "notes": "Good energy",
        "incident": False,
        "incident_notes": "",
    }
    client = client_for(facilitator)
    assert post(client, facilitator, [log]).json()["answers"][0]["result"] == "applied"
    assert post(client, facilitator, [log]).json()["answers"][0]["result"] == "applied"
    session.refresh_from_db()
    assert session.status == Session.Status.HELD
    assert (session.duration_minutes, session.topics_covered) == (95, "Safety planning")
    assert [v.name for v in session.facilitators.all()] == ["Fay"]
    assert len(_actions("session.log")) == 1

    bad = {**log, "id": str(uuid.uuid4()), "incident": True}
    answer = post(client, facilitator, [bad]).json()["answers"][0]
    assert answer["result"] == "refused"
    assert answer["reason"] == "Describe the incident for the supervisor."


def test_malformed_changes_are_answered_and_the_rest_applied(
    client_for, facilitator, session, people
):
    good, asleep = tap(session, people[0], "present"), tap(session, people[1], "asleep")
    answers = post(
        client_for(facilitator), facilitator, [{"id": "x", "session": "nope"}, asleep, good]
    ).json()["answers"]
    by_id = {a["id"]: a for a in answers}
    assert by_id["x"]["result"] == "refused"
    assert by_id["x"]["reason"] == "This change was not understood, so it was not recorded."
    assert (by_id[asleep["id"]]["result"], by_id[asleep["id"]]["code"]) == ("refused", "status")
    assert by_id[good["id"]]["result"] == "applied"
    assert _statuses(session) == {people[0].pk: "present"}


def test_bad_requests_say_what_is_wrong(client_for, facilitator, session, people):
    client = client_for(facilitator)
    response = client.post(SYNC, "{not json", content_type="application/json")
    assert response.status_code == 400 and "JSON" in response.json()["error"]
    response = client.post(SYNC, "[1]", content_type="application/json")
    assert response.status_code == 400
    response = post(client, facilitator, [tap(session, people[0], "present")] * 501)
    assert response.status_code == 400 and "at most 500" in response.json()["error"]
    assert not Attendance.objects.exists()


def test_signed_out_the_phone_is_told_to_sign_in_again(client, session, people, facilitator):
    response = client.get(SYNC)
    assert response.status_code == 401 and response.json()["signed_in"] is False
    response = post(client, facilitator, [tap(session, people[0], "present")])
    assert response.status_code == 401
    assert not Attendance.objects.exists()


def test_changes_of_another_person_on_a_shared_phone_are_not_sent_as_mine(
    client_for, facilitator, coordinator, session, people
):
    body = {"owner": owner_token(facilitator), "changes": [tap(session, people[0], "present")]}
    response = client_for(coordinator).post(SYNC, json.dumps(body), content_type="application/json")
    assert response.status_code == 409
    assert not Attendance.objects.exists()


def test_the_sync_needs_the_csrf_token(facilitator, session, people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(facilitator)
    response = post(client, facilitator, [tap(session, people[0], "present")])
    assert response.status_code == 403
    assert not Attendance.objects.exists()


def test_the_phone_keeps_only_the_minimum_of_its_own_sessions_and_the_read_is_audited(
    client_for, org, facilitator, cohort, session, people, today
):
    soon = SessionFactory(cohort=cohort, number=9, date=today + timedelta(days=7))
    SessionFactory(cohort=cohort, number=10, date=today + timedelta(days=8))  # too far
    SessionFactory(cohort=cohort, number=2, date=today - timedelta(days=15))  # too old
    SessionFactory(cohort=cohort, number=7, date=today - timedelta(days=3), status="cancelled")
    other_cohort = CohortFactory(program=cohort.program, start_date=cohort.start_date)
    SessionFactory(cohort=other_cohort, number=8, date=today)
    people[0].participant.phone = "555-0100"
    people[0].participant.save()

    body = client_for(facilitator).get(SYNC + "?rosters=1").json()
    assert body["offline"] is True
    assert body["keep"] == [session.pk, soon.pk]
    first = body["sessions"][0]
    assert set(first) == {"id", "date", "number", "cohort", "held", "minutes", "people"}
    assert first["cohort"] == "TUE-A" and first["date"] == today.isoformat()
    assert set(first["people"][0]) == {"e", "name", "code", "status"}
    assert sorted(p["name"] for p in first["people"]) == [f"Person {i}" for i in range(4)]
    assert "555-0100" not in json.dumps(body)
    copies = _actions("attendance.offline_copy")
    assert [(e.object_id, e.detail["names"]) for e in copies] == [
        (str(session.pk), 4),
        (str(soon.pk), 4),
    ]


def test_a_facilitator_removed_from_the_group_is_told_to_drop_its_sessions(
    client_for, facilitator, cohort, session
):
    client = client_for(facilitator)
    assert client.get(SYNC).json()["keep"] == [session.pk]
    cohort.facilitators.clear()
    body = client.get(SYNC + "?rosters=1").json()
    assert body["keep"] == [] and body["sessions"] == []


def test_other_roles_keep_nothing_on_the_phone(client_for, coordinator, evaluator, session, people):
    for user in (coordinator, evaluator):
        body = client_for(user).get(SYNC + "?rosters=1").json()
        assert body["offline"] is False and body["keep"] == [] and "sessions" not in body


@pytest.mark.parametrize("size", [3, 12])
def test_the_rosters_cost_a_few_queries_per_session(
    client_for, facilitator, cohort, today, size, django_assert_max_num_queries
):
    for _i in range(size):
        EnrollmentFactory(cohort=cohort)
    for number in range(1, 4):
        SessionFactory(cohort=cohort, number=number, date=today - timedelta(days=number))
    client = client_for(facilitator)
    client.get(SYNC)
    # session, user, memberships (3); the ids of the sessions kept (1); the sessions with
    # their cohorts and organisations (1); per session: enrollments with participants,
    # attendance, the audit entry (previous hash, insert) = 4 each; saving the session in
    # a savepoint (3).
    with django_assert_max_num_queries(3 + 1 + 1 + 4 * 3 + 3):
        body = client.get(SYNC + "?rosters=1").json()
    assert len(body["sessions"]) == 3
    assert all(len(s["people"]) == size for s in body["sessions"])
