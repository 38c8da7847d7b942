"""A facilitator records a session on a phone; a failed tap is retried; kiosk feedback."""

import os
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions.models import Attendance, Session, SessionFeedback
from tests.factories import (
    CohortFactory,
    EnrollmentFactory,
    ProgramFactory,
    SessionFactory,
    VolunteerFactory,
)

# Playwright's sync API runs an event loop in this thread; the ORM calls here are sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def group(org, facilitator):
    """Today's session of a group the facilitator runs, with six people."""
    volunteer = VolunteerFactory(organisation=org, user=facilitator, name="Rosa")
    today = timezone.localdate()
    cohort = CohortFactory(
        program=ProgramFactory(
            organisation=org, session_feedback_questions=["I felt safe", "It was useful"]
        ),
        name="Tuesday circle",
        start_date=today - timedelta(days=21),
        facilitators=[volunteer],
    )
    session = SessionFactory(cohort=cohort, date=today, status="scheduled", topic="Boundaries")
    people = [
        EnrollmentFactory(cohort=cohort, participant__preferred_name=f"Person {i}")
        for i in range(6)
    ]
    return session, people


def _row(page, enrollment):
    return page.locator(f"#att-{enrollment.pk}")


def test_a_facilitator_marks_a_whole_session_on_a_phone(phone, sign_in, shot, facilitator, group):
    from playwright.sync_api import expect

    session, people = group
    sign_in(phone, facilitator)
    phone.get_by_role("link", name="Take attendance").click()
    expect(phone.get_by_role("heading", name="Tuesday circle")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    phone.get_by_role("button", name="Mark all present").click()
    expect(phone.get_by_text("6 people marked present.")).to_be_visible()

    late, absent = people[1], people[4]
    _row(phone, late).get_by_role("button", name="Late").click()
    _row(phone, absent).get_by_role("button", name="Absent").click()
    expect(_row(phone, late).locator(".att-saved")).to_be_visible()
    expect(_row(phone, absent).locator(".att-saved")).to_be_visible()
    expect(_row(phone, late).get_by_role("button", name="Late")).to_have_attribute(
        "aria-pressed", "true"
    )
    shot(phone, "sheet")

    phone.get_by_label("Topics covered").fill("Boundaries and saying no")
    phone.get_by_role("button", name="Save the sheet").click()
    expect(phone.get_by_text("The session is saved as held.")).to_be_visible()

    statuses = dict(Attendance.objects.values_list("enrollment_id", "status"))
    assert statuses[late.pk] == "late" and statuses[absent.pk] == "absent"
    assert sorted(statuses.values()).count("present") == 4
    session.refresh_from_db()
    assert session.status == Session.Status.HELD
    assert session.duration_minutes == 180
    assert session.topics_covered == "Boundaries and saying no"
    assert [v.name for v in session.facilitators.all()] == ["Rosa"]


def test_a_failed_tap_shows_not_saved_and_is_retried(phone, sign_in, shot, facilitator, group):
    from playwright.sync_api import expect

    session, people = group
    failures = []

    def drop_the_first_tap(route):
        if route.request.method == "POST" and not failures:
            failures.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    sign_in(phone, facilitator)
    phone.goto(reverse("groupsessions:attendance_sheet", args=[session.pk]))
    phone.route("**/attendance/mark/", drop_the_first_tap)
    row = _row(phone, people[0])
    row.get_by_role("button", name="Excused").click()
    expect(row.get_by_text("not saved — retry")).to_be_visible()
    shot(phone, "not-saved")
    assert failures and not Attendance.objects.exists()

    row.get_by_role("button", name="Retry").click()
    expect(row.locator(".att-saved")).to_be_visible()
    expect(row.get_by_text("not saved — retry")).to_be_hidden()
    assert Attendance.objects.get().status == "excused"


def test_kiosk_feedback_thanks_and_returns_to_a_blank_form(
    phone, sign_in, shot, facilitator, group
):
    from playwright.sync_api import expect

    session, people = group
    sign_in(phone, facilitator)
    phone.goto(reverse("groupsessions:feedback_kiosk", args=[session.pk]))
    assert phone.locator("nav.navbar").count() == 0
    expect(phone.get_by_text("Person 0")).to_have_count(0)

    first, second = phone.locator(".kiosk-question").all()
    first.get_by_text("5", exact=True).click()
    second.get_by_text("4", exact=True).click()
    phone.get_by_label("Anything else").fill("Thank you all")
    phone.get_by_role("button", name="Send").click()

    expect(phone.get_by_text("Thank you!")).to_be_visible()
    assert phone.locator("input[type=radio]:checked").count() == 0
    assert phone.get_by_label("Anything else").input_value() == ""
    shot(phone, "kiosk-thanks")

    phone.locator(".kiosk-question").first.get_by_text("3", exact=True).click()
    phone.get_by_role("button", name="Send").click()
    expect(phone.get_by_text("Thank you!")).to_be_visible()

    ratings = sorted(SessionFeedback.objects.values_list("ratings", flat=True), key=len)
    assert ratings == [{"1": 3}, {"1": 5, "2": 4}]


def test_quick_taps_on_one_row_end_with_the_last_one(phone, sign_in, facilitator, group):
    from playwright.sync_api import expect

    session, people = group
    sign_in(phone, facilitator)
    phone.goto(reverse("groupsessions:attendance_sheet", args=[session.pk]))
    row = _row(phone, people[2])
    for name in ("Present", "Absent", "Late"):
        row.get_by_role("button", name=name).click()
    expect(row.get_by_role("button", name="Late")).to_have_attribute("aria-pressed", "true")
    expect(row.locator(".att-saved")).to_be_visible()
    assert Attendance.objects.get().status == "late"


def test_a_refused_tap_says_why_beside_the_row(phone, sign_in, facilitator, group):
    from playwright.sync_api import expect

    session, people = group
    sign_in(phone, facilitator)
    phone.goto(reverse("groupsessions:attendance_sheet", args=[session.pk]))
    # The coordinator cancels the session while the sheet is open.
    Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED)
    row = _row(phone, people[3])
    row.get_by_role("button", name="Present").click()
    expect(row.locator(".att-error")).to_contain_text("Not saved: This session was cancelled")
    expect(row.locator(".att-saved")).to_have_count(0)
    expect(row.get_by_role("button", name="Present")).to_have_attribute("aria-pressed", "false")
    assert not Attendance.objects.exists()
