"""First run on an empty database: ``setup_organisation`` creates the organisation and a
one-time link for its first coordinator."""

import io
import re

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from peersupport.models import Invitation, Membership, Organisation, Role


def run(*args) -> str:
    out = io.StringIO()
    call_command("setup_organisation", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_first_run_creates_the_organisation_and_a_working_coordinator_link(client, settings):
    settings.SITE_URL = "https://peers.example.org"

    out = run("--name", "Safe Passage", "--slug", "safe-passage", "--coordinator", "Lead@X.org")

    organisation = Organisation.objects.get(slug="safe-passage")
    assert organisation.name == "Safe Passage" and organisation.require_mfa
    invitation = Invitation.objects.get(organisation=organisation)
    assert (invitation.email, invitation.role) == ("lead@x.org", Role.COORDINATOR)
    link = re.search(r"https://peers\.example\.org(/invite/\S+/)", out)
    assert link, out
    assert client.get(link.group(1)).status_code == 200
    assert mail.outbox and link.group(0) in mail.outbox[0].body


@pytest.mark.django_db
def test_the_invitation_makes_the_first_coordinator(client):
    out = run("--name", "Safe Passage", "--slug", "safe-passage", "--coordinator", "lead@x.org")
    path = re.search(r"(/invite/\S+/)", out).group(1)

    response = client.post(
        path,
        {
            "name": "Lead",
            "password1": "a-long-pass-phrase-42",
            "password2": "a-long-pass-phrase-42",
        },
    )

    assert response.status_code == 302
    membership = Membership.objects.get(user__email="lead@x.org")
    assert membership.role == Role.COORDINATOR and membership.organisation.slug == "safe-passage"


@pytest.mark.django_db
def test_a_second_run_for_the_same_slug_says_so_and_changes_nothing():
    run("--name", "Safe Passage", "--slug", "safe-passage", "--coordinator", "lead@x.org")

    out = run("--name", "Other", "--slug", "safe-passage", "--coordinator", "someone@x.org")

    assert "already exists" in out
    assert Organisation.objects.get(slug="safe-passage").name == "Safe Passage"
    assert Invitation.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", " ", "--slug", "ok", "--coordinator", "a@b.org"], "--name"),
        (["--name", "X", "--slug", "not a slug", "--coordinator", "a@b.org"], "--slug"),
        (["--name", "X", "--slug", "ok", "--coordinator", "nobody"], "--coordinator"),
    ],
)
def test_bad_arguments_say_which_and_create_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not Organisation.objects.exists()
