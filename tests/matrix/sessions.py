from datetime import date, timedelta

from programs.models import Volunteer
from tests.factories import CohortFactory, ProgramFactory, SessionFactory
from tests.matrix.base import Entry, coordinator_only, reports, staff_only


def build(world):
    """A program with a cohort the world's facilitator runs, a past held session and a
    future scheduled one (``world.session_*``); other matrix modules may use them."""
    today = date.today()
    volunteer, _created = Volunteer.objects.get_or_create(
        user=world.facilitator,
        defaults={"organisation": world.org, "name": "Matrix facilitator"},
    )
    world.session_volunteer = volunteer
    world.session_program = ProgramFactory(organisation=world.org, code="matrix-sessions")
    world.session_cohort = CohortFactory(
        program=world.session_program,
        code="matrix-sessions",
        start_date=today - timedelta(days=28),
        facilitators=[volunteer],
    )
    world.session_held = SessionFactory(
        cohort=world.session_cohort,
        number=1,
        date=today - timedelta(days=28),
        incident_flagged=True,  # an open incident: on the dashboard, with its own page
        incident_notes="Raised voices at the door",
    )
    world.session_future = SessionFactory(
        cohort=world.session_cohort,
        number=2,
        date=today + timedelta(days=7),
        status="scheduled",
        duration_minutes=None,
    )


def _cohort(w):
    return {"pk": w.session_cohort.pk}


def _future(w):
    return {"pk": w.session_future.pk}


ENTRIES = [
    # Pages of "the organisation I work in": the outsider sees their own (200).
    Entry("groupsessions:coordinator_dashboard", coordinator_only(outsider=200)),
    Entry("groupsessions:cohort_list", {**staff_only(), "outsider": 200}),
    Entry("groupsessions:cohort_create", coordinator_only(outsider=200)),
    Entry("groupsessions:cohort_detail", staff_only(), kwargs=_cohort),
    Entry("groupsessions:cohort_update", coordinator_only(), kwargs=_cohort),
    Entry("groupsessions:cohort_facilitators", coordinator_only(), kwargs=_cohort),
    Entry("groupsessions:session_add", coordinator_only(), kwargs=_cohort),
    Entry("groupsessions:session_reschedule", coordinator_only(), kwargs=_future),
    Entry("groupsessions:session_cancel", coordinator_only(), kwargs=_future),
    Entry("groupsessions:session_delete", coordinator_only(), kwargs=_future),
    Entry(
        "groupsessions:session_log",
        staff_only(),
        kwargs=lambda w: {"pk": w.session_held.pk},
    ),
    Entry(
        "groupsessions:session_incident",
        coordinator_only(),
        kwargs=lambda w: {"pk": w.session_held.pk},
    ),
]


# --- Attendance and feedback (sessions/attendance_views.py, sessions/feedback_views.py) ---


def _recent_session(w):
    """A session of yesterday in the world's cohort, with one person on its roster:
    within the edit window, so the assigned facilitator may record its attendance."""
    if not hasattr(w, "session_recent"):
        from django.utils import timezone

        from tests.factories import EnrollmentFactory

        w.session_recent = SessionFactory(
            cohort=w.session_cohort,
            number=3,
            date=timezone.localdate() - timedelta(days=1),
            status="scheduled",
        )
        w.session_enrollment = EnrollmentFactory(cohort=w.session_cohort)
    return w.session_recent


def _recent(w):
    return {"pk": _recent_session(w).pk}


ENTRIES += [
    # The facilitator home lists the groups of the organisation I work in (outsider: own).
    Entry("groupsessions:facilitator_home", {**staff_only(), "outsider": 200}),
    Entry("groupsessions:attendance_sheet", staff_only(), kwargs=_recent),
    Entry(
        "groupsessions:attendance_mark",
        staff_only(302),  # without htmx the tap redirects back to the sheet
        method="post",
        kwargs=_recent,
        data=lambda w: {"enrollment": w.session_enrollment.pk, "status": "present"},
    ),
    Entry("groupsessions:attendance_mark_all", staff_only(302), method="post", kwargs=_recent),
    Entry(
        "groupsessions:attendance_save",
        staff_only(302),
        method="post",
        kwargs=_recent,
        data=lambda w: {
            "duration_minutes": 180,
            "topics_covered": "Check-in",
            "facilitators": [w.session_volunteer.pk],
        },
    ),
    Entry("groupsessions:attendance_print", staff_only(), kwargs=_recent),
    Entry("groupsessions:attendance_keyed", staff_only(), kwargs=_recent),
    Entry("groupsessions:feedback_kiosk", staff_only(), kwargs=_recent),
    Entry(
        "groupsessions:feedback_kiosk",
        staff_only(302),  # thanks, then a blank form
        method="post",
        kwargs=_recent,
        data=lambda w: {"q1": "4", "comment": ""},
    ),
    Entry("groupsessions:feedback_session_summary", reports(), kwargs=_recent),
    Entry("groupsessions:feedback_cohort_summary", reports(), kwargs=_cohort),
]


# --- Offline attendance (sessions/offline_views.py) ---
# The service worker, the manifest and the offline shell hold no data: public. The sync
# answers 401 (JSON) to anonymous so the phone keeps its queue and asks to sign in again;
# every member gets which sessions their phone may keep (none but a facilitator's).
_PUBLIC = dict.fromkeys(("anonymous", "coordinator", "facilitator", "evaluator", "outsider"), 200)
ENTRIES += [
    Entry("service_worker", _PUBLIC),
    Entry("web_manifest", _PUBLIC),
    Entry("groupsessions:offline_shell", _PUBLIC),
    Entry("groupsessions:offline_sync", {**_PUBLIC, "anonymous": 401}),
]
