from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from peersupport.models import Invitation, Membership, User
from tests.factories import InvitationFactory


@pytest.mark.django_db
def test_wrong_password_gets_a_clear_message_not_an_error(client, coordinator):
    response = client.post(
        reverse("account_login"), {"login": coordinator.email, "password": "nope-nope-nope"}
    )
    assert response.status_code == 200
    assert b"not correct" in response.content


@pytest.mark.django_db
def test_demo_coordinator_signs_in_and_lands_on_a_page(client, coordinator, password):
    response = client.post(
        reverse("account_login"), {"login": coordinator.email, "password": password}, follow=True
    )
    assert response.status_code == 200
    assert response.wsgi_request.user == coordinator


@pytest.mark.django_db
def test_there_is_no_public_sign_up(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new@example.org",
            "password1": "a-long-password-1",
            "password2": "a-long-password-1",
        },
    )
    assert not User.objects.filter(email="new@example.org").exists()
    assert response.status_code in (200, 403)


@pytest.mark.django_db
def test_coordinator_invites_and_invitee_sets_password_once(client_for, coordinator, org, client):
    coordinator_client = client_for(coordinator)
    response = coordinator_client.post(
        reverse("members"), {"email": "Newbie@Example.org", "role": "facilitator"}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="newbie@example.org")
    assert len(mail.outbox) == 1
    link = next(w for w in mail.outbox[0].body.split() if "/invite/" in w)
    path = link[link.index("/invite/") :]
    client.logout()

    response = client.post(
        path,
        {"name": "New Person", "password1": "lantern-river-42", "password2": "lantern-river-42"},
    )
    assert response.status_code == 302
    user = User.objects.get(email="newbie@example.org")
    assert Membership.objects.get(user=user, organisation=org).role == "facilitator"
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None

    client.logout()
    again = client.get(path)
    assert again.status_code == 410


@pytest.mark.django_db
def test_expired_invitation_says_so(client, org):
    invitation = InvitationFactory(
        organisation=org, token="expired-token", expires_at=timezone.now() - timedelta(hours=1)
    )
    response = client.get(reverse("invitation_accept", args=["expired-token"]))
    assert response.status_code == 410
    assert b"expired" in response.content
    assert not User.objects.filter(email=invitation.email).exists()


@pytest.mark.django_db
def test_invitation_form_refuses_a_forged_role(client_for, coordinator):
    response = client_for(coordinator).post(
        reverse("members"), {"email": "x@example.org", "role": "superuser"}
    )
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_session_expires_after_inactivity(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


@pytest.mark.django_db
def test_mfa_required_for_coordinators_when_organisation_turns_it_on(client_for, coordinator, org):
    org.require_mfa = True
    org.save()
    response = client_for(coordinator).get(reverse("audit_log"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


@pytest.mark.django_db
def test_facilitator_without_mfa_is_sent_to_mfa_setup_not_to_the_roster(
    client_for, facilitator, org
):
    org.require_mfa = True
    org.save()
    client = client_for(facilitator)
    for url in (reverse("participants:list"), reverse("home"), reverse("profile")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp")


@pytest.mark.django_db
def test_mfa_not_forced_when_the_organisation_does_not_require_it(client_for, facilitator, org):
    assert client_for(facilitator).get(reverse("profile")).status_code == 200


@pytest.mark.django_db
def test_existing_account_joins_a_second_organisation_by_signing_in(client, outsider, org):
    InvitationFactory(organisation=org, token="join-token", email=outsider.email, role="evaluator")
    path = reverse("invitation_accept", args=["join-token"])
    anonymous = client.post(path, {"password1": "x", "password2": "x"})
    assert b"already has an account" in anonymous.content
    assert not Membership.objects.filter(user=outsider, organisation=org).exists()

    client.force_login(outsider)
    assert client.post(path).status_code == 302
    assert Membership.objects.get(user=outsider, organisation=org).role == "evaluator"
    assert outsider.memberships.count() == 2


@pytest.mark.django_db
def test_language_choice_is_remembered_for_the_person(client, coordinator):
    client.force_login(coordinator)
    client.post(reverse("set_language"), {"language": "fr", "next": "/profile/"})
    coordinator.refresh_from_db()
    assert coordinator.language == "fr"
    client.cookies.clear()
    client.force_login(coordinator)
    response = client.get(reverse("profile"))
    assert response.wsgi_request.LANGUAGE_CODE == "fr"
