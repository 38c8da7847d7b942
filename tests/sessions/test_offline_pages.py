"""The service worker, the manifest and the offline page shell: served from the right
place, with nothing about anyone in them; the offline script only for facilitators."""

import json

import pytest
from django.urls import reverse

from sessions.offline import owner_token

pytestmark = pytest.mark.django_db


def test_the_service_worker_is_served_from_the_root_for_the_whole_site(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    first_line, source = response.content.decode().split("\n", 1)
    assert first_line.startswith("const CONFIG = ")
    config = json.loads(first_line.removeprefix("const CONFIG = ").rstrip(";"))
    assert config["shell"] == reverse("groupsessions:offline_shell")
    assert "/static/js/offline.js" in config["assets"]
    assert len(config["version"]) == 12
    # Pages come from the network; only the shell and static files are kept.
    assert 'request.mode === "navigate"' in source and "fetch(request)" in source


def test_the_manifest_starts_at_my_sessions(client):
    response = client.get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["start_url"] == reverse("groupsessions:facilitator_home")
    assert manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}


def test_the_shell_holds_nothing_about_the_person_who_fetched_it(
    client, client_for, facilitator, org, django_assert_num_queries, django_assert_max_num_queries
):
    # The service worker fetches it without the sign-in cookie: no query at all.
    with django_assert_num_queries(0):
        assert client.get(reverse("groupsessions:offline_shell")).status_code == 200
    client = client_for(facilitator)
    # Signed in: session, user, memberships (3); the session saved again in a savepoint (3).
    with django_assert_max_num_queries(6):
        response = client.get(reverse("groupsessions:offline_shell"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="offline-shell"' in html and 'data-shell="1"' in html
    assert owner_token(facilitator) not in html
    assert facilitator.email not in html and org.name not in html
    assert 'data-owner=""' in html and 'data-facilitator=""' in html


def test_the_offline_script_is_told_who_is_signed_in_and_whether_a_facilitator(
    client_for, facilitator, coordinator
):
    home = reverse("groupsessions:facilitator_home")
    html = client_for(facilitator).get(home).content.decode()
    assert f'data-owner="{owner_token(facilitator)}"' in html
    assert 'data-facilitator="1"' in html and 'id="offline-strings"' in html
    html = client_for(coordinator).get(home).content.decode()
    assert 'data-facilitator=""' in html
    assert owner_token(coordinator) != owner_token(facilitator)


def test_pages_handed_to_participants_have_no_offline_script(client_for, facilitator):
    from tests.factories import CohortFactory, ProgramFactory, SessionFactory, VolunteerFactory

    volunteer = VolunteerFactory(
        organisation=facilitator.memberships.get().organisation, user=facilitator
    )
    cohort = CohortFactory(
        program=ProgramFactory(organisation=volunteer.organisation), facilitators=[volunteer]
    )
    session = SessionFactory(cohort=cohort)
    html = (
        client_for(facilitator)
        .get(reverse("groupsessions:feedback_kiosk", args=[session.pk]))
        .content.decode()
    )
    assert "offline.js" not in html and "offline-strings" not in html
