"""A flagged safety incident stays on the coordinator's dashboard until its follow-up is
recorded: who, when and what (the note encrypted, the change audited)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse

from peersupport.audit import MASK
from peersupport.models import AuditEntry
from sessions import services
from sessions.models import Session
from tests.factories import CohortFactory, SessionFactory

pytestmark = pytest.mark.django_db

NOTE = "P-00042 was followed to the venue by a former partner"
FOLLOW_UP = "Called P-00042; safety plan reviewed with the partner agency"


@pytest.fixture
def incident(cohort, today, facilitator, volunteer):
    """Last week's session, logged by its facilitator with an incident flagged."""
    session = SessionFactory(cohort=cohort, number=3, date=today - timedelta(days=7))
    return services.session_log(
        session=session,
        by=facilitator,
        topics_covered="Boundaries",
        notes="",
        incident_flagged=True,
        incident_notes=NOTE,
        facilitators=[volunteer],
        duration_minutes=120,
    )


def _dashboard(client):
    return client.get(reverse("groupsessions:coordinator_dashboard"))


def test_an_open_incident_is_on_the_dashboard_until_its_follow_up_is_recorded(
    client_for, coordinator, incident, cohort, today
):
    # A quiet session of the same cohort is not listed.
    SessionFactory(cohort=cohort, number=2, date=today - timedelta(days=14))
    client = client_for(coordinator)
    response = _dashboard(client)
    assert [s.pk for s in response.context["incidents"]] == [incident.pk]
    url = reverse("groupsessions:session_incident", args=[incident.pk])
    assert url in response.content.decode()
    page = client.get(url)
    assert NOTE in page.content.decode()  # the coordinator reads what was reported

    response = client.post(url, {"note": FOLLOW_UP})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.incident_follow_up == FOLLOW_UP
    assert incident.incident_followed_up_by == coordinator
    assert incident.incident_followed_up_at is not None
    assert _dashboard(client).context["incidents"] == []
    # The page now says who did what.
    html = client.get(url).content.decode()
    assert FOLLOW_UP in html and str(coordinator) in html


def test_the_follow_up_is_audited_masked_and_encrypted_at_rest(client_for, coordinator, incident):
    client_for(coordinator).post(
        reverse("groupsessions:session_incident", args=[incident.pk]), {"note": FOLLOW_UP}
    )
    entry = AuditEntry.objects.get(action="session.incident_follow_up")
    assert entry.actor == coordinator
    assert entry.changes["incident_follow_up"] == ["", MASK]
    assert "incident_followed_up_at" in entry.changes
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT incident_follow_up FROM groupsessions_session WHERE id = %s", [incident.pk]
        )
        (stored,) = cursor.fetchone()
    assert "P-00042" not in stored


def test_an_empty_follow_up_is_a_form_error_and_the_incident_stays_open(
    client_for, coordinator, incident
):
    client = client_for(coordinator)
    response = client.post(
        reverse("groupsessions:session_incident", args=[incident.pk]), {"note": "  "}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["note"]
    assert [s.pk for s in _dashboard(client).context["incidents"]] == [incident.pk]
    assert not AuditEntry.objects.filter(action="session.incident_follow_up").exists()


def test_a_facilitator_cannot_record_the_follow_up(client_for, facilitator, incident):
    url = reverse("groupsessions:session_incident", args=[incident.pk])
    assert client_for(facilitator).post(url, {"note": FOLLOW_UP}).status_code == 403
    incident.refresh_from_db()
    assert incident.incident_followed_up_at is None


def test_another_organisations_incident_is_not_on_the_dashboard(
    client_for, coordinator, incident, other_org
):
    from tests.factories import ProgramFactory

    theirs = CohortFactory(program=ProgramFactory(organisation=other_org), code="theirs")
    SessionFactory(cohort=theirs, number=1, incident_flagged=True, incident_notes="x")
    incidents = _dashboard(client_for(coordinator)).context["incidents"]
    assert [s.pk for s in incidents] == [incident.pk]
    assert Session.objects.filter(incident_flagged=True).count() == 2


@pytest.mark.parametrize("followed_up", [False, True], ids=["open", "followed-up"])
def test_the_incident_page_query_count_is_fixed(
    followed_up, client_for, coordinator, incident, django_assert_max_num_queries
):
    if followed_up:
        services.incident_follow_up(session=incident, note=FOLLOW_UP, by=coordinator)
    client = client_for(coordinator)
    # 1-3 session, user, memberships (middleware); 4 the session with its cohort and
    # who followed it up; 5-7 savepoint, session refresh, release.
    with django_assert_max_num_queries(7):
        response = client.get(reverse("groupsessions:session_incident", args=[incident.pk]))
    assert response.status_code == 200
