"""The participant list pages by code from the edge of the last page, with a capped count:
its last page costs what its first does, whatever the size of the organisation."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from participants import views as participant_views
from peersupport import paging
from tests.factories import ParticipantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org, other_org, monkeypatch):
    monkeypatch.setattr(participant_views, "PAGE_SIZE", 4)
    ParticipantFactory(organisation=other_org, code="A-0005")  # never listed here
    return [ParticipantFactory(organisation=org, code=f"A-{n:04d}").code for n in range(1, 11)]


def codes(response) -> list[str]:
    return [p.code for p in response.context["page"]]


def link(response, label) -> str | None:
    found = re.search(rf'href="(\?[^"]*)">{label}<', response.content.decode())
    return found.group(1).replace("&amp;", "&") if found else None


def test_following_next_visits_every_participant_once_in_code_order(
    people, client_for, coordinator
):
    client, url = client_for(coordinator), reverse("participants:list")
    response, seen = client.get(url), []
    while True:
        seen += codes(response)
        following = link(response, "Next")
        if following is None:
            break
        response = client.get(url + following)
    assert seen == people
    assert link(response, "Previous") and link(response, "Last") is None


def test_previous_and_last_pages_come_back_in_code_order(people, client_for, coordinator):
    client, url = client_for(coordinator), reverse("participants:list")
    last = client.get(url, {"before": ""})
    assert codes(last) == people[-4:]
    assert link(last, "Next") is None
    back = client.get(url + link(last, "Previous"))
    assert codes(back) == people[2:6]
    assert codes(client.get(url + link(back, "Previous"))) == people[:2]


def test_filters_are_kept_across_pages_and_the_count_is_exact_below_the_cap(
    people, client_for, coordinator
):
    client, url = client_for(coordinator), reverse("participants:list")
    first = client.get(url, {"q": "A-000"})
    assert "9 participants" in first.content.decode()  # A-0010 does not contain A-000
    second = client.get(url + link(first, "Next"))
    assert codes(second) == people[4:8]
    assert "q=A-000" in link(second, "Previous")


def test_above_the_cap_the_page_says_more_than(people, client_for, coordinator, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 6)
    response = client_for(coordinator).get(reverse("participants:list"))
    assert "More than 6 participants" in response.content.decode()


@pytest.mark.parametrize("where", [{}, {"after": "A-0004"}, {"before": ""}])
def test_every_page_runs_the_same_queries(
    where, people, client_for, coordinator, django_assert_max_num_queries
):
    client = client_for(coordinator)
    with django_assert_max_num_queries(11):
        # 1 session, 2 user, 3 memberships, 4 the page's participants (by code from the
        # edge key), 5 their enrollments with cohorts, 6 the count (capped), 7 audit head,
        # 8 audit entry, 9-11 the session's activity time (savepoint, update, release).
        response = client.get(reverse("participants:list"), where)
    assert len(codes(response)) == 4


def test_a_keyset_page_of_another_key_order_and_an_empty_list():
    page = paging.keyset_page(
        __import__("participants.models").models.Participant.objects.none(),
        {},
        key="code",
        size=5,
    )
    assert list(page) == [] and not page.has_other_pages and page.count == 0
