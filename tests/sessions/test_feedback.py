"""Session feedback: the anonymous kiosk form and the summaries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from peersupport.models import AuditEntry
from sessions.feedback import DEFAULT_QUESTIONS, feedback_questions, summarise
from sessions.models import SessionFeedback
from tests.factories import (
    CohortFactory,
    EnrollmentFactory,
    ProgramFactory,
    SessionFactory,
    SessionFeedbackFactory,
    VolunteerFactory,
)

QUESTIONS = ["Q one", "Q two"]

# --- Summaries: plain computation -----------------------------------------------------


def test_means_are_given_per_question_when_enough_people_answered():
    forms = [{"1": v, "2": 5} for v in (1, 2, 3, 4, 5)]
    summary = summarise(forms, QUESTIONS, min_cell=5)
    assert summary.forms == 5
    assert [(q.n, q.mean) for q in summary.questions] == [(5, 3.0), (5, 5.0)]


def test_means_are_suppressed_below_the_smallest_cell():
    forms = [{"1": 5, "2": 4}] * 4 + [{"1": 5}]
    summary = summarise(forms, QUESTIONS, min_cell=5)
    first, second = summary.questions
    assert first.mean == 5.0 and not first.suppressed
    assert second.n == 4 and second.mean is None and second.suppressed


def test_answers_to_unknown_questions_are_ignored():
    summary = summarise([{"1": 4, "9": 5, "x": 1}] * 5, QUESTIONS, min_cell=5)
    assert [q.n for q in summary.questions] == [5, 0]


def test_a_program_without_questions_asks_the_default_ones():
    program = ProgramFactory.build(session_feedback_questions=[])
    assert feedback_questions(program) == [str(q) for q in DEFAULT_QUESTIONS]
    program.session_feedback_questions = ["Did you feel safe?", "  "]
    assert feedback_questions(program) == ["Did you feel safe?"]


# --- Pages ----------------------------------------------------------------------------


@pytest.fixture
def session(org, facilitator):
    volunteer = VolunteerFactory(organisation=org, user=facilitator)
    program = ProgramFactory(organisation=org, session_feedback_questions=QUESTIONS)
    today = timezone.localdate()
    cohort = CohortFactory(
        program=program, start_date=today - timedelta(days=30), facilitators=[volunteer]
    )
    return SessionFactory(cohort=cohort, date=today)


def _kiosk(session):
    return reverse("groupsessions:feedback_kiosk", args=[session.pk])


@pytest.mark.django_db
def test_the_kiosk_shows_the_questions_and_nothing_about_anyone(client_for, facilitator, session):
    enrollment = EnrollmentFactory(cohort=session.cohort, participant__preferred_name="Marisol")
    content = client_for(facilitator).get(_kiosk(session)).content.decode()
    assert "Q one" in content and "Q two" in content
    assert "Marisol" not in content and enrollment.participant.code not in content
    assert "navbar" not in content  # no menu to wander off through


@pytest.mark.django_db
def test_sending_the_form_thanks_then_shows_a_blank_form(client_for, facilitator, session):
    client = client_for(facilitator)
    response = client.post(_kiosk(session), {"q1": "5", "q2": "3", "comment": "Lovely group"})
    assert response.status_code == 302
    assert response["Location"] == _kiosk(session) + "?thanks=1"
    feedback = SessionFeedback.objects.get()
    assert feedback.ratings == {"1": 5, "2": 3}
    assert feedback.comment == "Lovely group"
    page = client.get(response["Location"]).content.decode()
    assert "Thank you" in page
    assert "checked" not in page and "Lovely group" not in page
    entry = AuditEntry.objects.get(object_type="groupsessions.SessionFeedback")
    assert "Lovely" not in str(entry.detail) + str(entry.changes)


@pytest.mark.django_db
def test_skipped_questions_are_not_stored(client_for, facilitator, session):
    client_for(facilitator).post(_kiosk(session), {"q2": "4"})
    assert SessionFeedback.objects.get().ratings == {"2": 4}


@pytest.mark.django_db
@pytest.mark.parametrize("data", [{"q1": "6"}, {"q1": "0"}, {"q1": "good"}, {}])
def test_a_bad_or_empty_form_is_shown_again_with_an_error(client_for, facilitator, session, data):
    response = client_for(facilitator).post(_kiosk(session), data)
    assert response.status_code == 422
    assert not SessionFeedback.objects.exists()


@pytest.mark.django_db
def test_no_feedback_for_a_session_that_has_not_happened(client_for, facilitator, session):
    future = SessionFactory(
        cohort=session.cohort, date=session.date + timedelta(days=7), status="scheduled"
    )
    response = client_for(facilitator).post(_kiosk(future), {"q1": "5"})
    assert response.status_code == 200
    assert "not happened yet" in response.content.decode()
    assert not SessionFeedback.objects.exists()


@pytest.mark.django_db
def test_the_kiosk_is_for_staff_of_the_cohort(client_for, evaluator, outsider, session):
    assert client_for(evaluator).get(_kiosk(session)).status_code == 403
    assert client_for(outsider).get(_kiosk(session)).status_code == 404


def _summary(session):
    return reverse("groupsessions:feedback_session_summary", args=[session.pk])


@pytest.mark.django_db
def test_the_session_summary_shows_means_and_coordinators_see_comments(
    client_for, coordinator, session
):
    for value in (5, 4, 4, 3, 4):
        SessionFeedbackFactory(session=session, ratings={"1": value, "2": 5}, comment="")
    SessionFeedbackFactory(session=session, ratings={"1": 4}, comment="Felt heard")
    content = client_for(coordinator).get(_summary(session)).content.decode()
    assert "Forms received: 6" in content
    assert "4.0" in content  # question 1: (5+4+4+3+4+4)/6
    assert "Felt heard" in content


@pytest.mark.django_db
def test_evaluators_see_means_but_never_comments(client_for, evaluator, session):
    for _ in range(5):
        SessionFeedbackFactory(session=session, ratings={"1": 2}, comment="private words")
    content = client_for(evaluator).get(_summary(session)).content.decode()
    assert "2.0" in content
    assert "private words" not in content


@pytest.mark.django_db
def test_small_numbers_show_n_below_the_smallest_cell(client_for, coordinator, session, settings):
    settings.MIN_CELL = 5
    for _ in range(3):
        SessionFeedbackFactory(session=session, ratings={"1": 1, "2": 1})
    content = client_for(coordinator).get(_summary(session)).content.decode()
    assert "n&lt;5" in content
    assert "1.0" not in content


@pytest.mark.django_db
def test_the_cohort_summary_gives_each_session_and_the_whole(client_for, evaluator, session):
    second = SessionFactory(cohort=session.cohort, date=session.date - timedelta(days=7))
    for _ in range(5):
        SessionFeedbackFactory(session=session, ratings={"1": 5, "2": 4})
    for _ in range(2):
        SessionFeedbackFactory(session=second, ratings={"1": 1, "2": 1})
    response = client_for(evaluator).get(
        reverse("groupsessions:feedback_cohort_summary", args=[session.cohort.pk])
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "Forms received: 7" in content
    assert content.count("n&lt;5") >= 2  # the second session's line is suppressed
    # Overall means: (5*5 + 1*2) / 7 = 3.9 and (4*5 + 1*2) / 7 = 3.1
    assert "3.9" in content and "3.1" in content


@pytest.mark.django_db
def test_facilitators_do_not_see_summaries(client_for, facilitator, session):
    assert client_for(facilitator).get(_summary(session)).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("n_sessions", [1, 8])
def test_the_cohort_summary_runs_the_same_queries_for_1_or_8_sessions(
    client_for, coordinator, session, n_sessions, django_assert_num_queries
):
    for week in range(n_sessions):
        held = SessionFactory(cohort=session.cohort, date=session.date - timedelta(weeks=week))
        SessionFeedbackFactory.create_batch(5, session=held, ratings={"1": 4, "2": 5})
    client = client_for(coordinator)
    url = reverse("groupsessions:feedback_cohort_summary", args=[session.cohort.pk])
    with django_assert_num_queries(9):
        # 1 auth session, 2 user, 3 memberships, 4 cohort with program, 5 every feedback
        # form of the cohort, 6 the sessions that have feedback, 7-9 savepoint, save,
        # release of the idle-timeout session.
        response = client.get(url)
    assert response.status_code == 200
