"""A page about an object decides what to show from the user's role in the object's
organisation, not in the organisation they happen to be working in.

The user here coordinates ``org`` (and works in it) and evaluates ``other_org``.
"""

from datetime import date

import pytest
from django.urls import reverse

from evaluation import runs
from evaluation.models import EvaluationRun
from peersupport.models import AuditEntry
from tests.factories import (
    CohortFactory,
    MembershipFactory,
    PartnerFactory,
    ProgramFactory,
    ReferralFactory,
    SessionFactory,
    VolunteerFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client_for, coordinator, org, other_org):
    """The coordinator of ``org``, also evaluator of ``other_org``, working in ``org``."""
    MembershipFactory(user=coordinator, organisation=other_org, role="evaluator")
    client = client_for(coordinator)
    client.post(reverse("switch_organisation"), {"organisation": org.pk})
    assert client.get(reverse("home")).wsgi_request.membership.organisation == org
    return client


@pytest.fixture
def their_program(other_org):
    """A program of ``other_org`` with a cohort and two referrals (a small count)."""
    program = ProgramFactory(organisation=other_org, start_date=date(2024, 4, 1))
    CohortFactory(program=program, code="theirs-1")
    partner = PartnerFactory(organisation=other_org, type="housing")
    for _ in range(2):
        ReferralFactory(
            partner=partner,
            participant__organisation=other_org,
            program=program,
            date=date(2024, 6, 1),
        )
    return program


def test_the_other_organisations_program_page_suppresses_small_counts(client, their_program):
    response = client.get(reverse("programs:program_detail", args=[their_program.pk]))
    assert response.status_code == 200
    assert response.context["referrals"][0]["count"] == "< 5"


def test_the_other_organisations_program_page_has_no_coordinator_controls(client, their_program):
    response = client.get(reverse("programs:program_detail", args=[their_program.pk]))
    html = response.content.decode()
    assert "theirs-1" in html
    cohort = their_program.cohorts.get()
    assert reverse("groupsessions:cohort_detail", args=[cohort.pk]) not in html
    assert reverse("programs:program_edit", args=[their_program.pk]) not in html
    assert response.context["can_manage"] is False


def test_the_own_organisations_program_page_shows_coordinator_controls(client, org):
    program = ProgramFactory(organisation=org)
    cohort = CohortFactory(program=program)
    html = client.get(reverse("programs:program_detail", args=[program.pk])).content.decode()
    assert reverse("groupsessions:cohort_detail", args=[cohort.pk]) in html
    assert reverse("programs:program_edit", args=[program.pk]) in html


def test_the_other_organisations_export_offers_only_the_suppressed_audience(client, their_program):
    url = reverse("exports:download", args=[their_program.pk])
    response = client.post(url, {"kind": "attendance", "format": "csv", "audience": "internal"})
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    assert 'value="internal"' not in response.content.decode()
    assert not AuditEntry.objects.filter(action__startswith="export.").exists()


def test_the_other_organisations_report_exports_for_outside_readers(
    client, their_program, settings
):
    run = EvaluationRun.objects.create(
        program=their_program, period="all", request_key="r", parameters={"min_cell": 5}
    )
    runs.execute(run_id=run.pk)
    url = reverse("exports:report", args=[run.pk, "csv"])
    response = client.get(url, {"audience": "internal"})
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="report.download")
    assert entry.detail["export"]["external"] is True


def test_the_other_organisations_report_page_is_open_to_its_evaluator(client, their_program):
    response = client.get(reverse("evaluation:report", args=[their_program.pk]))
    assert response.status_code == 200
    assert response.context["program"] == their_program


@pytest.fixture
def their_cohort(client, coordinator, other_org):
    """A cohort of ``other_org`` where the user is a facilitator (not a coordinator)."""
    coordinator.memberships.filter(organisation=other_org).update(role="facilitator")
    volunteer = VolunteerFactory(organisation=other_org, user=coordinator)
    cohort = CohortFactory(program=ProgramFactory(organisation=other_org), facilitators=[volunteer])
    return cohort


def test_the_other_organisations_cohort_page_has_no_coordinator_controls(client, their_cohort):
    response = client.get(reverse("groupsessions:cohort_detail", args=[their_cohort.pk]))
    assert response.status_code == 200
    assert response.context["can_manage"] is False
    assert reverse("groupsessions:cohort_update", args=[their_cohort.pk]) not in (
        response.content.decode()
    )


def test_the_other_organisations_attendance_sheet_has_no_coordinator_links(client, their_cohort):
    session = SessionFactory(cohort=their_cohort, number=1, date=date.today())
    response = client.get(reverse("groupsessions:attendance_sheet", args=[session.pk]))
    assert response.status_code == 200
    assert response.context["is_coordinator"] is False
    summary = reverse("groupsessions:feedback_session_summary", args=[session.pk])
    assert summary not in response.content.decode()


def test_the_other_organisations_report_page_hides_small_counts_from_its_evaluator(
    client, their_program, settings
):
    """Working in ``org`` as its coordinator, the user is still an evaluator of
    ``other_org``'s program: its report page follows the rules for outside readers."""
    from tests.factories import EnrollmentFactory

    settings.MIN_CELL = 5
    cohort = CohortFactory(program=their_program, code="theirs-2", start_date=date(2024, 9, 2))
    for _ in range(3):
        EnrollmentFactory(cohort=cohort)
    key = runs.make_request_key(program=their_program, period="all")
    run = EvaluationRun.objects.create(
        program=their_program, period="all", request_key=key, parameters={"min_cell": 5}
    )
    runs.execute(run_id=run.pk)
    assert run.__class__.objects.get(pk=run.pk).result["total"]["participants"] == 3
    response = client.get(reverse("evaluation:report", args=[their_program.pk]))
    rows = response.context["participation_rows"]
    assert all(row["cells"][0]["suppressed"] for row in rows if row["cells"][0]["text"] != "0")
    assert rows[-1]["cells"][0]["suppressed"] is True  # all years: 3 participants
    assert "3 participants took part" not in response.content.decode()
