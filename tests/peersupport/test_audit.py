import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from participants.models import Participant
from peersupport import actions
from peersupport.audit import (
    MASK,
    changes_between,
    log_action,
    log_create,
    log_delete,
    model_update,
)
from peersupport.models import AuditEntry


@pytest.mark.django_db
def test_audit_rows_cannot_be_changed_or_deleted(coordinator, org):
    entry = log_action(actor=coordinator, action="auth.login", organisation=org)
    entry.action = "admin.delete"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="admin.delete")
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "auth.login"


@pytest.mark.django_db
def test_an_unregistered_action_is_refused_and_nothing_is_written(coordinator, org):
    with pytest.raises(ValueError, match="participant.updaet"):
        log_action(actor=coordinator, action="participant.updaet", organisation=org)
    with pytest.raises(ValueError):
        log_action(actor=coordinator, action="update", organisation=org)
    assert not AuditEntry.objects.exists()


def test_a_registered_name_cannot_be_given_another_label():
    with pytest.raises(ValueError):
        actions.register({"participant.erase": "Something else"})
    with pytest.raises(ValueError):
        actions.register({"erase": "No dot"})
    assert actions.label("participant.erase") == "Participant's identifying details erased"


def test_every_action_named_in_the_code_is_registered():
    root = Path(settings.BASE_DIR)
    named = set()
    for path in root.glob("*/**/*.py"):
        if path.parts[len(root.parts)] in {"tests", ".venv", "bench"}:
            continue
        named |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', path.read_text()))
    assert len(named) > 40
    assert sorted(name for name in named if not actions.is_registered(name)) == []


@pytest.mark.django_db
def test_creation_and_deletion_record_field_values_with_names_masked(coordinator, org):
    from tests.factories import ParticipantFactory

    participant = ParticipantFactory(
        organisation=org, preferred_name="Rosa", birth_year=1990, gender_identity="woman"
    )
    created = log_create(actor=coordinator, action="participant.create", obj=participant)
    assert created.action == "participant.create"
    assert created.changes["preferred_name"] == ["", MASK]
    assert created.changes["birth_year"] == ["", MASK]
    assert created.changes["gender_identity"] == [None, "woman"]

    deleted = log_delete(actor=coordinator, action="participant.delete", obj=participant)
    assert deleted.changes["gender_identity"] == ["woman", None]
    assert deleted.changes["preferred_name"] == [MASK, ""]
    assert "Rosa" not in str(AuditEntry.objects.values_list("changes", "object_repr"))


def test_identifying_values_are_masked_between_two_versions():
    old = Participant(preferred_name="Rosa", birth_year=1990, gender_identity="woman")
    new = Participant(preferred_name="Rose", birth_year=1991, gender_identity="non_binary")
    changes = changes_between(old, new)
    assert changes["preferred_name"] == [MASK, MASK]
    # With a code, a birth year narrows a log row down to one person: masked too.
    assert changes["birth_year"] == [MASK, MASK]
    assert changes["gender_identity"] == ["woman", "non_binary"]
    assert "Rosa" not in str(changes) and "Rose" not in str(changes)


@pytest.mark.django_db
def test_model_update_saves_audits_and_returns_only_what_changed(coordinator, org):
    from tests.factories import ParticipantFactory

    participant = ParticipantFactory(organisation=org, preferred_name="Rosa", birth_year=1990)
    participant, changes = model_update(
        instance=participant,
        data={"preferred_name": "Rose", "birth_year": 1991, "code": participant.code},
        by=coordinator,
        action="participant.update",
        detail={"via": "test"},
    )
    assert changes == {"preferred_name": [MASK, MASK], "birth_year": [MASK, MASK]}
    stored = Participant.objects.get(pk=participant.pk)
    assert (stored.preferred_name, stored.birth_year) == ("Rose", 1991)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.organisation) == (
        "participant.update",
        coordinator,
        org,
    )
    assert entry.changes == changes and entry.detail == {"via": "test"}
    assert "Rose" not in str(entry.changes)


@pytest.mark.django_db
def test_model_update_writes_no_entry_when_nothing_changed(coordinator, org):
    from tests.factories import ParticipantFactory

    participant = ParticipantFactory(organisation=org, birth_year=1990)
    _participant, changes = model_update(
        instance=participant, data={"birth_year": 1990}, by=coordinator, action="participant.update"
    )
    assert changes == {}
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_model_update_writes_only_the_given_fields(coordinator, org):
    from tests.factories import ParticipantFactory

    participant = ParticipantFactory(organisation=org, birth_year=1990, referral_source="")
    Participant.objects.filter(pk=participant.pk).update(referral_source="Changed meanwhile")
    model_update(
        instance=participant,
        data={"birth_year": 1991, "referral_source": "ignored"},
        fields=["birth_year"],
        by=coordinator,
        action="participant.update",
    )
    stored = Participant.objects.get(pk=participant.pk)
    assert (stored.birth_year, stored.referral_source) == (1991, "Changed meanwhile")


