"""The facilitator's roster without a connection (docs/offline.md): taps kept on the
phone, the roster drawn again offline, the queue sent when the connection returns, the
later action winning a conflict; signing out with taps not sent."""

import os
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from peersupport.models import AuditEntry
from sessions.attendance import attendance_set
from sessions.models import Attendance
from tests.browser.journey_helpers import open_account_menu
from tests.factories import (
    CohortFactory,
    EnrollmentFactory,
    ProgramFactory,
    SessionFactory,
    VolunteerFactory,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STORED = "window.peersupportOffline.stored()"


@pytest.fixture
def phone(phone):
    """The phone of tests/browser/conftest.py, left on a blank page for a moment at the
    end, so no request of the app (a sync, the worker) is still running when the
    database is emptied for the next test."""
    yield phone
    phone.goto("about:blank")
    phone.wait_for_timeout(500)


@pytest.fixture
def group(org, facilitator):
    volunteer = VolunteerFactory(organisation=org, user=facilitator, name="Rosa")
    today = timezone.localdate()
    cohort = CohortFactory(
        program=ProgramFactory(organisation=org),
        code="TUE-CIRCLE",
        start_date=today - timedelta(days=21),
        facilitators=[volunteer],
    )
    session = SessionFactory(cohort=cohort, number=4, date=today, status="scheduled")
    people = [
        EnrollmentFactory(cohort=cohort, participant__preferred_name=f"Person {i}")
        for i in range(6)
    ]
    return session, people


def _ready_offline(phone, session):
    """Open the roster online and wait until the phone can work without a connection: the
    service worker controls the page and the roster is kept on the phone."""
    controlled = "() => !!(navigator.serviceWorker && navigator.serviceWorker.controller)"
    phone.wait_for_function(controlled, timeout=20_000)  # installed from My sessions
    phone.wait_for_load_state("networkidle")
    phone.goto(reverse("groupsessions:attendance_sheet", args=[session.pk]))
    phone.wait_for_function(controlled)
    phone.wait_for_function(
        f"() => {STORED}.then(s => s.sessions.some(x => x.id === {session.pk}))", polling=200
    )


def _row(page, enrollment):
    return page.locator(f"#att-{enrollment.pk}")


def test_taps_made_offline_survive_a_reload_and_sync_with_one_override(
    phone, sign_in, shot, facilitator, coordinator, group
):
    from playwright.sync_api import expect

    session, people = group
    assert phone.context.browser is not None
    assert phone.url.startswith("about:")
    sign_in(phone, facilitator)
    assert "localhost" in phone.url or "127.0.0.1" in phone.url  # a secure context
    _ready_offline(phone, session)
    phone.wait_for_load_state("networkidle")
    # The worker keeps the shell and static files, never a page.
    kept = phone.evaluate(
        "() => caches.keys().then(names => Promise.all(names.map(n => caches.open(n)"
        ".then(c => c.keys())))).then(all => all.flat().map(r => new URL(r.url).pathname))"
    )
    shell = reverse("groupsessions:offline_shell")
    assert shell in kept
    assert all(p.startswith("/static/") or p in (shell, "/manifest.webmanifest") for p in kept)

    phone.context.set_offline(True)
    taps = [
        (people[0], "Present"),
        (people[1], "Late"),
        (people[2], "Absent"),
        (people[3], "Present"),
        (people[2], "Excused"),  # the same person twice: the later tap counts
    ]
    for enrollment, name in taps:
        _row(phone, enrollment).get_by_role("button", name=name).click()
    expect(phone.locator("#offline-waiting")).to_contain_text("5 taps not sent yet")
    expect(_row(phone, people[0])).to_contain_text("saved on this phone, not sent yet")
    assert not Attendance.objects.exists()

    phone.reload()
    expect(phone.get_by_role("heading", name="TUE-CIRCLE · Session 4")).to_be_visible()
    expect(phone.locator("#offline-waiting")).to_contain_text("5 taps not sent yet")
    expect(phone.locator(".att-queued")).to_have_count(4)
    expect(_row(phone, people[2]).get_by_role("button", name="Excused")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(phone.get_by_text("Person 5")).to_be_visible()  # not tapped: on the roster still
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shot(phone, "offline-roster")

    # Meanwhile, a coordinator changes one of the same people on the server.
    attendance_set(session=session, enrollment_id=people[1].pk, status="absent", by=coordinator)

    phone.context.set_offline(False)
    results = phone.locator("#offline-results")
    expect(results).to_contain_text(str(coordinator))
    expect(results).to_contain_text("Person 1")
    expect(phone.locator("#offline-waiting")).to_have_count(0)
    expect(phone.locator(".att-queued")).to_have_count(0)
    expect(_row(phone, people[1]).get_by_role("button", name="Absent")).to_have_attribute(
        "aria-pressed", "true"
    )
    shot(phone, "sync-result")

    assert dict(Attendance.objects.values_list("enrollment_id", "status")) == {
        people[0].pk: "present",
        people[1].pk: "absent",
        people[2].pk: "excused",
        people[3].pk: "present",
    }
    person1 = [
        (e.action, e.actor_id)
        for e in AuditEntry.objects.order_by("pk")
        if e.action in ("attendance.set", "attendance.offline_overridden")
        and (e.detail or {}).get("enrollment") == people[1].pk
    ]
    assert person1 == [
        ("attendance.set", coordinator.pk),
        ("attendance.offline_overridden", facilitator.pk),
    ]
    assert phone.evaluate(f"{STORED}.then(s => s.queue.length)") == 0


def test_signing_out_with_taps_not_sent_warns_then_empties_the_phone(
    phone, sign_in, shot, facilitator, group
):
    from playwright.sync_api import expect

    session, people = group
    sign_in(phone, facilitator)
    _ready_offline(phone, session)
    phone.wait_for_load_state("networkidle")
    # The connection comes back too weak to send anything.
    phone.route("**/offline/sync/**", lambda route: route.abort())
    phone.context.set_offline(True)
    for enrollment in people[:3]:
        _row(phone, enrollment).get_by_role("button", name="Present").click()
    expect(phone.locator("#offline-waiting")).to_contain_text("3 taps not sent yet")
    phone.context.set_offline(False)

    open_account_menu(phone)
    phone.get_by_role("button", name="Sign out").click()
    warning = phone.locator("#offline-signout")
    expect(warning).to_contain_text("3 taps not sent yet")
    expect(warning).to_contain_text("deleted from this phone")
    shot(phone, "sign-out-warning")
    assert "/accounts/login/" not in phone.url

    warning.get_by_role("button", name="Sign out and delete them").click()
    phone.wait_for_url("**/accounts/login/**")
    stored = phone.evaluate(STORED)
    assert stored == {"meta": [], "sessions": [], "queue": [], "results": []}
    assert not Attendance.objects.exists()


def test_taps_kept_while_the_sign_in_expired_are_sent_after_signing_in_again(
    phone, sign_in, facilitator, group
):
    from django.contrib.sessions.models import Session as SignIn
    from playwright.sync_api import expect

    session, people = group
    sign_in(phone, facilitator)
    _ready_offline(phone, session)
    phone.wait_for_load_state("networkidle")
    phone.context.set_offline(True)
    _row(phone, people[0]).get_by_role("button", name="Late").click()
    _row(phone, people[1]).get_by_role("button", name="Absent").click()
    expect(phone.locator("#offline-waiting")).to_contain_text("2 taps not sent yet")

    SignIn.objects.all().delete()  # the sign-in times out on the server meanwhile
    phone.context.set_offline(False)
    waiting = phone.locator("#offline-waiting")
    expect(waiting).to_contain_text("Sign in again to send them.")
    assert not Attendance.objects.exists()

    sign_in(phone, facilitator)
    expected = {people[0].pk: "late", people[1].pk: "absent"}
    for _attempt in range(50):  # sent by My sessions' script once it has loaded
        if dict(Attendance.objects.values_list("enrollment_id", "status")) == expected:
            break
        phone.wait_for_timeout(200)
    assert dict(Attendance.objects.values_list("enrollment_id", "status")) == expected
    expect(phone.locator("#offline-waiting")).to_have_count(0)


def test_the_session_log_written_offline_is_sent_when_the_connection_returns(
    phone, sign_in, facilitator, group
):
    from playwright.sync_api import expect

    from sessions.models import Session

    session, people = group
    sign_in(phone, facilitator)
    _ready_offline(phone, session)
    phone.wait_for_load_state("networkidle")
    phone.context.set_offline(True)
    phone.reload()  # the page the phone draws from what it keeps
    expect(phone.get_by_text("No connection. Taps are saved on this phone")).to_be_visible()
    phone.get_by_label("How long did the session last (minutes)?").fill("0")
    phone.get_by_role("button", name="Save the sheet").click()
    expect(phone.get_by_role("alert")).to_contain_text("between 1 and 1440")
    phone.get_by_label("How long did the session last (minutes)?").fill("95")
    phone.get_by_label("Topics covered").fill("Safety planning")
    phone.get_by_role("button", name="Save the sheet").click()
    expect(phone.get_by_text("The session log is saved on this phone")).to_be_visible()
    expect(phone.locator("#offline-waiting")).to_contain_text("1 session log not sent yet")
    assert Session.objects.get(pk=session.pk).status == Session.Status.SCHEDULED

    phone.context.set_offline(False)
    expect(phone.locator("#offline-waiting")).to_have_count(0)
    session.refresh_from_db()
    assert session.status == Session.Status.HELD
    assert (session.duration_minutes, session.topics_covered) == (95, "Safety planning")
    assert [v.name for v in session.facilitators.all()] == ["Rosa"]


AGE_EVERYTHING = """(args) => new Promise((resolve, reject) => {
  const open = indexedDB.open("peersupport-offline", 1);
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const old = Date.now() - 73 * 3600 * 1000;
    const t = db.transaction(["sessions", "queue", "meta"], "readwrite");
    const sessions = t.objectStore("sessions");
    sessions.get(args.session).onsuccess = (e) => {
      const kept = e.target.result; kept.savedAt = old; sessions.put(kept);
    };
    t.objectStore("meta").get("owner").onsuccess = (e) => {
      t.objectStore("queue").put({id: "old-tap", kind: "tap", session: args.session,
        enrollment: args.enrollment, status: "present", at: old, owner: e.target.result});
    };
    t.oncomplete = () => { db.close(); resolve(true); };
    t.onerror = () => reject(t.error);
  };
})"""


def test_what_the_phone_kept_is_deleted_after_72_hours_and_the_person_told(
    phone, sign_in, facilitator, group
):
    from playwright.sync_api import expect

    session, people = group
    sign_in(phone, facilitator)
    _ready_offline(phone, session)
    phone.wait_for_load_state("networkidle")
    phone.evaluate(AGE_EVERYTHING, {"session": session.pk, "enrollment": people[0].pk})
    phone.context.set_offline(True)
    phone.reload()
    expect(phone.get_by_text("Nothing is saved on this phone.")).to_be_visible()
    expect(phone.locator("#offline-results")).to_contain_text(
        "1 change made more than 72 hours ago was deleted from this phone without being sent."
    )
    expect(phone.get_by_text("Person 0")).to_have_count(0)
    stored = phone.evaluate(STORED)
    assert stored["sessions"] == [] and stored["queue"] == []
