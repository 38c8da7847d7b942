import pytest
from django.urls import reverse

from peersupport.models import AuditEntry


@pytest.mark.django_db
def test_audit_log_is_for_coordinators_only(client_for, facilitator, evaluator, coordinator):
    assert client_for(facilitator).get(reverse("audit_log")).status_code == 403
    assert client_for(evaluator).get(reverse("audit_log")).status_code == 403
    assert client_for(coordinator).get(reverse("audit_log")).status_code == 200


@pytest.mark.django_db
def test_refusals_are_audited(client_for, facilitator):
    client_for(facilitator).get(reverse("audit_log"))
    assert AuditEntry.objects.filter(action="access.denied", actor=facilitator).exists()


@pytest.mark.django_db
def test_coordinator_sees_only_own_organisation_in_audit_log(
    client_for, coordinator, outsider, org, other_org
):
    AuditEntry.objects.create(organisation=other_org, action="auth.login", object_repr="secret-b")
    AuditEntry.objects.create(organisation=org, action="auth.login", object_repr="visible-a")
    content = client_for(coordinator).get(reverse("audit_log")).content
    assert b"visible-a" in content
    assert b"secret-b" not in content


@pytest.mark.django_db
def test_membership_of_another_organisation_is_not_found(client_for, coordinator, outsider):
    membership = outsider.memberships.get()
    response = client_for(coordinator).post(
        reverse("membership_update", args=[membership.pk]), {"role": "evaluator"}
    )
    assert response.status_code == 404
    membership.refresh_from_db()
    assert membership.role == "coordinator"


@pytest.mark.django_db
def test_switching_to_an_organisation_you_do_not_belong_to_is_refused(
    client_for, coordinator, other_org
):
    c = client_for(coordinator)
    c.post(reverse("switch_organisation"), {"organisation": other_org.pk})
    assert c.session.get("organisation_id") is None