@pytest.mark.django_db
def test_model_update_refused_by_its_check_saves_and_logs_nothing(coordinator, org):
    from django.core.exceptions import ValidationError

    from tests.factories import ParticipantFactory

    participant = ParticipantFactory(organisation=org, birth_year=1990)

    def refuse(changed):
        raise ValidationError({"birth_year": "no"})

    with pytest.raises(ValidationError):
        model_update(
            instance=participant,
            data={"birth_year": 1991},
            check=refuse,
            by=coordinator,
            action="participant.update",
        )
    assert Participant.objects.get(pk=participant.pk).birth_year == 1990
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_sign_in_and_failed_sign_in_are_audited(client, coordinator, password):
    client.post("/accounts/login/", {"login": coordinator.email, "password": "wrong-password"})
    failed = AuditEntry.objects.filter(action="auth.login_failed")
    assert failed.count() == 1
    assert coordinator.email not in str(failed.get().detail)
    client.post("/accounts/login/", {"login": coordinator.email, "password": password})
    assert AuditEntry.objects.filter(action="auth.login", actor=coordinator).exists()


# --- the audit log page -------------------------------------------------------------------


@pytest.fixture
def logged(org, coordinator):
    """A few days of a coordinator's work, as the services would have logged it."""
    from tests.factories import CohortFactory, InstrumentFactory, ParticipantFactory

    participant = ParticipantFactory(organisation=org)
    instrument = InstrumentFactory(organisation=org, code="gse")
    cohort = CohortFactory(program__organisation=org)
    log_action(actor=coordinator, action="auth.login", obj=coordinator)
    log_action(
        actor=coordinator,
        action="participant.view",
        obj=participant,
        detail={"path": f"/participants/{participant.pk}/"},
    )
    log_action(
        actor=coordinator,
        action="instrument.update",
        obj=instrument,
        changes={"name": ["GSE", "General self-efficacy"], "items": [10, 12]},
    )
    log_action(
        actor=coordinator,
        action="cohort.reschedule",
        obj=cohort,
        detail={"closure": "2025-09-16", "sessions_moved": [3, 4, 5]},
    )
    return {"participant": participant, "instrument": instrument, "cohort": cohort}


@pytest.mark.django_db
def test_the_audit_log_filters_by_action_and_shows_its_label(client_for, coordinator, logged):
    response = client_for(coordinator).get(reverse("audit_log"), {"action": "instrument.update"})
    assert response.status_code == 200
    entries = list(response.context["page"])
    assert [e.action for e in entries] == ["instrument.update"]
    content = response.content.decode()
    assert "Instrument changed" in content
    assert "Items: 10 → 12" in content
    assert "Name: GSE → General self-efficacy" in content
    assert "Participant record viewed" not in content.split("<tbody>")[1]


@pytest.mark.django_db
def test_the_audit_log_offers_every_registered_action_by_its_label(client_for, coordinator):
    response = client_for(coordinator).get(reverse("audit_log"))
    choices = dict(response.context["form"].fields["action"].choices)
    assert choices["enrollment.withdraw"] == "Enrollment withdrawn"
    assert choices["auth.login_failed"] == "Failed sign-in"
    assert '<option value="participant.erase">' in response.content.decode()


@pytest.mark.django_db
def test_an_unknown_action_in_the_filter_is_a_form_error_not_a_crash(
    client_for, coordinator, logged
):
    response = client_for(coordinator).get(reverse("audit_log"), {"action": "no.such"})
    assert response.status_code == 200
    assert "action" in response.context["form"].errors


@pytest.mark.django_db
def test_the_audit_log_says_what_happened_to_whom_and_by_whom_in_words(
    client_for, coordinator, org, logged
):
    from tests.factories import ParticipantFactory

    people = [ParticipantFactory(organisation=org) for _ in range(50)]
    log_action(
        actor=coordinator,
        action="participant.list",
        organisation=org,
        object_type="participants.Participant",
        detail={"path": "/participants/", "codes": [p.code for p in people], "filters": []},
    )
    client = client_for(coordinator)
    response = client.get(reverse("audit_log"))
    body = response.content.decode().split("<tbody>")[1]
    assert "participants.Participant" not in body
    assert "Participants shown: 50 participants" in body
    assert people[7].code not in body  # no row of fifty codes
    participant = logged["participant"]
    assert f"Participant {participant.code}" in body  # to whom
    assert f"Cohort {logged['cohort']}" in body
    assert "Sessions moved: 3, 4, 5" in body
    assert "Participant record viewed" in body and str(coordinator) in body
    # Filtered by what happened and by the record, in words too.
    response = client.get(
        reverse("audit_log"), {"action": "participant.view", "record": participant.code}
    )
    assert [e.action for e in response.context["page"]] == ["participant.view"]
    kinds = dict(response.context["form"].fields["object_type"].choices)
    assert kinds["participants.Participant"] == "Participants"
    response = client.get(reverse("audit_log"), {"object_type": "programs.Cohort"})
    assert [e.action for e in response.context["page"]] == ["cohort.reschedule"]
