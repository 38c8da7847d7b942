"""Erasure on request with two keys: one coordinator asks, another approves or rejects."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from evaluation import figures
from evaluation.periods import year_period
from participants import services
from participants.models import ErasureRequest, Participant
from peersupport.models import AuditEntry
from surveys.models import Administration, Answer
from tests.evaluation.figures_data import administer
from tests.factories import (
    AttendanceFactory,
    CohortFactory,
    EnrollmentFactory,
    MembershipFactory,
    ParticipantFactory,
    ProgramFactory,
    ReferralFactory,
    SessionFactory,
    make_instrument,
)

pytestmark = pytest.mark.django_db

SECRETS = ("Nightingale", "Jane Roe", "555-0199", "jane@example.org", "text only")
REASON = "She wrote on 2024-03-02 asking us to forget her"


@pytest.fixture
def second_coordinator(org):
    return MembershipFactory(organisation=org, role="coordinator").user


def _answered(enrollment, instrument, timepoint, values, on):
    """A scored administration with its item answers, as survey entry stores them."""
    administration = administer(enrollment, instrument, timepoint, values, on)
    items = instrument.items.order_by("number")
    Answer.objects.bulk_create(
        Answer(administration=administration, item=item, value=value)
        for item, value in zip(items, values, strict=True)
    )
    return administration


@pytest.fixture
def world(org):
    """A program year with a cohort of three; Jane (P-J) attended twice and answered a
    pre and post survey; the two others answered too, so the figures have data."""
    program = ProgramFactory(organisation=org, code="ERASE", start_date=date(2023, 4, 1))
    cohort = CohortFactory(program=program, code="ER1", start_date=date(2023, 5, 1))
    sessions = [
        SessionFactory(cohort=cohort, number=n, date=date(2023, 5, n * 7), status="held")
        for n in (1, 2)
    ]
    gse = make_instrument(organisation=org, code="GSE")
    jane = ParticipantFactory(
        organisation=org,
        code="P-J",
        preferred_name="Nightingale",
        legal_name="Jane Roe",
        phone="555-0199",
        email="jane@example.org",
        safe_contact="text only",
        referral_source="Street outreach van 3",
    )
    enrollments = [EnrollmentFactory(cohort=cohort, participant=jane, exit_notes="Lives at X")]
    enrollments += [EnrollmentFactory(cohort=cohort) for _ in range(2)]
    for i, enrollment in enumerate(enrollments):
        for session in sessions:
            AttendanceFactory(session=session, enrollment=enrollment, status="present")
        _answered(enrollment, gse, "pre", [1, 2, 2, 3 - i], date(2023, 5, 1))
        _answered(enrollment, gse, "post", [3, 3, 4, 1 + i], date(2023, 6, 1))
    ReferralFactory(participant=jane, reason="Fleeing J. Smith")
    return program, jane


def _ask(participant, by):
    return services.erasure_request_create(participant=participant, reason=REASON, by=by)


def test_nothing_is_erased_until_a_second_coordinator_approves(
    world, coordinator, second_coordinator
):
    _program, jane = world
    erasure = _ask(jane, coordinator)
    jane.refresh_from_db()
    assert jane.erased_at is None and jane.legal_name == "Jane Roe"

    services.erasure_request_approve(erasure=erasure, by=second_coordinator)

    jane.refresh_from_db()
    erasure.refresh_from_db()
    assert (erasure.status, erasure.decided_by) == ("approved", second_coordinator)
    assert jane.erased_at is not None
    for field in Participant.ERASED_FIELDS:
        assert getattr(jane, field) == ""
    assert jane.enrollments.get().exit_notes == ""
    assert jane.referrals.get().reason == ""


def test_the_requester_cannot_approve_their_own_request(world, coordinator):
    _program, jane = world
    erasure = _ask(jane, coordinator)
    with pytest.raises(services.ValidationError, match="another coordinator must approve"):
        services.erasure_request_approve(erasure=erasure, by=coordinator)
    jane.refresh_from_db()
    assert jane.erased_at is None and jane.preferred_name == "Nightingale"
    assert ErasureRequest.objects.get(pk=erasure.pk).status == "pending"
    assert not AuditEntry.objects.filter(action="participant.erase").exists()


def test_the_database_refuses_a_decision_by_the_requester(world, coordinator):
    _program, jane = world
    erasure = _ask(jane, coordinator)
    with pytest.raises(IntegrityError), transaction.atomic():
        ErasureRequest.objects.filter(pk=erasure.pk).update(decided_by=coordinator)


def test_the_requester_is_refused_on_the_decision_page(world, client_for, coordinator):
    _program, jane = world
    erasure = _ask(jane, coordinator)
    url = reverse("participants:erasure_decide", args=[erasure.pk])
    page = client_for(coordinator).get(url).content.decode()
    assert "another coordinator must approve" in page
    response = client_for(coordinator).post(url, {"decision": "approve"})
    assert response.status_code == 200
    assert "another coordinator must approve" in response.content.decode()
    jane.refresh_from_db()
    assert jane.erased_at is None


def test_a_rejected_request_erases_nothing(world, coordinator, second_coordinator):
    _program, jane = world
    erasure = _ask(jane, coordinator)
    services.erasure_request_reject(erasure=erasure, by=second_coordinator)
    jane.refresh_from_db()
    assert jane.erased_at is None and jane.legal_name == "Jane Roe"
    assert AuditEntry.objects.filter(action="erasure.reject").count() == 1
    with pytest.raises(services.ValidationError, match="already decided"):
        services.erasure_request_approve(erasure=erasure, by=second_coordinator)


def test_a_second_request_while_one_waits_is_refused(world, coordinator, second_coordinator):
    _program, jane = world
    _ask(jane, coordinator)
    with pytest.raises(services.ValidationError, match="already waiting"):
        _ask(jane, second_coordinator)


def test_a_request_without_a_reason_is_a_form_error(world, client_for, coordinator):
    _program, jane = world
    response = client_for(coordinator).post(
        reverse("participants:erase", args=[jane.pk]), {"reason": "  ", "confirm": "on"}
    )
    assert response.status_code == 200
    assert not ErasureRequest.objects.exists()


def test_the_reason_is_encrypted_at_rest(world, coordinator):
    from django.db import connection

    _program, jane = world
    erasure = _ask(jane, coordinator)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM participants_erasurerequest WHERE id = %s", [erasure.pk])
        stored = cursor.fetchone()[0]
    assert "forget" not in stored


def test_erasure_removes_her_survey_answers_and_keeps_her_in_dosage_figures(
    world, coordinator, second_coordinator
):
    program, jane = world
    period = year_period(program, 1)
    before = figures.report(program, period)
    assert before["instruments"]["GSE"]["matched_n"] == 3

    services.erasure_request_approve(erasure=_ask(jane, coordinator), by=second_coordinator)

    assert not Administration.objects.filter(enrollment__participant=jane).exists()
    after = figures.report(program, period)
    # Participation and dosage: she still counts, as an anonymous record.
    for key in ("participants", "enrollments", "sessions_offered_mean", "attendance_rate"):
        assert after[key] == before[key], key
    assert after["instruments"]["GSE"]["matched_n"] == 2
    assert Answer.objects.filter(administration__enrollment__participant__code="P-J").count() == 0


def test_a_policy_that_keeps_scores_keeps_them_as_anonymous_figures(
    world, org, coordinator, second_coordinator
):
    program, jane = world
    org.erasure_keeps_scores = True
    org.save()
    period = year_period(program, 1)
    before = figures.report(program, period)

    services.erasure_request_approve(erasure=_ask(jane, coordinator), by=second_coordinator)

    kept = Administration.objects.filter(enrollment__participant=jane)
    assert kept.count() == 2
    assert not Answer.objects.filter(administration__in=kept).exists()
    assert figures.report(program, period) == before


def test_the_audit_log_keeps_that_an_erasure_happened_not_what_was_erased(
    world, coordinator, second_coordinator
):
    _program, jane = world
    services.erasure_request_approve(erasure=_ask(jane, coordinator), by=second_coordinator)
    entries = AuditEntry.objects.filter(
        action__in=["erasure.request", "erasure.approve", "participant.erase"]
    )
    assert sorted(e.action for e in entries) == [
        "erasure.approve",
        "erasure.request",
        "participant.erase",
    ]
    erase = entries.get(action="participant.erase")
    assert erase.actor == second_coordinator
    assert erase.detail["surveys_removed"] == 2
    assert erase.detail["survey_answers_removed"] == 8
    text = " ".join(str(e.changes) + str(e.detail) for e in AuditEntry.objects.all())
    for secret in (*SECRETS, "forget her", "Fleeing", "Lives at X"):
        assert secret not in text


def test_a_second_coordinator_approves_on_the_decision_page(
    world, client_for, coordinator, second_coordinator
):
    _program, jane = world
    c = client_for(coordinator)
    response = c.post(
        reverse("participants:erase", args=[jane.pk]), {"reason": REASON, "confirm": "on"}
    )
    erasure = ErasureRequest.objects.get()
    assert response.url == reverse("participants:erasure_decide", args=[erasure.pk])
    listing = client_for(second_coordinator).get(reverse("participants:erasure_list"))
    assert "P-J" in listing.content.decode()
    page = client_for(second_coordinator).get(response.url).content.decode()
    assert REASON in page and "Nightingale" not in page
    read = AuditEntry.objects.get(action="erasure.view")
    assert (read.actor, read.object_id) == (second_coordinator, str(erasure.pk))
    assert "forget" not in str(read.detail)
    done = client_for(second_coordinator).post(response.url, {"decision": "approve"})
    assert done.status_code == 302
    jane.refresh_from_db()
    assert jane.erased_at is not None


def test_erasure_pages_query_counts_do_not_grow_with_requests(
    org, client_for, coordinator, second_coordinator, django_assert_max_num_queries
):
    def make(n):
        for _ in range(n):
            _ask(ParticipantFactory(organisation=org), second_coordinator)

    c = client_for(coordinator)
    for size in (2, 12):
        make(size)
        # session, user, memberships, the requests with their participant and users (1),
        # the audit entry (its chain head lookup and insert), the session's refreshed
        # expiry (savepoint, update, release)
        with django_assert_max_num_queries(10):
            assert c.get(reverse("participants:erasure_list")).status_code == 200
        erasure = ErasureRequest.objects.first()
        # session, user, memberships, the request with participant and users, the
        # organisation (its erasure policy), the audit entry of the view (chain head,
        # insert), the session's refreshed expiry (3: savepoint, update, release)
        with django_assert_max_num_queries(10):
            assert (
                c.get(reverse("participants:erasure_decide", args=[erasure.pk])).status_code == 200
            )
