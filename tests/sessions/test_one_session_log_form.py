"""One form logs a session, on the attendance sheet and on the log page, with one rule
(finding 17): a duration, at least one facilitator, notes when an incident is flagged."""

import pytest
from django.urls import reverse

import sessions.attendance_forms
from sessions import attendance_views, views
from sessions.forms import SessionLogForm
from tests.factories import VolunteerFactory

pytestmark = pytest.mark.django_db

PAGES = ("groupsessions:session_log", "groupsessions:attendance_save")


def test_both_pages_use_the_one_form():
    assert views.SessionLogForm is SessionLogForm
    assert attendance_views.SessionLogForm is SessionLogForm
    assert not hasattr(sessions.attendance_forms, "SessionLogForm")


@pytest.mark.parametrize("page", PAGES)
def test_a_session_without_a_facilitator_is_refused_on_either_page(
    client_for, coordinator, past_scheduled, page
):
    response = client_for(coordinator).post(
        reverse(page, args=[past_scheduled.pk]),
        {"topics_covered": "Boundaries", "duration_minutes": "180"},
    )
    assert response.status_code in (200, 422)
    html = response.content.decode()
    assert "Tick who facilitated the session" in html
    past_scheduled.refresh_from_db()
    assert past_scheduled.status == "scheduled"


@pytest.mark.parametrize("page", PAGES)
def test_a_flagged_incident_needs_notes_on_either_page(
    client_for, coordinator, past_scheduled, volunteer, page
):
    response = client_for(coordinator).post(
        reverse(page, args=[past_scheduled.pk]),
        {"duration_minutes": "180", "facilitators": [volunteer.pk], "incident_flagged": "on"},
    )
    assert "Describe the incident for the supervisor." in response.content.decode()
    past_scheduled.refresh_from_db()
    assert past_scheduled.status == "scheduled"


@pytest.mark.parametrize("page", PAGES)
def test_a_trained_stand_in_can_be_logged_on_either_page(
    client_for, coordinator, org, past_scheduled, page
):
    stand_in = VolunteerFactory(organisation=org, name="Stand-in", stage="trained")
    response = client_for(coordinator).post(
        reverse(page, args=[past_scheduled.pk]),
        {"duration_minutes": "150", "stand_in": stand_in.pk},
    )
    assert response.status_code == 302
    past_scheduled.refresh_from_db()
    assert past_scheduled.status == "held"
    assert list(past_scheduled.facilitators.all()) == [stand_in]


def test_the_groups_team_is_ticked_and_every_other_trained_volunteer_is_one_pick_away(
    coordinator, org, past_scheduled, volunteer
):
    """A national organisation has hundreds of volunteers: the boxes are the group's
    own, the others are one drop-down, and a stand-in with a box ticked logs both."""
    others = [VolunteerFactory(organisation=org, name=f"V{i}", stage="trained") for i in range(3)]
    untrained = VolunteerFactory(organisation=org, name="Applicant", stage="applied")
    form = SessionLogForm(session=past_scheduled, user=coordinator)
    assert list(form.fields["facilitators"].queryset) == [volunteer]
    assert set(form.fields["stand_in"].queryset) == set(others)
    html = form.as_div()
    assert html.count('type="checkbox" name="facilitators"') == 1
    assert all(f'<option value="{v.pk}">{v.name}</option>' in html for v in others)
    assert untrained.name not in html
    both = SessionLogForm(
        {"duration_minutes": "90", "facilitators": [volunteer.pk], "stand_in": others[0].pk},
        session=past_scheduled,
        user=coordinator,
    )
    assert both.is_valid(), both.errors
    assert both.cleaned_data["facilitators"] == [volunteer, others[0]]
    nobody = SessionLogForm({"duration_minutes": "90"}, session=past_scheduled, user=coordinator)
    assert not nobody.is_valid()
    assert nobody.errors["facilitators"] == [
        "Tick who facilitated the session: at least one person."
    ]


def test_the_long_drop_down_writes_the_markup_djangos_select_writes():
    from django import forms

    from peersupport.widgets import LongSelect

    choices = [("", "Nobody else"), (1, "Ana <b>"), (2, "Bé & co")]
    attrs = {"id": "id_x", "class": "form-select", "required": True}
    ours = LongSelect(choices=choices).render("x", 2, attrs=attrs)
    django_s = forms.Select(choices=choices).render("x", 2, attrs=attrs)
    assert ours == "".join(line.strip() for line in django_s.splitlines()).replace(
        '<select name="x" id="id_x" class="form-select" required>',
        '<select class="form-select" id="id_x" name="x" required>',
    )


def test_a_facilitator_finds_themselves_ticked_and_a_coordinator_finds_the_cohorts_team(
    facilitator, coordinator, org, past_scheduled, volunteer
):
    other = VolunteerFactory(organisation=org, name="Co-facilitator", stage="trained")
    past_scheduled.cohort.facilitators.add(other)
    mine = SessionLogForm(session=past_scheduled, user=facilitator)
    assert list(mine.initial["facilitators"]) == [volunteer]
    theirs = SessionLogForm(session=past_scheduled, user=coordinator)
    assert set(theirs.initial["facilitators"]) == {volunteer, other}
