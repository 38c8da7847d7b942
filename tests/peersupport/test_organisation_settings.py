"""The organisation's safety settings page, quick exit on every page and discreet mode."""

import re

import pytest
from django.urls import reverse

from peersupport.models import AuditEntry, Organisation
from tests.factories import ParticipantFactory

pytestmark = pytest.mark.django_db

SETTINGS = {
    "quick_exit_url": "https://weather.example.org/today",
    "discreet_mode": "on",
    "contact_access_grace_days": "7",
    "legal_name_field": "hidden",
    "birth_year_field": "optional",
    "phone_field": "required",
    "email_field": "optional",
}


def test_coordinator_changes_the_settings_and_it_is_audited(org, coordinator, client_for):
    client = client_for(coordinator)
    assert client.get(reverse("organisation_settings")).status_code == 200
    response = client.post(reverse("organisation_settings"), SETTINGS)
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.quick_exit_url == "https://weather.example.org/today"
    assert org.discreet_mode and org.contact_access_grace_days == 7
    assert org.hidden_fields() == {"legal_name"}
    assert org.field_use("phone") == "required"
    entry = AuditEntry.objects.get(action="organisation.settings")
    assert entry.actor == coordinator and entry.organisation_id == org.pk
    assert set(entry.changes) == {
        "quick_exit_url",
        "discreet_mode",
        "contact_access_grace_days",
        "legal_name_field",
        "phone_field",
    }


@pytest.mark.parametrize(
    "url",
    ["http://weather.example.org/", "javascript:alert(1)", "ftp://example.org/", "weather"],
)
def test_the_quick_exit_site_must_be_an_https_address(org, coordinator, client_for, url):
    response = client_for(coordinator).post(
        reverse("organisation_settings"), {**SETTINGS, "quick_exit_url": url}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "starts with https://" in html or "Enter a valid URL." in html
    org.refresh_from_db()
    assert org.quick_exit_url == "https://www.google.com/" and not org.discreet_mode
    assert not AuditEntry.objects.filter(action="organisation.settings").exists()


def test_a_grace_period_over_a_year_is_refused(org, coordinator, client_for):
    response = client_for(coordinator).post(
        reverse("organisation_settings"), {**SETTINGS, "contact_access_grace_days": "400"}
    )
    assert response.status_code == 200
    assert "less than or equal to 365" in response.content.decode()
    assert Organisation.objects.get(pk=org.pk).contact_access_grace_days == 14


def _first_focusable(html: str) -> str:
    body = html[html.index("<body") :]
    return re.search(r"<(a|button|input|select|textarea)\b[^>]*>", body).group(0)


def test_quick_exit_is_the_first_control_of_every_page(org, coordinator, client, client_for):
    login = client.get(reverse("account_login")).content.decode()
    first = _first_focusable(login)
    assert 'id="quick-exit"' in first and 'href="https://www.google.com/"' in first
    assert "js/quick-exit.js" in login
    org.quick_exit_url = "https://weather.example.org/"
    org.save()
    page = client_for(coordinator).get(reverse("participants:list")).content.decode()
    first = _first_focusable(page)
    assert 'id="quick-exit"' in first and 'href="https://weather.example.org/"' in first


def test_discreet_mode_neutral_title_and_icon_and_no_names(org, coordinator, client_for):
    participant = ParticipantFactory(organisation=org, preferred_name="Marguerite")
    client = client_for(coordinator)
    url = reverse("participants:detail", args=[participant.pk])
    html = client.get(url).content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "peersupport" in title and participant.code in title
    org.discreet_mode = True
    org.save()
    html = client.get(url).content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert title == "Notes"
    assert "neutral.svg" in html and "img/icon.svg" not in html
    # Changing her record: the message names no one.
    response = client.post(
        reverse("participants:edit", args=[participant.pk]),
        {"preferred_name": "Marguerite"},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert messages and not any("Marguerite" in m for m in messages)


@pytest.mark.parametrize("members", [1, 12])
def test_the_settings_page_query_count_does_not_grow(
    org, coordinator, client_for, members, django_assert_max_num_queries
):
    from tests.factories.peersupport import MembershipFactory

    MembershipFactory.create_batch(members, organisation=org, role="facilitator")
    client = client_for(coordinator)
    # 1-3 session, user, memberships; 4 the organisation; 5-7 the session's activity
    # time saved (savepoint, update, release).
    with django_assert_max_num_queries(7):
        response = client.get(reverse("organisation_settings"))
    assert response.status_code == 200


def test_the_error_page_has_quick_exit_first(rf):
    from django.contrib.auth.models import AnonymousUser

    from peersupport.views import error_500

    request = rf.get("/")
    request.user = AnonymousUser()
    html = error_500(request).content.decode()
    first = _first_focusable(html)
    assert 'id="quick-exit"' in first and 'href="https://www.google.com/"' in first


def test_a_page_whose_session_ended_while_it_loaded_carries_quick_exit(
    org, coordinator, client_for
):
    # Quick exit signs out as the page leaves; Back may reload a page of the app while
    # that sign-out lands. Django answers 400, and that page must still send her on.
    from django.contrib.sessions.models import Session
    from django.test.signals import template_rendered

    org.quick_exit_url = "https://weather.example.org/"
    org.save()
    client = client_for(coordinator)
    client.raise_request_exception = False
    key = client.session.session_key

    def sign_out_lands(**kwargs):  # while the page renders, the sign-out ends the session
        Session.objects.filter(session_key=key).delete()

    template_rendered.connect(sign_out_lands)
    try:
        response = client.get(reverse("participants:list"))
    finally:
        template_rendered.disconnect(sign_out_lands)
    assert response.status_code == 400
    html = response.content.decode()
    first = _first_focusable(html)
    assert 'id="quick-exit"' in first and 'href="https://weather.example.org/"' in first
    assert "js/quick-exit.js" in html
