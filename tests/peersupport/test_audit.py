import pytest

from participants.models import Participant
from peersupport.audit import MASK, diff, log_action, snapshot
from peersupport.models import AuditEntry


@pytest.mark.django_db
def test_audit_rows_cannot_be_changed_or_deleted(coordinator, org):
    entry = log_action(actor=coordinator, action=AuditEntry.Action.OTHER, organisation=org)
    entry.action = AuditEntry.Action.DELETE
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="delete")
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == AuditEntry.Action.OTHER


def test_identifying_values_are_masked_in_diffs():
    before = {"preferred_name": "Rosa", "birth_year": 1990}
    after = {"preferred_name": "Rose", "birth_year": 1991}
    changes = diff(Participant, before, after)
    assert changes["preferred_name"] == [MASK, MASK]
    assert changes["birth_year"] == [1990, 1991]
    assert "Rosa" not in str(changes) and "Rose" not in str(changes)


@pytest.mark.django_db
def test_snapshot_reads_concrete_fields(org):
    snap = snapshot(org)
    assert snap["name"] == "Safe Harbour"
    assert snap["slug"] == "safe-harbour"


@pytest.mark.django_db
def test_sign_in_and_failed_sign_in_are_audited(client, coordinator, password):
    client.post("/accounts/login/", {"login": coordinator.email, "password": "wrong-password"})
    failed = AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN_FAILED)
    assert failed.count() == 1
    assert coordinator.email not in str(failed.get().detail)
    client.post("/accounts/login/", {"login": coordinator.email, "password": password})
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN, actor=coordinator).exists()


@pytest.mark.django_db
def test_log_change_records_creation_change_and_deletion_with_names_masked(coordinator, org):
    from peersupport.audit import log_change
    from tests.factories import ParticipantFactory

    participant = ParticipantFactory(organisation=org, preferred_name="Rosa", birth_year=1990)
    created = log_change(actor=coordinator, obj=participant)
    assert created.action == "create" and created.changes["preferred_name"] == ["", MASK]

    before = snapshot(participant)
    participant.birth_year = 1991
    participant.save()
    changed = log_change(actor=coordinator, obj=participant, before=before)
    assert changed.changes == {"birth_year": [1990, 1991]}
    assert (
        log_change(
            actor=coordinator, obj=participant, before=snapshot(participant), skip_unchanged=True
        )
        is None
    )

    deleted = log_change(actor=coordinator, obj=participant, deleted=True)
    assert deleted.action == "delete"
    assert deleted.changes["birth_year"] == [1991, None]
    assert deleted.changes["preferred_name"] == [MASK, ""]
    assert "Rosa" not in str(AuditEntry.objects.values_list("changes", "object_repr"))
